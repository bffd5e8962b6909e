using Nabla.Engine;
using Nabla.Primitives.Custom;

namespace Nabla;

/// <summary>
/// A differentiable function with hand-written derivatives (PyTorch's <c>torch.autograd.Function</c>):
/// override <see cref="Forward"/> (runs with recording off) and <see cref="Backward"/> (one gradient
/// per input, null where none), and optionally <see cref="Jvp"/> for forward mode. Write
/// <see cref="Backward"/> with Tensor ops and it can be differentiated again (createGraph, nested
/// tapes). Works with both front ends: <c>Backward()</c>/<c>Autograd.Grad</c> and <c>GradientTape</c>.
/// </summary>
/// <example><code>
/// sealed class MyExp : CustomFunction
/// {
///     protected override Tensor[] Forward(FunctionContext ctx, Tensor[] x)
///     {
///         var y = x[0].Exp();
///         ctx.SaveForBackward(y);
///         return [y];
///     }
///     protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gy) => [gy[0] * ctx.SavedTensors[0]];
/// }
/// var y = new MyExp().Apply(x);
/// </code></example>
public abstract partial class CustomFunction
{
    /// <summary>Name used in <see cref="Tensor.GradFn"/> (<c>NameBackward</c>) and in errors; the class name by default.</summary>
    public virtual string Name => GetType().Name;

    /// <summary>Computes the outputs from the inputs (recording is off; don't call <see cref="Apply"/> recursively on the same instance's state).</summary>
    protected abstract Tensor[] Forward(FunctionContext ctx, Tensor[] inputs);

    /// <summary>
    /// Given the gradient of every output (zeros for outputs that received none, or null after
    /// <c>ctx.SetMaterializeGrads(false)</c>), returns the gradient of every input (null for inputs with
    /// none), each shaped like its input. Each differentiable output has its own graph node, so Backward
    /// runs once per output that received a gradient, with the others' entries zero (or null); by
    /// linearity the input gradients sum to those of one call with all of them.
    /// </summary>
    protected abstract Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs);

    /// <summary>
    /// Forward mode: the tangent of every output given the inputs' tangents (null = zero). The default
    /// derives it from <see cref="Backward"/> by differentiating it once more (needs Backward written
    /// with Tensor ops and linear in its gradients); override it when that does not hold.
    /// </summary>
    protected virtual Tensor?[] Jvp(FunctionContext ctx, Tensor?[] inputTangents) => JvpFromBackward(ctx, inputTangents);

    /// <summary>
    /// Whether <see cref="Forward"/> runs recorded (the caller's grad mode and forward-mode levels) instead
    /// of under NoGrad. TF's custom_gradient does: its gradient function may use the forward's
    /// intermediates, which must stay connected to the inputs (and carry their tangents) for the gradient
    /// to be differentiable again. The outputs still get the custom rules.
    /// </summary>
    internal virtual bool RecordsForward => false;

    /// <summary>Applies a function with one output.</summary>
    public Tensor Apply(params Tensor[] inputs)
    {
        var outputs = ApplyAll(inputs);
        if (outputs.Length != 1)
            throw Errors.State(Name, $"Forward returned {outputs.Length} outputs; use ApplyAll for functions with several outputs.");
        return outputs[0];
    }

    /// <summary>
    /// Marks <see cref="Backward"/> as differentiable once only (PyTorch's <c>@once_differentiable</c>):
    /// it then runs under no-grad, so it may use ops without derivative rules, and asking for a higher
    /// derivative through it (createGraph then a second gradient, a Hessian, nested tapes) throws an error
    /// naming this function when that second gradient reaches it. Forward mode then needs a <see cref="Jvp"/> override.
    /// </summary>
    protected virtual bool OnceDifferentiable => false;

    /// <summary>
    /// Applies the function and returns all its outputs. Inside a compiled function (<c>Graph.Compile</c>)
    /// the call is one graph op: every call of the compiled function runs <see cref="Forward"/> again on
    /// that call's inputs (unlike other C# code there, which runs only while tracing).
    /// </summary>
    public Tensor[] ApplyAll(params Tensor[] inputs) => Graphs.CustomCalls.Apply(this, inputs, out _);

    /// <summary>
    /// The call as eager code makes it (<see cref="ApplyAll"/> outside a trace), and the context it recorded.
    /// <paramref name="needs"/>: what <see cref="FunctionContext.NeedsInputGrad"/> answers for this call (a graph
    /// replay whose forward runs unrecorded but whose backward is in the graph); null: as recording decides.
    /// </summary>
    internal Tensor[] ApplyEagerly(Tensor[] inputs, out FunctionContext context, bool[]? needs = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        for (int i = 0; i < inputs.Length; i++)
            if (inputs[i] is null) throw Errors.Arg(Name, $"input {i} is null.");
        var ctx = context = new FunctionContext(Name, inputs);
        if (needs is not null) ctx.OverrideNeedsInputGrad(needs);   // for the context's life: its backward sees the same
        Tensor[] outputs;
        using (RecordsForward ? null : Autograd.NoGrad())
        using (RecordsForward ? null : ForwardMode.Suspend())
            outputs = Forward(ctx, inputs) ?? throw Errors.State(Name, "Forward returned null.");
        if (outputs.Length == 0) throw Errors.State(Name, "Forward returned no outputs.");
        for (int i = 0; i < outputs.Length; i++)
            if (outputs[i] is null) throw Errors.State(Name, $"Forward returned null for output {i}.");
        // The inputs the call is recorded with: those given, plus any the function added (the variables a
        // TF-style custom gradient read).
        var all = ctx.AllInputs;
        bool recorded = GradMode.Enabled && Array.Exists(all, x => x.RequiresGrad || Tapes.Follows(x));
        MarkDirtyInputs(ctx, outputs, recorded);
        var standIns = StandInsForDirtyViews(ctx, outputs, recorded);
        for (int i = 0; i < outputs.Length; i++)
        {
            // A changed input is returned as itself: its history moves to this function's node (PyTorch's rebase);
            // a changed view's base gets the history instead (below).
            if (ctx.IsDirty(outputs[i])) continue;
            // An output that is an input object (or, for a recorded forward, a tensor with its own history or
            // tangents) must become its own tensor, or recording would rewrite that tensor's history.
            if (outputs[i].GradFn is not null || outputs[i].CurrentTangents is not null || Array.Exists(all, x => ReferenceEquals(x, outputs[i])))
            {
                bool nonDiff = ctx.IsNonDifferentiable(outputs[i]);
                outputs[i] = outputs[i].View(outputs[i].Shape, outputs[i].Strides, outputs[i].Offset);
                if (nonDiff) ctx.MarkNonDifferentiable(outputs[i]);
            }
        }
        ctx.PackSaved();
        ctx.Outputs = outputs;
        for (int i = 0; i < outputs.Length; i++)
            if (!ctx.IsNonDifferentiable(outputs[i]) && outputs[i].DType.IsFloating())
                Dispatch.Record(new CustomOutput(this, ctx, i), all, standIns[i] ?? outputs[i]);
        RewriteBasesOfDirtyViews(outputs, standIns, all);
        return outputs;
    }

    internal Tensor?[] RunBackward(FunctionContext ctx, int index, Tensor gy)
    {
        var grads = new Tensor[ctx.Outputs.Length];
        for (int k = 0; k < grads.Length; k++)
            grads[k] = k == index ? gy
                : ctx.MaterializeGrads ? Tensor.Zeros(ctx.Outputs[k].Shape.ToArray(), ctx.Outputs[k].DType.IsFloating() ? ctx.Outputs[k].DType : gy.DType)
                : null!;  // SetMaterializeGrads(false): PyTorch passes None for an output that got no gradient
        // Grad mode is on here only when this backward is itself recorded (createGraph, a recording tape).
        bool higherOrder = GradMode.Enabled;
        Tensor?[]? gx;
        if (OnceDifferentiable)
            using (Autograd.NoGrad()) gx = Backward(ctx, grads);
        else gx = Backward(ctx, grads);
        if (gx is null) throw Errors.State(Name + "Backward", "Backward returned null; return one gradient (or null) per input.");
        if (gx.Length != ctx.InputCount)
            throw Errors.State(Name + "Backward", $"Backward returned {gx.Length} gradients for {ctx.InputCount} inputs; return one per input (null for none).");
        for (int i = 0; i < gx.Length; i++)
        {
            if (gx[i] is not { } g) continue;
            var input = ctx.Input(i);
            if (!g.Shape.Equals(input.Shape))
                throw Errors.State(Name + "Backward", $"the gradient of input {i} has shape {g.Shape} but the input has shape {input.Shape}.");
            if (g.DType != input.DType && input.DType.IsFloating()) gx[i] = g.To(input.DType);
        }
        return OnceDifferentiable && higherOrder ? DelayedError.Guard(Name, ctx, grads, gx) : gx;
    }

    internal Tensor? RunJvp(FunctionContext ctx, int index, Tensor?[] dx)
    {
        var dy = Jvp(ctx, dx) ?? throw Errors.State(Name, "Jvp returned null; return one tangent (or null) per output.");
        if (dy.Length != ctx.Outputs.Length)
            throw Errors.State(Name, $"Jvp returned {dy.Length} tangents for {ctx.Outputs.Length} outputs.");
        return dy[index];
    }

    Tensor?[] JvpFromBackward(FunctionContext ctx, Tensor?[] dx)
    {
        // J·v = d/du <Jᵀu, v>: Backward is linear in u, so differentiating it once more gives the JVP.
        if (OnceDifferentiable)
            throw Errors.State(Name, "forward mode: this function is OnceDifferentiable, so its JVP can't be derived by " +
                "differentiating Backward; override Jvp(ctx, inputTangents).");
        var result = new Tensor?[ctx.Outputs.Length];
        using var grad = Autograd.EnableGrad();
        // Backward may skip inputs that need no gradient; here the inputs that carry a tangent do.
        using var needs = ctx.OverrideNeedsInputGrad(Array.ConvertAll(dx, v => v is not null));
        for (int k = 0; k < result.Length; k++)
        {
            if (!ctx.Outputs[k].DType.IsFloating()) continue;
            var u = Tensor.Zeros(ctx.Outputs[k].Shape.ToArray(), ctx.Outputs[k].DType, requiresGrad: true);
            var gx = RunBackward(ctx, k, u);
            Tensor? inner = null;
            for (int i = 0; i < gx.Length; i++)
                if (gx[i] is { } g && dx[i] is { } v)
                    inner = inner is null ? (g * v).Sum() : inner + (g * v).Sum();
            if (inner is null || !inner.RequiresGrad) continue;
            result[k] = Autograd.Grad(inner, u, allowUnused: true)
                ?? throw Errors.State(Name,
                    "forward mode needs a Jvp: the default derives it from Backward, which must be written with Tensor ops " +
                    "(differentiable in its gradient argument). Override Jvp(ctx, inputTangents).");
        }
        return result;
    }
}
