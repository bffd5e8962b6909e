using Nabla.Backends.Reference;

namespace Nabla.Primitives.Custom;

/// <summary>
/// The graph record of output <c>index</c> of a <see cref="CustomFunction"/> call. Each differentiable
/// output gets its own node; by linearity, calling the user's Backward once per output that received a
/// gradient (zeros for the others) sums to the same input gradients as one call with all of them.
/// </summary>
internal sealed class CustomOutput(CustomFunction function, FunctionContext ctx, int index) : Primitive
{
    public override string Name => function.Name;
    public override string GradName => function.Name + "Backward";

    // The user's context saves (and version-checks) what Backward needs.
    public override bool SavesInputs => false;


    // Inside a compiled function's trace, the backward of a call recorded as one graph op is one op too (CustomCalls).
    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => Graphs.CustomCalls.Backward(function, ctx, index, gy);

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => function.RunJvp(ctx, index, dx);

    public override bool HasReference => false;

    public override RefArray Reference(RefArray[] x) =>
        throw new NotSupportedException($"{function.Name}: a custom function has no reference implementation.");

    public override void Release() => ctx.Release();
}
