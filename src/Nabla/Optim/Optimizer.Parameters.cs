using Nabla.Engine;

namespace Nabla.Optim;

// What an optimizer accepts as a parameter: Variables, or plain tensors PyTorch's optimizers could update in place.
public abstract partial class Optimizer
{
    /// <summary>"'name'" for a variable, "(a tensor)" for a plain tensor: how messages name a parameter.</summary>
    private protected static string Label(Tensor p) => p is Variable v ? $"'{v.Name}'" : "(a tensor)";

    /// <summary>
    /// A plain tensor must be what PyTorch's optimizers can update in place: a floating leaf that requires grad.
    /// Variables are accepted as they are (a frozen one is skipped by Step, as before).
    /// </summary>
    static void CheckParameter(string owner, Tensor p)
    {
        if (p is Variable) return;
        string what = $"a tensor of shape {p.Shape} and dtype {p.DType.TorchName()}";
        if (!p.DType.IsFloating())
            throw Errors.Arg(owner, $"can't optimize {what}: parameters must be floating (Float32 or Float64).");
        if (!p.IsLeaf)
            throw Errors.Arg(owner, $"can't optimize a non-leaf tensor ({what}, made by {p.GradFn?.Name ?? "an op"}): " +
                "pass the tensor you created (Tensor.Randn(...) with RequiresGrad = true), not a result computed from it.");
        if (!p.RequiresGrad)
            throw Errors.Arg(owner, $"can't optimize {what} that does not require grad: set RequiresGrad = true on it first " +
                "(it would never get a gradient).");
    }
}
