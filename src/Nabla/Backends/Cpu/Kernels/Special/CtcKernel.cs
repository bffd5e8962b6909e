using Nabla.Backends.Reference;
using Nabla.Primitives.Special;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// <see cref="CtcLoss"/> and <see cref="CtcLossGrad"/> on the CPU: the inputs read as doubles, <see cref="CtcAlgorithm"/>
/// (the references' own algorithm, double accumulation), the result rounded to the input's dtype. Samples run one
/// after another: T·(2S + 1) work each, small beside the network that produced the log-probabilities.
/// </summary>
internal static class CtcKernel
{
    public static Tensor Loss(CtcLoss op, Tensor[] x)
    {
        var nll = CtcAlgorithm.NegativeLogLikelihood(Problem(x[0], x[1], x[2], x[3], op.Blank, op.Concatenated));
        return Output(x[0].DType, [x[0].Shape[1]], nll);
    }

    public static Tensor Grad(CtcLossGrad op, Tensor[] x)
    {
        var grad = CtcAlgorithm.Gradient(Problem(x[1], x[2], x[3], x[4], op.Blank, op.Concatenated), Doubles(x[0]), op.ZeroInfinity);
        return Output(x[1].DType, x[1].Shape.ToArray(), grad);
    }

    static CtcAlgorithm.Problem Problem(Tensor lp, Tensor targets, Tensor inputLengths, Tensor targetLengths, int blank, bool concatenated) =>
        new(Doubles(lp), lp.Shape[0], lp.Shape[1], lp.Shape[2], IndexOffsets.Values(targets), concatenated,
            concatenated || targets.Rank < 2 ? 0 : targets.Shape[1], IndexOffsets.Values(inputLengths), IndexOffsets.Values(targetLengths), blank);

    static double[] Doubles(Tensor t)
    {
        if (t.DType == DType.Float64)
        {
            var d = new double[t.NumElements];
            if (d.Length > 0) CopyKernel.CopyInto(t, d, 0);
            return d;
        }
        var f = new float[t.NumElements];
        if (f.Length > 0) CopyKernel.CopyInto(t, f, 0);
        return Array.ConvertAll(f, v => (double)v);
    }

    static Tensor Output(DType dtype, int[] shape, double[] values)
    {
        var y = CpuTensor.Empty(dtype, new Shape(shape));
        if (dtype == DType.Float64) values.CopyTo(y.Data<double>(), 0);
        else
        {
            var dst = y.Data<float>();
            for (int i = 0; i < values.Length; i++) dst[i] = (float)values[i];
        }
        return y;
    }
}
