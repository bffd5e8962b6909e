using Nabla.Backends.Reference;

namespace Nabla.Primitives.Write;

/// <summary>
/// Adam's update of one parameter in one pass, writing p, m and v (inputs [p, g, m, v], all of one shape
/// and floating dtype, no AMSGrad), with the per-step scalars in <see cref="Coefficients"/>:
/// d = ±g + p·wd ; m = lerp(m, d, 1−β1) ; v = β2·v + (1−β2)·d·d ; p += m·(−lr/bias1) / (√v / √bias2 + eps).
/// Each backend computes it as the optimizer's tensor expression would, element by element and in the
/// same order and precision (scalars rounded to the dtype first), so the result is bitwise that
/// expression's; it only skips about ten full-size temporaries per parameter.
/// </summary>
internal sealed class AdamStep(AdamStep.Coefficients k) : WritePrimitive
{
    /// <summary>The per-step scalars, as doubles (rounded to the dtype at use, like scalar operands).</summary>
    internal readonly record struct Coefficients(double Lerp, double Beta2, double OneMinusBeta2, double Bias2Sqrt, double Eps, double NegStepSize, double Wd, bool Maximize);

    public Coefficients K => k;

    public override string Name => "adam_step";
    public override int[] Writes => [0, 2, 3];

    public override RefArray Reference(RefArray[] x) => ReferenceOutputs(x)[0];

    /// <summary>The new p, m and v in double precision.</summary>
    public override RefArray[] ReferenceOutputs(RefArray[] x)
    {
        var (p, g, m, v) = (x[0], x[1], x[2], x[3]);
        var (p2, m2, v2) = (RefArray.Zeros(p.Shape), RefArray.Zeros(p.Shape), RefArray.Zeros(p.Shape));
        for (int i = 0; i < p.Count; i++)
        {
            double d = (k.Maximize ? -g.Data[i] : g.Data[i]) + p.Data[i] * k.Wd;
            double mi = m.Data[i] + (d - m.Data[i]) * k.Lerp;
            double vi = v.Data[i] * k.Beta2 + d * k.OneMinusBeta2 * d;
            m2.Data[i] = mi;
            v2.Data[i] = vi;
            p2.Data[i] = p.Data[i] + mi * k.NegStepSize / (Math.Sqrt(vi) / k.Bias2Sqrt + k.Eps);
        }
        return [p2, m2, v2];
    }
}
