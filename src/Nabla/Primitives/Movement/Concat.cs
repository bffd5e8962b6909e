using Nabla.Backends.Reference;
using Nabla.Engine;

namespace Nabla.Primitives.Movement;

/// <summary>
/// Joins tensors of one dtype and rank along <c>dim</c> (other sizes equal; the front end checks and
/// promotes dtypes). Each input is copied into its window of the fresh output.
/// y = [x0 | x1 | ...] ; dy = [dx0 | dx1 | ...] ; gxi = gy[window i] (its transpose slices gy back)
/// </summary>
internal sealed class Concat(int dim, int[][] inputShapes) : Primitive
{
    /// <summary>The dim the inputs are joined along.</summary>
    public int Dim => dim;

    public override string Name => "cat";
    public override bool MayFailInReplay => false;   // moves values by shape alone

    public override bool SavesInputs => false;

    /// <summary>The inputs' shapes, in order.</summary>
    public int[][] InputShapes => inputShapes;

    /// <summary>The result's shape: the inputs' sizes along <c>dim</c> add up (an error past <see cref="Shape.MaxElements"/>).</summary>
    public int[] OutputShape()
    {
        var shape = (int[])inputShapes[0].Clone();
        long size = 0;   // NB: in long, so many large inputs cannot wrap to a small or negative size
        foreach (var s in inputShapes) size += s[dim];
        if (size > Shape.MaxElements)
            throw Errors.Arg("Concat", $"joining {inputShapes.Length} tensors of shapes {string.Join(", ", inputShapes.Take(4).Select(s => Shape.Format(s)))}" +
                $"{(inputShapes.Length > 4 ? ", ..." : "")} along dim {dim} gives a size of {size}, more than the {Shape.MaxElements} (2^31 - 1) elements a tensor can hold.");
        shape[dim] = (int)size;
        Shape.CheckedCount("Concat", shape);
        return shape;
    }

    /// <summary>Start of input i's window and the unit steps, as Slice takes them.</summary>
    public (int[] Start, int[] Step) Window(int i)
    {
        var start = new int[inputShapes[i].Length];
        var step = new int[start.Length];
        Array.Fill(step, 1);
        for (int j = 0; j < i; j++) start[dim] += inputShapes[j][dim];
        return (start, step);
    }

    public override Tensor?[] Vjp(Tensor gy, Tensor[] x, Tensor y, bool[] needs)
    {
        var gx = new Tensor?[inputShapes.Length];
        for (int i = 0; i < gx.Length; i++)
        {
            var (start, step) = Window(i);
            gx[i] = Tensor.SliceWindow(gy, start, step, inputShapes[i]);
        }
        return gx;
    }

    public override Tensor? Jvp(Tensor?[] dx, Tensor[] x, Tensor y)
    {
        if (dx.All(t => t is null)) return null;
        var parts = new Tensor[dx.Length];
        for (int i = 0; i < dx.Length; i++)
            parts[i] = dx[i] ?? Tensor.Zeros(inputShapes[i], y.DType, device: y.Device);
        return Tensor.Concat(parts, dim);
    }

    public override RefArray Reference(RefArray[] x)
    {
        var y = RefArray.Zeros(OutputShape());
        int offset = 0;
        foreach (var part in x)
        {
            for (int i = 0; i < part.Count; i++)
            {
                var idx = part.Unravel(i);
                idx[dim] += offset;
                y.Data[y.Ravel(idx)] = part.Data[i];
            }
            offset += part.Shape[dim];
        }
        return y;
    }
}
