namespace Nabla.Tests.Custom;

/// <summary>exp(x), saving its output for backward (PyTorch's docs example); Backward uses Tensor ops, so it is twice differentiable.</summary>
internal sealed class MyExp : CustomFunction
{
    public int ForwardCalls, BackwardCalls;

    protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs)
    {
        ForwardCalls++;
        var y = inputs[0].Exp();
        ctx.SaveForBackward(y);
        return [y];
    }

    protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs)
    {
        BackwardCalls++;
        return [gradOutputs[0] * ctx.SavedTensors[0]];
    }
}

/// <summary>
/// Row maxima of x * w (x: [n, m], w: [m]) and their column indices: two inputs, two outputs, the
/// indices marked non-differentiable. Records what NeedsInputGrad said in forward and backward.
/// </summary>
internal sealed class ScaledRowMax : CustomFunction
{
    public bool[]? NeedsInForward, NeedsInBackward;

    public override string Name => "ScaledRowMax";

    protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs)
    {
        var (x, w) = (inputs[0], inputs[1]);
        NeedsInForward = [ctx.NeedsInputGrad(0), ctx.NeedsInputGrad(1)];
        var p = x * w;
        var idx = p.ArgMax(1);
        var values = p.Max(1);
        ctx.MarkNonDifferentiable(idx);
        ctx.SaveForBackward(x, w, idx);
        return [values, idx];
    }

    protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs)
    {
        NeedsInBackward = [ctx.NeedsInputGrad(0), ctx.NeedsInputGrad(1)];
        var (x, w, idx) = (ctx.SavedTensors[0], ctx.SavedTensors[1], ctx.SavedTensors[2]);
        // d values_r / d p_rc = [c == idx_r]
        var oneHot = Tensor.Arange(x.Shape[1], DType.Int64).Eq(idx.Unsqueeze(1)).To(x.DType);
        var gp = oneHot * gradOutputs[0].Unsqueeze(1);
        return [ctx.NeedsInputGrad(0) ? gp * w : null, ctx.NeedsInputGrad(1) ? (gp * x).Sum(0) : null];
    }
}

/// <summary>Two differentiable outputs (sin x, cos x) from one input.</summary>
internal sealed class SinCos : CustomFunction
{
    public int BackwardCalls;

    protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs)
    {
        ctx.SaveForBackward(inputs[0]);
        return [inputs[0].Sin(), inputs[0].Cos()];
    }

    protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs)
    {
        BackwardCalls++;
        var x = ctx.SavedTensors[0];
        return [gradOutputs[0] * x.Cos() - gradOutputs[1] * x.Sin()];
    }
}

/// <summary>c · x² with the constant c kept in <see cref="FunctionContext.Items"/>.</summary>
internal sealed class ScaledSquare(double c) : CustomFunction
{
    protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs)
    {
        ctx.Items["c"] = c;
        ctx.SaveForBackward(inputs[0]);
        return [inputs[0] * inputs[0] * c];
    }

    protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs) =>
        [gradOutputs[0] * ctx.SavedTensors[0] * (2 * (double)ctx.Items["c"]!)];
}

/// <summary>x · c for two inputs, saving both (c is usually a constant).</summary>
internal sealed class MulSaved : CustomFunction
{
    protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs)
    {
        ctx.SaveForBackward(inputs[0], inputs[1]);
        return [inputs[0] * inputs[1]];
    }

    protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs) =>
        [gradOutputs[0] * ctx.SavedTensors[1], gradOutputs[0] * ctx.SavedTensors[0]];
}

/// <summary>x³ with an overridden Jvp (3x²·v), counted so a test can tell the override ran.</summary>
internal sealed class CubeWithJvp : CustomFunction
{
    public int JvpCalls;

    protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs)
    {
        ctx.SaveForBackward(inputs[0]);
        return [inputs[0] * inputs[0] * inputs[0]];
    }

    protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs)
    {
        var x = ctx.SavedTensors[0];
        return [gradOutputs[0] * x * x * 3.0];
    }

    protected override Tensor?[] Jvp(FunctionContext ctx, Tensor?[] inputTangents)
    {
        JvpCalls++;
        var x = ctx.SavedTensors[0];
        return [inputTangents[0] is { } v ? x * x * v * 3.0 : null];
    }
}

/// <summary>Returns a configurable wrong set of gradients, to test the checks on Backward's result.</summary>
internal sealed class BadBackward(Func<Tensor, Tensor?[]> backward) : CustomFunction
{
    public override string Name => "Faulty";

    protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs) => [inputs[0] * 2.0];

    protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs) => backward(gradOutputs[0]);
}

/// <summary>Returns its input unchanged (the engine must give the output its own graph record).</summary>
internal sealed class Identity : CustomFunction
{
    protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs) => [inputs[0]];

    protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs) => [gradOutputs[0] * 5.0];
}
