using System.Globalization;
using System.Text;
using Nabla.Distributed;
using Nabla.Engine;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.IO;

/// <summary>
/// A training checkpoint in one safetensors file: the model's state dict, the optimizer's state (buffers, step
/// counts, hyper-parameters), the LR schedule's position, the step and epoch, and the caller's own strings, with a
/// SHA-256 checksum of all of it. Written atomically (a save that dies midway leaves the previous file intact);
/// loading verifies the whole file (structure, checksum, then every key, shape and dtype against the model and
/// optimizer) before it changes anything, so a truncated, partial or corrupt checkpoint is never loaded, not even in part.
/// </summary>
/// <remarks>
/// In a distributed run (a <see cref="ProcessGroup"/> given, or <see cref="ProcessGroup.Current"/>), only rank 0
/// writes the file; every rank returns from <see cref="Save"/> once it is complete. <see cref="Load"/> reads the
/// file on rank 0 only, verifies it there and broadcasts its bytes, so the other ranks need no shared file system
/// and all of them load the very same bytes, ending with identical state; a file rank 0 cannot load fails
/// <see cref="Load"/> on every rank with rank 0's reason. The file is held in memory while saving and loading
/// (twice its size), so checkpoints are limited to 2 GiB.
/// </remarks>
/// <example><code>
/// Checkpoint.Save("run.ckpt", model, optimizer, scheduler, step: step, epoch: epoch);   // rank 0 writes
/// var info = Checkpoint.Load("run.ckpt", model, optimizer, scheduler);                  // every rank resumes
/// loader.Epoch = info.Epoch + 1;
/// </code></example>
public static partial class Checkpoint
{
    /// <summary>
    /// Saves <paramref name="model"/> (and <paramref name="optimizer"/>, <paramref name="scheduler"/> when given), the
    /// <paramref name="step"/> and <paramref name="epoch"/>, and <paramref name="metadata"/> to <paramref name="path"/>,
    /// atomically. With a process group of several ranks only rank 0 writes, and every rank waits until the file is
    /// complete (a failure on rank 0 fails the call on every rank).
    /// </summary>
    /// <exception cref="ArgumentException">A negative step or epoch, or a metadata key that is null or empty.</exception>
    public static void Save(string path, Module model, Optimizer? optimizer = null, LRScheduler? scheduler = null,
        long step = 0, int epoch = 0, IReadOnlyDictionary<string, string>? metadata = null, ProcessGroup? group = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(model);
        if (step < 0 || epoch < 0) throw Errors.Arg("Checkpoint.Save", $"step ({step}) and epoch ({epoch}) must be >= 0.");
        group ??= ProcessGroup.Current;
        if (group is null || group.Size == 1)
        {
            Write(path, model, optimizer, scheduler, step, epoch, metadata);
            return;
        }
        if (group.IsMain)
        {
            try { Write(path, model, optimizer, scheduler, step, epoch, metadata); }
            catch (Exception e) { DistributeText(group, e.Message, isError: true); throw; }
            DistributeText(group, "", isError: false);
            return;
        }
        // The other ranks wait for rank 0's outcome: this is also the barrier after which the file is complete.
        var failure = ReceiveText(group, out bool isError);
        if (isError) throw new DistributedException($"Checkpoint.Save: rank 0 could not write '{path}': {failure} (called from {CallSite.Describe()})");
    }

    /// <summary>
    /// Loads the checkpoint at <paramref name="path"/> into <paramref name="model"/> (and <paramref name="optimizer"/>,
    /// <paramref name="scheduler"/> when given; they must be made as for the run that saved it) and returns the saved
    /// step, epoch and metadata. Everything is verified before anything changes. With a process group of several
    /// ranks, rank 0 reads the file and broadcasts it (see the class remarks).
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/> (on rank 0).</exception>
    /// <exception cref="InvalidDataException">The file is truncated, corrupt, changed since it was written, or not a checkpoint.</exception>
    /// <exception cref="ArgumentException">The checkpoint does not fit the model, optimizer or scheduler (keys, shapes, dtypes, groups).</exception>
    public static CheckpointInfo Load(string path, Module model, Optimizer? optimizer = null, LRScheduler? scheduler = null, ProcessGroup? group = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(model);
        group ??= ProcessGroup.Current;
        CheckpointFormat.Contents contents;
        if (group is null || group.Size == 1) contents = CheckpointFormat.Read(ReadFile(path), path);
        else if (group.IsMain)
        {
            byte[] bytes;
            try
            {
                bytes = ReadFile(path);
                contents = CheckpointFormat.Read(bytes, path);   // verified before it is sent: a bad file fails every rank with rank 0's reason
            }
            catch (Exception e)
            {
                DistributeText(group, e.Message, isError: true);
                throw;
            }
            Distribute(group, bytes, isError: false);
        }
        else
        {
            var received = ReceiveBytes(group, out bool isError);
            if (isError)
                throw new InvalidDataException($"Checkpoint.Load: rank 0 could not load '{path}', so no rank does: {Encoding.UTF8.GetString(received)}");
            contents = CheckpointFormat.Read(received, path);
        }
        Apply(path, contents, model, optimizer, scheduler);
        return contents.Info;
    }

    static void Write(string path, Module model, Optimizer? optimizer, LRScheduler? scheduler, long step, int epoch,
        IReadOnlyDictionary<string, string>? metadata)
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, t) in model.StateDict()) tensors[CheckpointFormat.ModelPrefix + key] = t;
        if (optimizer is not null)
            foreach (var (key, t) in optimizer.StateDict().ToTensors()) tensors[CheckpointFormat.OptimizerPrefix + key] = t;
        var meta = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [CheckpointFormat.VersionKey] = CheckpointFormat.Version,
            ["step"] = step.ToString(CultureInfo.InvariantCulture),
            ["epoch"] = epoch.ToString(CultureInfo.InvariantCulture),
            ["has_optimizer"] = optimizer is null ? "0" : "1",
        };
        if (scheduler is not null)
            foreach (var (key, v) in scheduler.StateDict()) meta[CheckpointFormat.SchedulerPrefix + key] = v.ToString("R", CultureInfo.InvariantCulture);
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
        {
            if (string.IsNullOrEmpty(key) || value is null) throw Errors.Arg("Checkpoint.Save", "a metadata key is empty or a value is null.");
            meta[CheckpointFormat.UserPrefix + key] = value;
        }
        CheckpointFormat.AddChecksum(tensors, meta, path);
        SafeTensors.Save(path, tensors, meta);
    }

    static byte[] ReadFile(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Checkpoint.Load: there is no checkpoint at '{Path.GetFullPath(path)}'; check the path " +
                $"(in a distributed run it is read on rank 0) (called from {CallSite.Describe()})", path);
        return File.ReadAllBytes(path);
    }

    /// <summary>Checks the verified contents against the model, optimizer and scheduler, then loads them: all or nothing.</summary>
    static void Apply(string path, CheckpointFormat.Contents contents, Module model, Optimizer? optimizer, LRScheduler? scheduler)
    {
        const string op = "Checkpoint.Load";
        CheckModel(path, contents.Model, model);
        OptimizerStateDict? optimizerState = null;
        if (optimizer is not null)
        {
            if (contents.Optimizer is null)
                throw Errors.Arg(op, $"'{path}' holds no optimizer state (it was saved without an optimizer); pass optimizer: null, or resume from a checkpoint saved with one. Nothing was loaded.");
            try { optimizerState = OptimizerStateDict.FromTensors(contents.Optimizer); }
            catch (ArgumentException e) { throw Errors.Arg(op, $"'{path}': the optimizer state is malformed ({e.Message}). Nothing was loaded."); }
        }
        if (scheduler is not null && contents.Scheduler.Count == 0)
            throw Errors.Arg(op, $"'{path}' holds no LR schedule state (it was saved without a scheduler); pass scheduler: null. Nothing was loaded.");

        // The model was checked above and cannot fail to load; the optimizer and the schedule check themselves before
        // they change, and if the schedule refuses, the optimizer gets its previous state back.
        var optimizerBefore = optimizer?.StateDict();
        if (optimizer is not null) optimizer.LoadStateDict(optimizerState!);
        if (scheduler is not null)
        {
            try { scheduler.LoadStateDict(contents.Scheduler); }
            catch
            {
                optimizer?.LoadStateDict(optimizerBefore!);
                throw;
            }
        }
        model.LoadStateDict(contents.Model);
    }

    /// <summary>The same keys, shapes and dtypes as the model's state dict, or an error listing every difference.</summary>
    static void CheckModel(string path, Dictionary<string, Tensor> saved, Module model)
    {
        var expected = model.StateDict();
        var problems = new List<string>();
        foreach (var key in expected.Keys.Where(k => !saved.ContainsKey(k)).Order(StringComparer.Ordinal))
            problems.Add($"missing tensor '{key}'");
        foreach (var key in saved.Keys.Where(k => !expected.ContainsKey(k)).Order(StringComparer.Ordinal))
            problems.Add($"unexpected tensor '{key}'");
        foreach (var (key, t) in expected)
        {
            if (!saved.TryGetValue(key, out var s)) continue;
            if (!s.Shape.Equals(t.Shape)) problems.Add($"'{key}' has shape {s.Shape} in the file but {t.Shape} in the model");
            else if (s.DType != t.DType) problems.Add($"'{key}' is {s.DType.TorchName()} in the file but {t.DType.TorchName()} in the model");
        }
        if (problems.Count > 0)
            throw Errors.Arg("Checkpoint.Load", $"'{path}' does not fit this {model.GetType().Name}: {string.Join("; ", problems)}. " +
                "Nothing was loaded; make the model as for the run that saved the checkpoint.");
    }
}
