using Nabla.Backends.Reference;

namespace Nabla.Primitives.Creation;

/// <summary>
/// A new tensor of <c>shape</c> with every element <c>value</c> (converted as a C# cast). No inputs,
/// no derivative: y = full(shape, value).
/// </summary>
internal sealed class Full(int[] shape, DType dtype, double value) : Primitive
{
    public int[] Shape => shape;
    public DType DType => dtype;
    public double Value => value;

    public override string Name => "full";
    public override bool SavesInputs => false;
    public override DType OutputDType(Tensor[] x) => dtype;

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs) => [];

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y) => null;

    public override RefArray Reference(RefArray[] x)
    {
        var y = RefArray.Zeros(shape);
        Array.Fill(y.Data, value);
        return y;
    }
}
