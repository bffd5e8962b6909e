using Nabla.Backends.Reference;
using Nabla.Primitives.Special;

namespace Nabla.Primitives.Elementwise;

/// <summary>The elementwise primitive one step of a <see cref="FusedElementwise"/> program runs.</summary>
internal enum FusedStep
{
    Add, Sub, Mul, Div, Maximum, Minimum, Pow,
    Neg, Abs, Relu, Sqrt, Exp, Log, Sin, Cos, Tan, Tanh, Sigmoid, Erf, Gelu, PowScalar,
}

/// <summary>
/// A chain of elementwise ops on one float dtype and one shape as one op (made by the graph pass
/// <c>ElementwiseFusion</c>, never by user code): a small program held as plain data, so a graph file can save it.
/// Slots 0..inputs-1 are the op's inputs; step k reads <see cref="Operands"/>[2k] (and [2k+1] for a binary step, -1
/// otherwise) and writes slot inputs+k; the last step's slot is the result. Each step is exactly its primitive: the
/// CPU kernel runs a kernel generated for the program from the vector methods the steps' eager kernels use, or the same
/// span kernels tile by tile; the reference and the derivatives run the steps' own rules.
/// </summary>
internal sealed class FusedElementwise(FusedStep[] steps, int[] operands, double[] scalars) : Primitive
{
    public override string Name => "fused_elementwise";

    /// <summary>The primitive of each step, in order.</summary>
    public FusedStep[] Steps => steps;

    /// <summary>Two slots per step: what it reads (-1: no second operand).</summary>
    public int[] Operands => operands;

    /// <summary>Per step: its scalar parameter (PowScalar's exponent; 0 for the others).</summary>
    public double[] Scalars => scalars;

    /// <summary>The primitive step <paramref name="k"/> runs, a fresh instance.</summary>
    public Primitive StepPrimitive(int k) => steps[k] switch
    {
        FusedStep.Add => new Add(),
        FusedStep.Sub => new Sub(),
        FusedStep.Mul => new Mul(),
        FusedStep.Div => new Div(),
        FusedStep.Maximum => new Maximum(),
        FusedStep.Minimum => new Minimum(),
        FusedStep.Pow => new Pow(),
        FusedStep.Neg => new Neg(),
        FusedStep.Abs => new Abs(),
        FusedStep.Relu => new Relu(),
        FusedStep.Sqrt => new Sqrt(),
        FusedStep.Exp => new Exp(),
        FusedStep.Log => new Log(),
        FusedStep.Sin => new Sin(),
        FusedStep.Cos => new Cos(),
        FusedStep.Tan => new Tan(),
        FusedStep.Tanh => new Tanh(),
        FusedStep.Sigmoid => new Sigmoid(),
        FusedStep.Erf => new Erf(),
        FusedStep.Gelu => new Gelu(),
        FusedStep.PowScalar => new PowScalar(scalars[k]),
        _ => throw new ArgumentOutOfRangeException(nameof(k), $"internal: unknown fused step {steps[k]}"),
    };

    /// <summary>Whether step <paramref name="k"/> reads two slots.</summary>
    public bool IsBinary(int k) => operands[2 * k + 1] >= 0;

    /// <summary>How many inputs the program reads (slots below the first step's).</summary>
    public int InputCount(int slots) => slots - steps.Length;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs)
    {
        // The chain rule step by step, backwards, through each step's own Vjp (Tensor ops, so higher orders follow).
        var values = Forward(x);
        var grads = new Tensor?[values.Length];
        grads[^1] = gy;
        for (int k = steps.Length - 1; k >= 0; k--)
        {
            int slot = x.Length + k;
            if (grads[slot] is not { } g) continue;
            var (inputs, reads) = StepInputs(k, values);
            var stepGrads = StepPrimitive(k).Vjp(g, inputs, values[slot], [.. reads.Select(_ => true)]);
            for (int i = 0; i < reads.Length; i++)
                if (stepGrads[i] is { } part) grads[reads[i]] = grads[reads[i]] is { } sum ? sum + part : part;
        }
        return grads[..x.Length];
    }

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y)
    {
        var values = Forward(x);
        var tangents = new Tensor?[values.Length];
        Array.Copy(dx, tangents, x.Length);
        for (int k = 0; k < steps.Length; k++)
        {
            var (inputs, reads) = StepInputs(k, values);
            var dIn = reads.Select(r => tangents[r]).ToArray();
            if (dIn.All(t => t is null)) continue;
            tangents[x.Length + k] = StepPrimitive(k).Jvp(dIn, inputs, values[x.Length + k]);
        }
        return tangents[^1];
    }

    public override RefArray Reference(RefArray[] x)
    {
        var slots = new RefArray[x.Length + steps.Length];
        Array.Copy(x, slots, x.Length);
        for (int k = 0; k < steps.Length; k++)
            slots[x.Length + k] = StepPrimitive(k).Reference(IsBinary(k) ? [slots[operands[2 * k]], slots[operands[2 * k + 1]]] : [slots[operands[2 * k]]]);
        return slots[^1];
    }

    /// <summary>Every slot's value, computed by ordinary Tensor ops (each step dispatched as its primitive).</summary>
    Tensor[] Forward(Tensor[] x)
    {
        var values = new Tensor[x.Length + steps.Length];
        Array.Copy(x, values, x.Length);
        for (int k = 0; k < steps.Length; k++)
        {
            var (inputs, _) = StepInputs(k, values);
            values[x.Length + k] = Engine.Dispatch.Call(StepPrimitive(k), inputs);
        }
        return values;
    }

    (Tensor[] Inputs, int[] Reads) StepInputs(int k, Tensor[] values)
    {
        int[] reads = IsBinary(k) ? [operands[2 * k], operands[2 * k + 1]] : [operands[2 * k]];
        return ([.. reads.Select(r => values[r])], reads);
    }
}
