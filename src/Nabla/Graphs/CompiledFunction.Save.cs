using Nabla.Engine;
using Nabla.Graphs;
using Nabla.IO;

namespace Nabla;

public partial class CompiledFunction
{
    /// <summary>
    /// Writes the graphs traced so far to <paramref name="path"/> (atomically: the old file stays until the new one
    /// is complete), so that <see cref="Load(string, IReadOnlyDictionary{string, Tensor}?)"/> runs them in a process
    /// without this function's C# source, with bitwise-equal results (the role of torch.jit.save and
    /// tf.saved_model.save). Every traced signature is saved, each as its own graph (as a SavedModel keeps one
    /// concrete function per input signature), with each value read on the host as a guard; for a compiled
    /// Module, only the graphs traced in the module's current train/eval mode (call <c>Eval()</c> and the
    /// compiled function before saving a model for inference). The file is a safetensors file: the graphs as
    /// JSON in its metadata, their constants as tensors, and, when <paramref name="includeWeights"/>, the
    /// captured tensors (parameters, buffers, Variables) under their names (a module's parameter names,
    /// else Variable names, else capture0, capture1, ...); without them, Load takes the weights by those names.
    /// Random ops draw from the loading process's global generator. Graph.Cond, WhileLoop and Scan are saved as
    /// one op each with their bodies as graphs of their own (nested at most 16 deep), so the loaded function takes
    /// the branch and runs the iterations each call's data asks for.
    /// </summary>
    /// <exception cref="InvalidOperationException">Nothing was traced yet; a signature runs eagerly; a graph (or a body of its
    /// control flow) holds a step that needs the C# code or the engine's gradient state (a custom function, a backward pass, a .Grad
    /// read or write, a guard on C# state such as an optimizer's step count): a saved function is for inference; or control flow is
    /// nested more than 16 deep.</exception>
    /// <exception cref="NotSupportedException">An op's primitive has a parameter a file cannot hold (a custom function, a tensor).</exception>
    public void Save(string path, bool includeWeights = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var (tensors, metadata) = SaveContents(includeWeights);
        SafeTensors.Save(path, tensors, metadata, wrap: null);
    }

    /// <summary>Writes what <see cref="Save(string, bool)"/> writes to <paramref name="stream"/> (not atomically).</summary>
    public void Save(Stream stream, bool includeWeights = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var (tensors, metadata) = SaveContents(includeWeights);
        SafeTensors.Save(stream, tensors, metadata);
    }

    (Dictionary<string, Tensor>, Dictionary<string, string>) SaveContents(bool includeWeights)
    {
        const string op = "CompiledFunction.Save";
        lock (_gate)
        {
            var modes = _module is null ? null : Signature.Of([], _module).Modules;
            // Graphs of the modules' current train/eval modes: by the signature of a compiled Module, by the mode guards
            // of a function that calls modules.
            var chosen = _traces.Where(t => (modes is null || t.Key.Modules.AsSpan().SequenceEqual(modes))
                && (t.Graph is null || t.Graph.HostGuards.All(g => !GraphFileWriter.IsModuleMode(g) || g.Mismatch() is null))).ToList();
            if (chosen.Count == 0)
                throw Errors.State(op, _traces.Count == 0
                    ? $"{Name} has traced nothing yet; call it with the arguments it will be used with first (tracing runs it)."
                    : $"{Name} has no graph traced in its modules' current train/eval modes; " +
                      "call it once in these modes before saving.");
            if (chosen.FirstOrDefault(t => t.Graph is null) is { } eager)
                throw Errors.State(op, $"{Name} runs eagerly for arguments ({eager.Key}) ({eager.EagerReason}), so there is no graph to save for them.");
            var graphs = chosen.Select(t => (t.Concrete, t.Graph!)).ToList();   // a dynamic graph is saved at its traced sizes
            return GraphFileWriter.Build(Name, _names, graphs, _module, includeWeights);
        }
    }

    /// <summary>
    /// Loads a function <see cref="Save(string, bool)"/> wrote. Weights come from <paramref name="weights"/> by name when
    /// given there (used by reference: later in-place changes to them are seen), else from the file; each must have the
    /// shape, dtype and device it was traced with. The file is validated completely before anything runs: a malformed,
    /// truncated or foreign file is an <see cref="InvalidDataException"/> that names the file and the item.
    /// Besides its structure, types, ids and sizes, every graph, and every body of its Graph.Cond / WhileLoop / Scan ops
    /// on its own, is run once at load time on the reference device (on zeros; bounds-checked managed loops), and each op
    /// must make values of the recorded shapes and dtypes, so parameters that do not suit their inputs never reach the
    /// fast kernels; this costs one reference-speed call per graph and body (a loop is not run to its end).
    /// NB: as with torch.jit.load and tf.saved_model.load, a graph file is a program: load only files you trust.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a valid graph file.</exception>
    /// <exception cref="ArgumentException">A weight is missing (saved without weights and not given) or has another shape, dtype or device.</exception>
    public static LoadedFunction Load(string path, IReadOnlyDictionary<string, Tensor>? weights = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return new LoadedFunction(GraphFileReader.Read(file, path, weights));
    }

    /// <summary>Loads a function from a seekable <paramref name="stream"/> (see <see cref="Load(string, IReadOnlyDictionary{string, Tensor}?)"/>).</summary>
    public static LoadedFunction Load(Stream stream, IReadOnlyDictionary<string, Tensor>? weights = null, string sourceName = "<stream>")
    {
        ArgumentNullException.ThrowIfNull(stream);
        return new LoadedFunction(GraphFileReader.Read(stream, sourceName, weights));
    }
}
