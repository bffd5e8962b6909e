using Nabla.Backends.Reference;
using Nabla.Tests.TestUtil;

namespace Nabla.Tests.OpDb;

/// <summary>
/// Every OpDb entry on inputs whose layout kernels get wrong most easily: (a) empty views (a dim narrowed
/// to size 0, on a non-contiguous tensor, one input at a time and the same trailing dim of every input at
/// once) and (b) zero-stride views (one dim of one input replaced by an Expand of its first slice).
/// Each is compared with the same op on a fresh contiguous copy of the same values (built from host
/// values, so no kernel under test makes it): same exception type when the copy is refused, else the same
/// shape, dtype and values, and the same gradients. (The values reductions give on empty dims, PyTorch's
/// identities, are checked by hand in Ops/EmptyReductionTests: the entries' references assume their samples' shapes.)
/// </summary>
public class OpDbEdgeLayoutTests
{
    const double Tolerance = 1e-12;

    [Theory, MemberData(nameof(OpDb.Names), MemberType = typeof(OpDb))]
    public void EmptyViewsBehaveLikeContiguousCopies(string name)
    {
        var entry = OpDb.Get(name);
        foreach (var sample in entry.Samples())
            foreach (var (variant, inputs) in EmptyVariants(sample.Inputs))
                CompareWithCopy(entry, $"{name} / {sample.Name} / {variant}", inputs);
    }

    [Theory, MemberData(nameof(OpDb.Names), MemberType = typeof(OpDb))]
    public void ZeroStrideViewsBehaveLikeContiguousCopies(string name)
    {
        var entry = OpDb.Get(name);
        foreach (var sample in entry.Samples())
            foreach (var (variant, inputs) in ZeroStrideVariants(sample.Inputs))
            {
                bool ran = CompareWithCopy(entry, $"{name} / {sample.Name} / {variant}", inputs);
                // The shapes are the sample's own, which the op accepts: refusing them is a bug.
                Assert.True(ran, $"{name} / {sample.Name} / {variant}: the op refused inputs with the sample's shapes.");
            }
    }

    [Fact]
    public void EmptyVariantsAreEmptyNonContiguousViews()
    {
        // Guards the generator: if it produced contiguous or non-empty inputs, the theory above would test nothing new.
        var x = Samples.Uniform(1, [2, 3]);
        var variants = EmptyVariants([x]).ToList();
        Assert.Equal(4, variants.Count);  // dim 0 alone, dim 1 alone, then each as "the same trailing dim of every input"
        foreach (var (_, inputs) in variants)
        {
            Assert.Equal(0, inputs[0].NumElements);
            Assert.NotEqual(x.Strides[^1], inputs[0].Strides[^1]);
        }
        var expanded = ZeroStrideVariants([x]).ToList();
        Assert.Equal(2, expanded.Count);
        Assert.Contains(expanded, v => v.Inputs[0].Strides[0] == 0);
        Assert.Contains(expanded, v => v.Inputs[0].Strides[1] == 0);
    }

    /// <summary>A copy with the same values whose memory is in reversed dim order (so views of it are strided).</summary>
    static Tensor ReversedLayout(Tensor x)
    {
        if (x.Rank < 2) return x;
        var rev = Enumerable.Range(0, x.Rank).Reverse().ToArray();
        return x.Permute(rev).Contiguous().Permute(rev);
    }

    internal static IEnumerable<(string Variant, Tensor[] Inputs)> EmptyVariants(Tensor[] xs)
    {
        for (int i = 0; i < xs.Length; i++)
            for (int d = 0; d < xs[i].Rank; d++)
            {
                if (xs[i].Shape[d] == 0) continue;
                var inputs = (Tensor[])xs.Clone();
                inputs[i] = ReversedLayout(xs[i]).Narrow(d, 0, 0);
                yield return ($"input {i} dim {d} empty", inputs);
            }
        int maxRank = xs.Length == 0 ? 0 : xs.Max(x => x.Rank);
        for (int k = 1; k <= maxRank; k++)
        {
            var inputs = (Tensor[])xs.Clone();
            bool changed = false;
            for (int i = 0; i < xs.Length; i++)
            {
                int d = xs[i].Rank - k;
                if (d < 0 || xs[i].Shape[d] <= 1) continue;  // a size-1 dim broadcasts against 0
                inputs[i] = ReversedLayout(xs[i]).Narrow(d, 0, 0);
                changed = true;
            }
            if (changed) yield return ($"trailing dim {-k} of every input empty", inputs);
        }
    }

    internal static IEnumerable<(string Variant, Tensor[] Inputs)> ZeroStrideVariants(Tensor[] xs)
    {
        for (int i = 0; i < xs.Length; i++)
            for (int d = 0; d < xs[i].Rank; d++)
            {
                if (xs[i].Shape[d] <= 1) continue;
                var inputs = (Tensor[])xs.Clone();
                inputs[i] = xs[i].Narrow(d, 0, 1).Expand(xs[i].Shape.ToArray());
                yield return ($"input {i} dim {d} expanded", inputs);
            }
    }

    /// <summary>A new contiguous tensor with <paramref name="x"/>'s values, made from host values.</summary>
    static Tensor HostCopy(Tensor x) => x.DType switch
    {
        DType.Float64 => Tensor.FromArray(x.ToArray<double>(), x.Shape.ToArray()),
        DType.Float32 => Tensor.FromArray(x.ToArray<float>(), x.Shape.ToArray()),
        DType.Int64 => Tensor.FromArray(x.ToArray<long>(), x.Shape.ToArray()),
        DType.Int32 => Tensor.FromArray(x.ToArray<int>(), x.Shape.ToArray()),
        DType.Bool => Tensor.FromArray(x.ToArray<bool>(), x.Shape.ToArray()),
        _ => throw new ArgumentOutOfRangeException(nameof(x)),
    };

    static Tensor Leaf(Tensor x)
    {
        var leaf = x.Detach();  // same storage, strides and offset
        if (x.DType.IsFloating()) leaf.RequiresGrad = true;
        return leaf;
    }

    /// <summary>Runs the op on the views and on copies; false when both refused the inputs (the same way).</summary>
    static bool CompareWithCopy(OpInfo entry, string what, Tensor[] views)
    {
        var copies = views.Select(HostCopy).ToArray();
        var viewLeaves = views.Select(Leaf).ToArray();
        var copyLeaves = copies.Select(Leaf).ToArray();
        Exception? copyError = null, viewError = null;
        Tensor? expected = null, actual = null;
        try { expected = entry.Op(copyLeaves); } catch (Exception e) when (e is ArgumentException or InvalidOperationException) { copyError = e; }
        try { actual = entry.Op(viewLeaves); } catch (Exception e) when (e is ArgumentException or InvalidOperationException) { viewError = e; }
        if (copyError is not null)
        {
            Assert.True(viewError is not null && viewError.GetType() == copyError.GetType(),
                $"{what}: the contiguous copy throws {copyError.GetType().Name} ({copyError.Message}) but the view gives " +
                (viewError is null ? "a result" : $"{viewError.GetType().Name}: {viewError.Message}"));
            return false;
        }
        Assert.True(viewError is null, $"{what}: the view throws {viewError?.GetType().Name}: {viewError?.Message}, its contiguous copy does not.");
        Assert.True(actual!.DType == expected!.DType, $"{what}: dtype {actual.DType} vs {expected.DType} on the copy.");
        Approx.Equal(RefArray.From(expected), actual, Tolerance, what + ": view vs contiguous copy");
        if (!entry.Differentiable || !actual.DType.IsFloating()) return true;

        var idx = Enumerable.Range(0, views.Length).Where(i => views[i].DType.IsFloating()).ToArray();
        var gy = TestTensors.RandomLike(actual, seed: 7).To(actual.DType);
        var gView = Grads(actual, idx.Select(i => viewLeaves[i]).ToArray(), gy);
        var gCopy = Grads(expected, idx.Select(i => copyLeaves[i]).ToArray(), gy);
        for (int k = 0; k < idx.Length; k++)
        {
            var shape = views[idx[k]].Shape.ToArray();
            Assert.True(gView[k].Shape.ToArray().SequenceEqual(shape), $"{what}: gradient {idx[k]} has shape {gView[k].Shape}, input {views[idx[k]].Shape}.");
            Approx.Equal(RefArray.From(gCopy[k]), gView[k], Tolerance, $"{what}: gradient of input {idx[k]}, view vs contiguous copy");
        }
        return true;
    }

    /// <summary>Gradients of <paramref name="y"/> (seeded with gy) with respect to <paramref name="xs"/>; zeros where unused.</summary>
    static Tensor[] Grads(Tensor y, Tensor[] xs, Tensor gy)
    {
        if (!y.RequiresGrad) return xs.Select(x => Tensor.Zeros(x.Shape.ToArray(), x.DType)).ToArray();
        var g = Autograd.Grad([y], xs, [gy], allowUnused: true);
        return xs.Select((x, k) => g[k] ?? Tensor.Zeros(x.Shape.ToArray(), x.DType)).ToArray();
    }
}
