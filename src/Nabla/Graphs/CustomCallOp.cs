using System.Runtime.CompilerServices;
using Nabla.Engine;

namespace Nabla.Graphs;

/// <summary>
/// A <see cref="CustomFunction"/> call recorded as one graph op (<see cref="GraphOpKind.Custom"/>), or the
/// backward of one of its outputs. The graph cannot look inside user C# code, so it holds the function
/// (the very instance the trace applied, with whatever the function's fields and closures hold) and runs
/// it again on each run's inputs, as torch.compile keeps an opaque custom op in its graph:
/// <list type="bullet">
/// <item>Forward (<see cref="Forward"/> is null): inputs are the values given to Apply, then the variables a
/// CustomGradient read (dependencies only; its Forward finds them again); outputs are Apply's outputs.</item>
/// <item>Backward: inputs are the gradient of output <see cref="OutputIndex"/> and that call's first output
/// (which finds this run's context of the call); outputs are the input gradients the traced Backward returned.</item>
/// </list>
/// </summary>
internal sealed class CustomCallOp
{
    /// <summary>The function the trace applied.</summary>
    public required CustomFunction Function { get; init; }

    /// <summary>The user's call of Apply.</summary>
    public required string Site { get; init; }

    /// <summary>Backward: the call whose node this is the backward of; null for the call itself.</summary>
    public CustomCallOp? Forward { get; init; }

    /// <summary>Forward: how many op inputs Apply is given (the rest are the variables a CustomGradient read).</summary>
    public int GivenCount { get; init; }

    /// <summary>Forward: the shape and dtype of each output when traced (a run must return the same).</summary>
    public (Shape Shape, DType DType)[] OutputLayouts { get; init; } = [];

    /// <summary>Forward: whether the function changes inputs in place (MarkDirty): an effect, kept in program order.</summary>
    public bool Writes { get; init; }

    /// <summary>Forward: whether the graph holds a backward of this call, so a run keeps its context for it.</summary>
    public bool KeepsContext { get; set; }

    /// <summary>Backward: which output's gradient input 0 is.</summary>
    public int OutputIndex { get; init; }

    /// <summary>
    /// What NeedsInputGrad answered when traced, in the call's Forward (Forward op) or Backward (Backward op): a run
    /// whose forward replays without recording (only a backward inside the graph uses it) answers the same.
    /// </summary>
    public bool[] Needs { get; init; } = [];

    /// <summary>Backward: the input index of each op output (the gradients the traced Backward returned, not null).</summary>
    public int[] GradSlots { get; init; } = [];

    /// <summary>The name in printed graphs and errors.</summary>
    public string Name => Forward is null ? Function.Name : Function.Name + "Backward";

    // This run's context of a forward call, found from the call's first output (a new tensor per run, or the
    // input it changed in place: several calls can change the same tensor, hence the table per call).
    static readonly ConditionalWeakTable<Tensor, Dictionary<CustomCallOp, FunctionContext>> Contexts = new();

    /// <summary>Runs the op on this run's <paramref name="inputs"/> and returns its outputs.</summary>
    public Tensor[] Run(Tensor[] inputs) => Forward is null ? RunForward(inputs) : RunBackward(inputs);

    Tensor[] RunForward(Tensor[] inputs)
    {
        var outputs = CustomCalls.Apply(Function, inputs[..GivenCount], out var ctx, KeepsContext ? Needs : null);
        if (ctx.InputCount != inputs.Length || !ctx.AllInputs.AsSpan(GivenCount).SequenceEqual(inputs.AsSpan(GivenCount), ReferenceEqualityComparer.Instance))
            throw Errors.State(Function.Name, $"the function read {ctx.InputCount - GivenCount} trainable variable(s) in this call but " +
                $"{inputs.Length - GivenCount} when the compiled function was traced (or other ones). Its C# code runs on every call of the compiled " +
                "function and must read the same variables on every call, or pass them as inputs.");
        if (outputs.Length != OutputLayouts.Length)
            throw Errors.State(Function.Name, $"Forward returned {outputs.Length} outputs in this call but {OutputLayouts.Length} when the compiled " +
                "function was traced. Its C# code runs on every call of the compiled function, and must return as many outputs, " +
                "of the same shapes and dtypes, for arguments of the same signature.");
        for (int i = 0; i < outputs.Length; i++)
        {
            var (shape, dtype) = OutputLayouts[i];
            if (!outputs[i].Shape.Equals(shape) || outputs[i].DType != dtype)
                throw Errors.State(Function.Name, $"Forward returned output {i} as {Errors.Describe(outputs[i])} in this call but " +
                    $"{Shape.Format(shape.Span)} {dtype.TorchName()} when the compiled function was traced. Its C# code runs on every call of the " +
                    "compiled function and must give the same shapes and dtypes for arguments of the same signature (what it reads from C# state is not guarded).");
        }
        if (KeepsContext)
        {
            var calls = Contexts.GetOrCreateValue(outputs[0]);
            lock (calls) calls[this] = ctx;
        }
        return outputs;
    }

    Tensor[] RunBackward(Tensor[] inputs)
    {
        var (gy, key) = (inputs[0], inputs[1]);
        FunctionContext? ctx = null;
        if (Contexts.TryGetValue(key, out var calls))
            lock (calls) calls.TryGetValue(Forward!, out ctx);
        if (ctx is null) throw new InvalidOperationException($"internal: no context of {Function.Name} at {Forward!.Site} in this run");
        Tensor?[] gx;
        using (ctx.OverrideNeedsInputGrad(Needs)) gx = CustomCalls.Backward(Function, ctx, OutputIndex, gy);
        var outputs = new Tensor[GradSlots.Length];
        for (int k = 0; k < outputs.Length; k++)
            outputs[k] = gx[GradSlots[k]] ?? throw Errors.State(Name, $"Backward returned null for the gradient of input {GradSlots[k]} in this call, " +
                "but a gradient when the compiled function was traced (the traced graph uses it). Return a gradient for every input that needs one " +
                "(ctx.NeedsInputGrad), the same on every call.");
        return outputs;
    }

    /// <summary>The op's text in a printed graph: <c>custom MyExp(%1)</c>, <c>custom MyExpBackward(%9, of %2)</c>.</summary>
    public string Describe(int[] inputs)
    {
        if (Forward is not null)
            return $"custom {Name}(%{inputs[0]}, for %{inputs[1]}) -> gradients of inputs [{string.Join(", ", GradSlots)}]";
        string Ids(IEnumerable<int> ids) => string.Join(", ", ids.Select(id => $"%{id}"));
        string read = inputs.Length > GivenCount ? $" reads [{Ids(inputs[GivenCount..])}]" : "";
        return $"custom {Name}({Ids(inputs[..GivenCount])}){read}{(Writes ? "  writes in place" : "")}  [C# Forward runs every call]";
    }
}
