using Nabla.Backends.Reference;

namespace Nabla.Primitives.Creation;

/// <summary>
/// y[i] = start + i·step for i in [0, count), computed in double and converted once to the dtype (as
/// torch.arange). No inputs, no derivative.
/// </summary>
internal sealed class Arange(double start, double step, int count, DType dtype) : Primitive
{
    public double Start => start;
    public double Step => step;
    public int Count => count;

    public override string Name => "arange";
    public override bool SavesInputs => false;
    public override DType OutputDType(Tensor[] x) => dtype;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => null;

    public override RefArray Reference(RefArray[] x)
    {
        var y = RefArray.Zeros([count]);
        for (int i = 0; i < count; i++) y.Data[i] = start + i * step;
        return y;
    }
}
