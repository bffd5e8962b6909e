using Nabla.Backends.Reference;

namespace Nabla.Primitives.Reduce;

/// <summary>
/// Product along <c>dim</c>, kept as size 1 (the front end drops it unless keepDim); an empty dim gives 1.
/// With q_i = Π_{j≠i} x_j (the product of the others in x_i's row):
/// y = Π x ; dy = Σ dx·q ; gx = gy·q.
/// q is built from exclusive prefix and suffix products (scans of Mul), never by dividing y by x, so the
/// gradient is exact with zeros in the row, one or several, as PyTorch's, and since q is itself written
/// with differentiable ops, so are the second derivatives (d²y/dx_i dx_k = Π_{j≠i,k} x_j, which is non-zero
/// where exactly x_i and x_k are 0).
/// </summary>
internal sealed class Prod(int dim) : Primitive
{
    public override string Name => "prod";
    public override bool MayFailInReplay => false;   // a reduction: total on every value

    /// <summary>The reduced dim (kept as size 1 in the output).</summary>
    public int Dim => dim;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [gy * ProductOfOthers(x[0], dim)];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) =>
        dx[0] is null ? null : (dx[0]! * ProductOfOthers(x[0], dim)).Sum(dim, keepDim: true);

    /// <summary>q_i = Π_{j≠i} x_j along <paramref name="d"/>: exclusive prefix times exclusive suffix products.</summary>
    internal static Tensor ProductOfOthers(Tensor x, int d)
    {
        int n = x.Shape[d];
        if (n <= 1) return Tensor.OnesLike(x);
        var prefix = ExclusivePrefix(x, d);
        var suffix = ExclusivePrefix(x.Flip(d), d).Flip(d);
        return prefix * suffix;
    }

    /// <summary>p_i = Π_{j&lt;i} x_j: an inclusive scan by doubling (log₂ n multiplies), shifted by one.</summary>
    static Tensor ExclusivePrefix(Tensor x, int d)
    {
        int n = x.Shape[d];
        var a = x;
        for (int k = 1; k < n; k *= 2) a = a * ShiftInOnes(a, d, k);
        return ShiftInOnes(a, d, 1);
    }

    /// <summary>a moved k places up along d, with ones coming in: s_i = a_{i-k} for i ≥ k, else 1.</summary>
    static Tensor ShiftInOnes(Tensor a, int d, int k)
    {
        var shape = a.Shape.ToArray();
        shape[d] = k;
        var ones = Tensor.Full(shape, 1, a.DType, device: a.Device);
        return Tensor.Concat([ones, a.Narrow(d, 0, a.Shape[d] - k)], d);
    }

    public override RefArray Reference(RefArray[] x)
    {
        var shape = (int[])x[0].Shape.Clone();
        shape[dim] = 1;
        var y = RefArray.Zeros(shape);
        Array.Fill(y.Data, 1.0);
        for (int i = 0; i < x[0].Count; i++)
        {
            var idx = x[0].Unravel(i);
            idx[dim] = 0;
            y.Data[y.Ravel(idx)] *= x[0].Data[i];
        }
        return y;
    }
}
