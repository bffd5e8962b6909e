using Nabla.Engine;

namespace Nabla;

/// <summary>
/// The node put after an <c>OnceDifferentiable</c> function's backward when that backward is itself
/// recorded (PyTorch's DelayedError): its outputs are the gradients unchanged, connected to every tracked
/// tensor the gradients would have depended on, and differentiating through it throws an error naming the function.
/// </summary>
internal sealed class DelayedError(string function, int passed) : CustomFunction
{
    public override string Name => "DelayedError";

    /// <summary>
    /// <paramref name="gx"/> with each gradient passed through a DelayedError node whose inputs are the
    /// tracked output gradients and function inputs; <paramref name="gx"/> itself when none is tracked.
    /// </summary>
    public static Tensor?[] Guard(string function, FunctionContext ctx, Tensor?[] grads, Tensor?[] gx)
    {
        static bool Tracked(Tensor? t) => t is not null && t.DType.IsFloating() && (t.RequiresGrad || Tapes.Follows(t));
        var tracked = grads.Where(Tracked).Concat(ctx.AllInputs.Where(Tracked)).Select(t => t!).ToArray();
        var slots = Enumerable.Range(0, gx.Length).Where(i => gx[i] is not null).ToArray();
        if (tracked.Length == 0 || slots.Length == 0) return gx;
        var outputs = new DelayedError(function, slots.Length).ApplyAll([.. slots.Select(i => gx[i]!), .. tracked]);
        var result = (Tensor?[])gx.Clone();
        for (int k = 0; k < slots.Length; k++) result[slots[k]] = outputs[k];
        return result;
    }

    protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs) => inputs[..passed];

    protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs) =>
        throw Errors.State(function + "Backward",
            $"trying to differentiate twice a function that was marked OnceDifferentiable ('{function}'): its Backward ran " +
            "without recording, so its gradients can't be differentiated again. Remove OnceDifferentiable if Backward is written " +
            "with differentiable Tensor ops, or don't ask for a higher derivative through it (createGraph, a Hessian, nested tapes).");
}
