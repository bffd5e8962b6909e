using System.Globalization;
using Nabla.Distributed;
using Nabla.IO;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.DistributedWorker;

/// <summary>
/// Checkpoints in a distributed run, each rank with its own folder (args[0]/rank{R}, as on machines without a shared
/// file system): rank 0 writes, every rank resumes from rank 0's file. Lines: "rank R: name [n] values".
/// </summary>
internal static class CheckpointScenarios
{
    public static readonly (string, Func<string[], int>)[] List =
    [
        ("checkpoint-resume", Resume),
        ("checkpoint-corrupt", Corrupt),
        ("checkpoint-save-fails", SaveFails),
    ];

    static string Values(IEnumerable<double> values) => string.Join(" ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));

    static readonly List<string> Lines = [];

    // Lines are kept and printed in rank order at the end (Flush): long lines printed at once by several ranks reach
    // mpirun's output in interleaved pieces.
    static void Print(ProcessGroup world, string name, double[] values) => Say(world, $"{name} [{values.Length}] {Values(values)}");

    static void Say(ProcessGroup world, string line) => Lines.Add($"rank {world.Rank}: {line}");

    static void Flush(ProcessGroup world)
    {
        for (int rank = 0; rank < world.Size; rank++)
        {
            if (rank == world.Rank)
            {
                foreach (var line in Lines) Console.WriteLine(line);
                Console.Out.Flush();
                Thread.Sleep(100);   // let mpirun forward them before the next rank writes
            }
            world.Barrier();
        }
    }

    static double[] Parameters(Module net) => [.. net.Parameters().SelectMany(p => p.To(DType.Float64).Reshape(-1).ToArray<double>())];

    static double[] OptimizerState(Optimizer opt) =>
        [.. opt.StateDict().ToTensors().OrderBy(kv => kv.Key, StringComparer.Ordinal).SelectMany(kv => kv.Value.To(DType.Float64).Reshape(-1).ToArray<double>())];

    static (Module Net, Adam Opt, StepLR Schedule) Make()
    {
        var net = new Sequential(new Linear(4, 3, seed: 1), new Tanh(), new Linear(3, 1, seed: 2));
        var opt = new Adam(net.Parameters(), learningRate: 0.05);
        return (net, opt, new StepLR(opt, stepSize: 2, gamma: 0.5));
    }

    // One Adam step on batch `seed` (the same batch on every rank for a given seed).
    static void Train(Module net, Optimizer opt, LRScheduler schedule, int seed)
    {
        var (x, y) = (Tensor.Randn([8, 4], seed: 100 + seed), Tensor.Randn([8, 1], seed: 200 + seed));
        opt.ZeroGrad();
        (net.Call(x) - y).Pow(2).Mean().Backward();
        opt.Step();
        schedule.Step();
    }

    static string Folder(string root, ProcessGroup world) => Directory.CreateDirectory(Path.Combine(root, $"rank{world.Rank}")).FullName;

    // The ranks train apart (rank-dependent batches), rank 0 saves, all train on and perturb their models, then all
    // resume: each must end with rank 0's saved parameters and optimizer state, and train on identically.
    static int Resume(string[] args)
    {
        using var world = ProcessGroup.Init(new ProcessGroupOptions { Timeout = TimeSpan.FromSeconds(60) });
        var path = Path.Combine(Folder(args[0], world), "run.ckpt");
        var (net, opt, schedule) = Make();
        for (int i = 0; i < 3; i++) Train(net, opt, schedule, 10 * world.Rank + i);
        Checkpoint.Save(path, net, opt, schedule, step: 3, epoch: 1, metadata: new Dictionary<string, string> { ["saved-by"] = $"rank {world.Rank}" });
        Print(world, "saved-parameters", Parameters(net));
        Print(world, "saved-optimizer", OptimizerState(opt));

        Train(net, opt, schedule, 50 + world.Rank);
        foreach (var p in net.Parameters()) p.Assign(p + (world.Rank + 1));
        var info = Checkpoint.Load(path, net, opt, schedule);
        Say(world, $"info step {info.Step} epoch {info.Epoch} saved-by {info.Metadata["saved-by"]} lr {opt.LearningRate.ToString("R", CultureInfo.InvariantCulture)}");
        Print(world, "loaded-parameters", Parameters(net));
        Print(world, "loaded-optimizer", OptimizerState(opt));
        Train(net, opt, schedule, 99);
        Print(world, "trained-parameters", Parameters(net));
        Flush(world);
        return 0;
    }

    // Rank 0's checkpoint is truncated after saving: every rank must refuse it with rank 0's reason and keep its model.
    static int Corrupt(string[] args)
    {
        using var world = ProcessGroup.Init(new ProcessGroupOptions { Timeout = TimeSpan.FromSeconds(60) });
        var path = Path.Combine(Folder(args[0], world), "run.ckpt");
        var (net, opt, schedule) = Make();
        Checkpoint.Save(path, net, opt, schedule);
        if (world.IsMain) File.WriteAllBytes(path, File.ReadAllBytes(path)[..^5]);
        world.Barrier();
        foreach (var p in net.Parameters()) p.Assign(p + (world.Rank + 1));
        var before = Parameters(net);
        try
        {
            Checkpoint.Load(path, net, opt, schedule);
            Console.WriteLine($"rank {world.Rank}: error none");
            return 1;
        }
        catch (InvalidDataException e)
        {
            Say(world, $"error {e.Message.ReplaceLineEndings(" ")}");
            Say(world, $"unchanged {before.SequenceEqual(Parameters(net))}");
            Flush(world);
            return 0;
        }
    }

    // Rank 0's folder does not exist (the others' do): rank 0's save fails, and so does every rank's, naming rank 0.
    static int SaveFails(string[] args)
    {
        using var world = ProcessGroup.Init(new ProcessGroupOptions { Timeout = TimeSpan.FromSeconds(60) });
        var folder = world.IsMain ? Path.Combine(args[0], "missing", "rank0") : Folder(args[0], world);
        var (net, opt, schedule) = Make();
        try
        {
            Checkpoint.Save(Path.Combine(folder, "run.ckpt"), net, opt, schedule);
            Console.WriteLine($"rank {world.Rank}: error none");
            return 1;
        }
        catch (Exception e)
        {
            Say(world, $"error {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
            Flush(world);   // barriers: the group still works after the failed save
            return 0;
        }
    }
}
