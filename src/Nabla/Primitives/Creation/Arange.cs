using Nabla.Backends.Reference;

namespace Nabla.Primitives.Creation;

/// <summary>
/// y[i] = start + i·step for i in [0, count), computed in double and converted once to the dtype (as
/// torch.arange). No inputs, no derivative.
/// </summary>
internal sealed class Arange(double start, double step, int count, DType dtype) : CreationPrimitive([count], dtype)
{
    public double Start => start;
    public double Step => step;
    public int Count => count;

    public override string Name => "arange";

    public override RefArray Reference(RefArray[] x)
    {
        var y = RefArray.Zeros([count]);
        for (int i = 0; i < count; i++) y.Data[i] = start + i * step;
        return y;
    }
}
