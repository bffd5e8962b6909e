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
/// otherwise) and writes slot inputs+k. The results are the slots of the steps <see cref="Outputs"/> names (one or
/// several, all of the program's shape, computed in one pass). Each step is exactly its primitive: the CPU kernel runs a
/// kernel generated for the program from the vector methods the steps' eager kernels use, or the same span kernels tile
/// by tile; the reference and the derivatives run the steps' own rules, output by output (<see cref="OutputRule"/>).
/// </summary>
/// <remarks>
/// NB: the CPU kernel caches its tile plan and generated kernel per <see cref="Operands"/> array (the instances a replay
/// makes share it), so two programs that differ only in <see cref="Outputs"/> must not share that array.
/// </remarks>
internal sealed class FusedElementwise(FusedStep[] steps, int[] operands, double[] scalars, int[] outputs) : Primitive
{
    /// <summary>A program with one result: its last step.</summary>
    public FusedElementwise(FusedStep[] steps, int[] operands, double[] scalars) : this(steps, operands, scalars, [steps.Length - 1]) { }

    public override string Name => "fused_elementwise";

    public override bool MayFailInReplay => false;   // elementwise: total on every value of its dtypes

    /// <summary>The step whose value each output is, in output order (the last step for a one-output program).</summary>
    public int[] Outputs => outputs;

    public override int OutputCount => outputs.Length;

    public override DType[] OutputDTypes(Tensor[] x) => outputs.Length == 1 ? [x[0].DType] : [.. outputs.Select(_ => x[0].DType)];

    /// <summary>Output k's rules: the same program with that one result (a copy of the operands: see the remarks).</summary>
    public override Primitive? OutputRule(int k) =>
        outputs.Length == 1 ? base.OutputRule(k) : new FusedElementwise(steps, (int[])operands.Clone(), scalars, [outputs[k]]);

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
        // The chain rule step by step, backwards from output 0's step, through each step's own Vjp (Tensor ops, so
        // higher orders follow). Output k's rule is OutputRule(k)'s.
        var values = Forward(x, outputs[0]);
        var grads = new Tensor?[values.Length];
        grads[x.Length + outputs[0]] = gy;
        for (int k = outputs[0]; k >= 0; k--)
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
        var values = Forward(x, outputs[0]);
        var tangents = new Tensor?[values.Length];
        Array.Copy(dx, tangents, x.Length);
        for (int k = 0; k <= outputs[0]; k++)
        {
            var (inputs, reads) = StepInputs(k, values);
            var dIn = reads.Select(r => tangents[r]).ToArray();
            if (dIn.All(t => t is null)) continue;
            tangents[x.Length + k] = StepPrimitive(k).Jvp(dIn, inputs, values[x.Length + k]);
        }
        return tangents[x.Length + outputs[0]];
    }

    public override RefArray Reference(RefArray[] x) => ReferenceOutputs(x)[0];

    public override RefArray[] ReferenceOutputs(RefArray[] x)
    {
        var slots = new RefArray[x.Length + steps.Length];
        Array.Copy(x, slots, x.Length);
        for (int k = 0; k < steps.Length; k++)
            slots[x.Length + k] = StepPrimitive(k).Reference(IsBinary(k) ? [slots[operands[2 * k]], slots[operands[2 * k + 1]]] : [slots[operands[2 * k]]]);
        return [.. outputs.Select(k => slots[x.Length + k])];
    }

    /// <summary>The slots' values up to step <paramref name="last"/>, computed by ordinary Tensor ops (each step dispatched as its primitive).</summary>
    Tensor[] Forward(Tensor[] x, int last)
    {
        var values = new Tensor[x.Length + steps.Length];
        Array.Copy(x, values, x.Length);
        for (int k = 0; k <= last; k++)
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
