using System.Numerics;
using System.Runtime.InteropServices;
using Nabla.Primitives.Write;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// <see cref="AdamStep"/> on the CPU: vector lanes, then a scalar tail, chunks split across cores.
/// Every element goes through exactly the operations of the optimizer's tensor expression (see
/// <c>Optim/AdamUpdate.cs</c>), so the bits match it at any thread count.
/// </summary>
internal static class AdamKernel
{
    public static void Register(KernelTable table) =>
        table.AddWrite<AdamStep>(KernelDTypes.Floating, (op, x) =>
        {
            if (x[0].DType == DType.Float32) Split<float>(x[0], x[1], x[2], x[3], op.K);
            else Split<double>(x[0], x[1], x[2], x[3], op.K);
        });

    // Elements are independent, so chunks across cores give the same bits at any thread count.
    static void Split<T>(Tensor p, Tensor g, Tensor m, Tensor v, AdamStep.Coefficients k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (pd, gd, md, vd) = (p.Data<T>(), g.Data<T>(), m.Data<T>(), v.Data<T>());
        var (po, go, mo, vo) = (p.Offset, g.Offset, m.Offset, v.Offset);
        CpuParallel.ForRange(p.NumElements, (start, count) =>
            Run(pd.AsSpan(po + start, count), gd.AsSpan(go + start, count), md.AsSpan(mo + start, count), vd.AsSpan(vo + start, count), k));
    }

    static void Run<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, AdamStep.Coefficients k) where T : unmanaged, IFloatingPointIeee754<T>
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
