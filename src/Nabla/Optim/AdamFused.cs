using System.Runtime.InteropServices;
using System.Numerics;
using Nabla.Engine;

namespace Nabla.Optim;

/// <summary>
/// Adam's update in one pass over the raw arrays, for the common case (no AMSGrad; contiguous parameter,
/// gradient and state of one floating dtype; no graph or forward-mode tangents to keep). Every element
/// goes through exactly the operations of <see cref="AdamUpdate.Step"/>'s tensor expression, in the same
/// order and precision (scalars rounded to the tensor's dtype first, as a scalar operand is), so the
/// results are bitwise the same; it only skips the temporaries (about ten full-size tensors per parameter).
/// </summary>
internal static class AdamFused
{
    /// <summary>The per-step scalars, as doubles (rounded to T at use, like scalar operands).</summary>
    internal readonly record struct Coefficients(double Lerp, double Beta2, double OneMinusBeta2, double Bias2Sqrt, double Eps, double NegStepSize, double Wd, bool Maximize);

    public static bool Applies(Tensor p, Tensor g, Tensor m, Tensor v) =>
        !GradMode.Enabled && !ForwardMode.Active && !GradMode.AnomalyDetection
        && p.DType.IsFloating() && g.DType == p.DType && m.DType == p.DType && v.DType == p.DType
        && g.Shape.Equals(p.Shape) && m.Shape.Equals(p.Shape) && v.Shape.Equals(p.Shape)
        && p.IsContiguous && g.IsContiguous && m.IsContiguous && v.IsContiguous
        && !ReferenceEquals(m.Storage, v.Storage) && !ReferenceEquals(m.Storage, p.Storage) && !ReferenceEquals(v.Storage, p.Storage)
        && !ReferenceEquals(m.Storage, g.Storage) && !ReferenceEquals(v.Storage, g.Storage) && !ReferenceEquals(p.Storage, g.Storage);

    public static void Run(Tensor p, Tensor g, Tensor m, Tensor v, Coefficients k)
    {
        using (Backends.RawAccess.Enter())
        {
            if (p.DType == DType.Float32) Split<float>(p, g, m, v, k);
            else Split<double>(p, g, m, v, k);
        }
        // The same version bumps as the in-place ops (saved copies of these tensors are now stale).
        m.Version.Bump("LerpInPlace", null);
        v.Version.Bump("AddInPlace", null);
        p.Version.Bump("AddInPlace", null);
    }

    // Elements are independent, so chunks across cores give the same bits at any thread count.
    static void Split<T>(Tensor p, Tensor g, Tensor m, Tensor v, Coefficients k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (pd, gd, md, vd) = (p.Data<T>(), g.Data<T>(), m.Data<T>(), v.Data<T>());
        var (po, go, mo, vo) = (p.Offset, g.Offset, m.Offset, v.Offset);
        Backends.Cpu.CpuParallel.ForRange(p.NumElements, (start, count) =>
            Run(pd.AsSpan(po + start, count), gd.AsSpan(go + start, count), md.AsSpan(mo + start, count), vd.AsSpan(vo + start, count), k));
    }

    static void Run<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, Coefficients k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T lerp = T.CreateTruncating(k.Lerp), oneMinusLerp = T.CreateTruncating(1 - k.Lerp), beta2 = T.CreateTruncating(k.Beta2);
        T oneMinusBeta2 = T.CreateTruncating(k.OneMinusBeta2), bias2Sqrt = T.CreateTruncating(k.Bias2Sqrt);
        T eps = T.CreateTruncating(k.Eps), negStep = T.CreateTruncating(k.NegStepSize), wd = T.CreateTruncating(k.Wd);
        bool smallWeight = Math.Abs(k.Lerp) < 0.5, decay = k.Wd != 0;
        int i = 0;
        if (Vector.IsHardwareAccelerated && p.Length >= Vector<T>.Count)
        {
            // The same operations lane by lane (+, -, *, / and sqrt are correctly rounded in vectors too,
            // and nothing is fused), so the vector lanes give the scalar loop's bits.
            var vp = MemoryMarshal.Cast<T, Vector<T>>(p);
            var vg = MemoryMarshal.Cast<T, Vector<T>>(g);
            var vm = MemoryMarshal.Cast<T, Vector<T>>(m);
            var vv = MemoryMarshal.Cast<T, Vector<T>>(v);
            for (int j = 0; j < vp.Length; j++)
            {
                var d = k.Maximize ? -vg[j] : vg[j];
                if (decay) d += vp[j] * wd;
                var mi = vm[j];
                mi = smallWeight ? mi + (d - mi) * lerp : d - (d - mi) * oneMinusLerp;
                var vi = vv[j] * beta2;
                vi += d * oneMinusBeta2 * d;
                var denom = Vector.SquareRoot(vi) / new Vector<T>(bias2Sqrt) + new Vector<T>(eps);
                vp[j] += mi * negStep / denom;
                vm[j] = mi;
                vv[j] = vi;
            }
            i = vp.Length * Vector<T>.Count;
        }
        for (; i < p.Length; i++)
        {
            T d = k.Maximize ? -g[i] : g[i];
            if (decay) d += p[i] * wd;                                   // d = d + p·wd
            T mi = m[i];
            mi = smallWeight ? mi + (d - mi) * lerp : d - (d - mi) * oneMinusLerp;   // Optimizer.LerpInPlace
            T vi = v[i] * beta2;                                         // v.MulInPlace(β2)
            vi += d * oneMinusBeta2 * d;                                 // .AddInPlace(d·(1−β2)·d)
            T denom = T.Sqrt(vi) / bias2Sqrt + eps;
            p[i] += mi * negStep / denom;                                // p.AddInPlace(m·(−stepSize)/denom)
            m[i] = mi;
            v[i] = vi;
        }
    }
}
