using Nabla.Backends.Reference;

namespace Nabla.Primitives.Elementwise;

/// <summary>
/// y = c ? a : b elementwise, with c Bool and a, b, y of one dtype, all of one shape (the front end
/// promotes a and b and broadcasts all three with Expand, so broadcast gradients are summed by Expand).
/// dy = where(c, da, 0) + where(c, 0, db) ; ga = where(c, gy, 0), gb = where(c, 0, gy) ; c gets none.
/// The branch not taken never reaches the output, and this rule sends it exact zeros (NB: that branch's
/// own upstream rule can still turn a zero into NaN, e.g. log's gy/x at x = 0, as in PyTorch).
/// </summary>
internal sealed class Where : Primitive
{
    public override string Name => "where";
    public override bool MayFailInReplay => false;   // elementwise: total on every value of its dtypes

    // The condition is Bool whatever the branches hold: the output and the kernel follow a.
    public override DType OutputDType(Tensor[] x) => x[1].DType;

    public override DType KernelDType(Tensor[] x) => x[1].DType;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs)
    {
        var zero = Tensor.Scalar(0, gy.DType);
        return [null, needs[1] ? Tensor.Where(x[0], gy, zero) : null, needs[2] ? Tensor.Where(x[0], zero, gy) : null];
    }

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y)
    {
        if (dx[1] is null && dx[2] is null) return null;
        var zero = Tensor.Scalar(0, y.DType);
        return Tensor.Where(x[0], dx[1] ?? zero, dx[2] ?? zero);
    }

    public override RefArray Reference(RefArray[] x)
    {
        var y = RefArray.Zeros(x[1].Shape);
        for (int i = 0; i < y.Count; i++) y.Data[i] = x[0].Data[i] != 0 ? x[1].Data[i] : x[2].Data[i];
        return y;
    }
}
