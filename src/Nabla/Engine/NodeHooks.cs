namespace Nabla.Engine;

/// <summary>
/// Runs the hooks attached to a graph node during backward, in the order PyTorch's engine uses, and
/// checks what they return: a hook may change a gradient's values, never its shape or dtype.
/// </summary>
/// <remarks>
/// Order at one node: tensor hooks (<see cref="Tensor.RegisterHook"/>), then the retains-grad update,
/// then node pre-hooks, then the node itself, then node post hooks. Hooks of one kind run in
/// registration order and each sees what the previous one returned. Each kind runs over a snapshot of
/// its list, so a hook that removes itself (or another) does not disturb the running pass.
/// </remarks>
internal static class NodeHooks
{
    /// <summary>The tensor hooks, then the retains-grad updates, on the gradient <paramref name="node"/> received.</summary>
    public static Tensor RunTensorHooks(GradNode node, Tensor g)
    {
        if (node.TensorHooks is { Count: > 0 } hooks)
            foreach (var hook in hooks.ToArray())
                if (hook(g) is { } replaced) g = CheckTensorHook(node, g, replaced);
        if (node.RetainsGradHooks is { Count: > 0 } retains)
            foreach (var retain in retains.ToArray()) retain(g);
        return g;
    }

    /// <summary>The node pre-hooks; a null result means the node receives no gradient.</summary>
    public static Tensor? RunPreHooks(GradNode node, Tensor? g)
    {
        if (node.PreHooks is not { Count: > 0 } hooks) return g;
        foreach (var hook in hooks.ToArray())
        {
            if (hook([g]) is not { } replaced) continue;
            if (replaced.Length != 1)
                throw Errors.State("GradNode.RegisterPrehook",
                    $"a pre-hook on {node.Name} returned {replaced.Length} gradients, but the node has one output; " +
                    "return a one-element array (or null to keep the gradient).");
            g = replaced[0] is { } r ? Check("GradNode.RegisterPrehook", $"a pre-hook on {node.Name}", "its gradient", node.GradShape, node.GradDType, r) : null;
        }
        return g;
    }

    /// <summary>The node post hooks on the gradients the node computed for its inputs (<paramref name="gxs"/>, one per next edge).</summary>
    public static Tensor?[] RunPostHooks(GradNode node, Tensor?[] gxs, Tensor? gy)
    {
        if (node.PostHooks is not { Count: > 0 } hooks) return gxs;
        foreach (var hook in hooks.ToArray())
        {
            // Each hook gets its own arrays, so one that writes into them cannot change what others see.
            if (hook((Tensor?[])gxs.Clone(), [gy]) is not { } replaced) continue;
            if (replaced.Length != gxs.Length)
                throw Errors.State("GradNode.RegisterHook",
                    $"a hook on {node.Name} returned {replaced.Length} gradients for a node with {gxs.Length} inputs; " +
                    "return one entry per input (null for none), or null to keep the gradients.");
            var next = new Tensor?[gxs.Length];
            for (int i = 0; i < next.Length; i++)
            {
                // A gradient for an input that needs none goes nowhere (PyTorch drops it too), so it is not checked.
                if (replaced[i] is not { } r || node.Next[i] is not { } receiver) continue;
                var shape = gxs[i]?.Shape ?? receiver.GradShape;
                var dtype = gxs[i]?.DType ?? receiver.GradDType;
                next[i] = Check("GradNode.RegisterHook", $"a hook on {node.Name}", $"the gradient of input {i}", shape, dtype, r);
            }
            gxs = next;
        }
        return gxs;
    }

    static Tensor CheckTensorHook(GradNode node, Tensor g, Tensor replaced)
    {
        string of = node is AccumulateGrad acc ? $"a leaf {Errors.Describe(acc.Leaf)}" : $"the output of {node.Name.Replace("Backward", "")}";
        return Check("Tensor.RegisterHook", $"a hook on the gradient of {of}", "a gradient", g.Shape, g.DType, replaced);
    }

    static Tensor Check(string op, string who, string what, Shape shape, DType dtype, Tensor replaced)
    {
        if (replaced.Shape.Equals(shape) && replaced.DType == dtype) return replaced;
        throw Errors.State(op,
            $"{who} returned {Errors.Describe(replaced)} for {what}, which is {Shape.Format(shape.Span)} {dtype.TorchName()}; " +
            "a hook must return a tensor of the same shape and dtype (or null to keep the gradient).");
    }
}
