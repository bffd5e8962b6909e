using Nabla.Backends.Reference;

namespace Nabla.Primitives.Creation;

/// <summary>
/// A new tensor of <c>shape</c> with every element <c>value</c> (converted as a C# cast). No inputs,
/// no derivative: y = full(shape, value).
/// </summary>
internal sealed class Full(int[] shape, DType dtype, double value) : CreationPrimitive(shape, dtype)
{
    public double Value => value;

    public override string Name => "full";

    public override RefArray Reference(RefArray[] x)
    {
        var y = RefArray.Zeros(Shape);
        Array.Fill(y.Data, value);
        return y;
    }
}
