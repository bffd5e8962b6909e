using Nabla.NN;

namespace Nabla;

/// <summary>
/// Graph mode: <see cref="Compile(Func{Tensor, Tensor}, CompileOptions?)"/> turns a function of tensors into a
/// <see cref="CompiledFunction"/> that traces it once per signature (by running it, as tf.function's first
/// call or torch.jit.trace) and replays the recorded graph afterwards. Replays go through the same
/// dispatch as eager code, so gradients (Backward, tapes, Autograd.Grad, forward mode) flow through them.
/// Host reads inside the function (Item, ToArray, printing) become guards: a different value retraces,
/// so a C# branch on a tensor value is never silently frozen. C# side effects of the function (Console
/// output, counters, list appends) happen only while it is traced; tensor side effects (in-place updates of
/// captured tensors, Variable.Assign, an optimizer's Step) happen on every call.
/// </summary>
/// <example><code>
/// var f = Graph.Compile((Tensor x, Tensor w) => (x.MatMul(w)).Relu().Sum());
/// var y = f.Call(x, w);         // traces
/// var z = f.Call(x2, w);        // replays when x2 has x's shape, dtype and device
/// Console.WriteLine(f.Explain());
/// </code></example>
public static partial class Graph
{
    static volatile bool _runEagerly;

    /// <summary>
    /// When true, every compiled function runs its C# code eagerly (no tracing, no replay), as
    /// tf.config.run_functions_eagerly(True): for debugging with breakpoints and prints.
    /// </summary>
    public static bool RunEagerly { get => _runEagerly; set => _runEagerly = value; }

    /// <summary>Compiles a function of one tensor.</summary>
    public static CompiledFunction<Func<Tensor, Tensor>> Compile(Func<Tensor, Tensor> f, CompileOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        return new(NameOf(f), a => [f(a[0])], NamesOf(f, 1), null, options, run => x => run([x])[0]);
    }

    /// <summary>Compiles a function of two tensors.</summary>
    public static CompiledFunction<Func<Tensor, Tensor, Tensor>> Compile(Func<Tensor, Tensor, Tensor> f, CompileOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        return new(NameOf(f), a => [f(a[0], a[1])], NamesOf(f, 2), null, options, run => (x, y) => run([x, y])[0]);
    }

    /// <summary>Compiles a function of three tensors.</summary>
    public static CompiledFunction<Func<Tensor, Tensor, Tensor, Tensor>> Compile(Func<Tensor, Tensor, Tensor, Tensor> f, CompileOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        return new(NameOf(f), a => [f(a[0], a[1], a[2])], NamesOf(f, 3), null, options, run => (x, y, z) => run([x, y, z])[0]);
    }

    /// <summary>Compiles a function of four tensors.</summary>
    public static CompiledFunction<Func<Tensor, Tensor, Tensor, Tensor, Tensor>> Compile(Func<Tensor, Tensor, Tensor, Tensor, Tensor> f, CompileOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        return new(NameOf(f), a => [f(a[0], a[1], a[2], a[3])], NamesOf(f, 4), null, options, run => (x, y, z, w) => run([x, y, z, w])[0]);
    }

    /// <summary>Compiles a function of any number of tensors returning any number (the count is part of the signature).</summary>
    public static CompiledFunction<Func<Tensor[], Tensor[]>> Compile(Func<Tensor[], Tensor[]> f, CompileOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        return new(NameOf(f), a => f(a) ?? throw new InvalidOperationException($"{NameOf(f)} returned null instead of an array of tensors."),
            [], null, options, run => xs => run(xs ?? throw new ArgumentNullException(nameof(xs))));
    }

    /// <summary>
    /// Compiles <paramref name="module"/>'s <see cref="Module.Call"/> (hooks included). The train/eval mode
    /// of the module and of each submodule is part of the signature: switching it retraces.
    /// </summary>
    public static CompiledFunction<Func<Tensor, Tensor>> Compile(Module module, CompileOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        return new(module.GetType().Name, a => [module.Call(a[0])], ["x"], module, options, run => x => run([x])[0]);
    }

    /// <summary>"Outer (lambda)" for a lambda in Outer, else the method's name.</summary>
    static string NameOf(Delegate f)
    {
        var name = f.Method.Name;
        return name.StartsWith('<') && name.IndexOf('>') is > 1 and var close ? $"{name[1..close]} (lambda)" : name;
    }

    static string[] NamesOf(Delegate f, int count)
    {
        System.Reflection.ParameterInfo[] ps = f.Method.GetParameters();
        // A closed delegate over a static method may carry its target as an extra first parameter.
        var named = ps.Skip(ps.Length - count).Select((p, i) => p.Name is { Length: > 0 } n ? n : $"arg{i}").ToArray();
        return named.Length == count ? named : [.. Enumerable.Range(0, count).Select(i => $"arg{i}")];
    }

    /// <summary>Whether a compiled function is being traced in this flow (callers skip building guards otherwise).</summary>
    internal static bool IsTracing => Graphs.Tracer.Running() is not null;

    /// <summary>
    /// Called by code that reads C# state a compiled graph would otherwise bake in (an optimizer's step
    /// counts, learning rates, which buffers exist), only while <see cref="IsTracing"/>: each replay first
    /// checks <paramref name="probe"/> against its value now and retraces when it differs.
    /// </summary>
    internal static void GuardHostState(string what, Func<string[]> probe)
    {
        foreach (var tracer in Graphs.Tracer.Running() ?? []) tracer.GuardHostState(what, probe);
    }
}
