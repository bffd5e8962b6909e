using Nabla.Backends.Reference;

namespace Nabla.Primitives.Write;

/// <summary>Sets every element of x[0] (any view) to <c>value</c>, converted as a C# cast (torch's fill_).</summary>
internal sealed class FillWith(double value) : WritePrimitive
{
    public double Value => value;

    public override string Name => "fill";
    public override int[] Writes => [0];

    public override RefArray Reference(RefArray[] x)
    {
        var y = RefArray.Zeros(x[0].Shape);
        Array.Fill(y.Data, value);
        return y;
    }
}
