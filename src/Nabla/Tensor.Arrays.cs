using System.Runtime.CompilerServices;
using Nabla.Engine;

namespace Nabla;

public partial class Tensor
{
    /// <summary>
    /// A tensor from a C# array of any rank, rectangular (<c>float[,]</c>, <c>double[,,]</c>) or jagged (<c>float[][]</c>,
    /// whose rows must all have one length), or 1-D: the shape is the array's, the dtype its element type's (float, double,
    /// int, long, bool), as torch.tensor(nested list). The values are copied.
    /// </summary>
    /// <example><code>
    /// var m = Tensor.FromArray(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });   // [2, 3] float32
    /// var j = Tensor.FromArray(new[] { new[] { 1.0, 2 }, new[] { 3.0, 4 } }); // [2, 2] float64
    /// </code></example>
    public static Tensor FromArray(Array data, bool requiresGrad = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        var shape = new List<int>();
        var element = ShapeOf(data, shape);
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (count > int.MaxValue) throw Errors.Arg("Tensor.FromArray", $"the array holds {count} elements, more than a tensor can ({int.MaxValue}).");
        Array flat = element == typeof(float) ? new float[count] : element == typeof(double) ? new double[count]
            : element == typeof(long) ? new long[count] : element == typeof(int) ? new int[count] : new bool[count];
        int at = 0;
        Flatten(data, flat, ref at);
        int[] dims = [.. shape];
        return element == typeof(float) ? FromArray((float[])flat, dims, requiresGrad)
            : element == typeof(double) ? FromArray((double[])flat, dims, requiresGrad)
            : requiresGrad ? throw Errors.Arg("Tensor.FromArray", $"requiresGrad needs floating values, not {element.Name}.")
            : element == typeof(long) ? FromArray((long[])flat, dims)
            : element == typeof(int) ? FromArray((int[])flat, dims)
            : FromArray((bool[])flat, dims);
    }

    /// <summary>The shape of a rectangular or jagged array (appended to <paramref name="shape"/>) and its element type.</summary>
    static Type ShapeOf(Array data, List<int> shape)
    {
        for (int d = 0; d < data.Rank; d++) shape.Add(data.GetLength(d));
        var element = data.GetType().GetElementType()!;
        if (!element.IsArray)
        {
            if (element != typeof(float) && element != typeof(double) && element != typeof(long) && element != typeof(int) && element != typeof(bool))
                throw Errors.Arg("Tensor.FromArray", $"arrays of {element.Name} are not supported; use float, double, int, long or bool.");
            return element;
        }
        // Jagged: every row must have the first row's shape.
        var rows = data.Cast<Array?>().ToArray();
        if (rows.Length == 0) throw Errors.Arg("Tensor.FromArray", "an empty jagged array has no row to take the inner shape from; use FromArray(values, shape).");
        var inner = new List<int>();
        var type = ShapeOf(rows[0] ?? throw Errors.Arg("Tensor.FromArray", "row 0 of the jagged array is null."), inner);
        for (int r = 1; r < rows.Length; r++)
        {
            var other = new List<int>();
            ShapeOf(rows[r] ?? throw Errors.Arg("Tensor.FromArray", $"row {r} of the jagged array is null."), other);
            if (!other.SequenceEqual(inner))
                throw Errors.Arg("Tensor.FromArray", $"the jagged array is ragged: row {r} has shape [{string.Join(", ", other)}], row 0 [{string.Join(", ", inner)}]; " +
                    "a tensor needs rows of one length (pad them first).");
        }
        shape.AddRange(inner);
        return type;
    }

    static void Flatten(Array data, Array flat, ref int at)
    {
        // A rectangular array enumerates in row-major order; a jagged one row by row.
        foreach (var item in data)
        {
            if (item is Array row) Flatten(row, flat, ref at);
            else flat.SetValue(item, at++);
        }
    }

    /// <summary>The elements as a rectangular C# array of the tensor's rank (<c>float[,]</c> for a float32 matrix), as tolist().</summary>
    /// <remarks><typeparamref name="T"/> must match the dtype exactly, as <see cref="ToArray{T}"/>. A 0-d tensor gives a 1-element 1-D array.</remarks>
    public Array ToMultiArray<T>() where T : unmanaged
    {
        var flat = ToArray<T>();
        int[] n = Rank == 0 ? [1] : Shape.ToArray();
        // NB: created by rank, not with Array.CreateInstance, so NativeAOT has the array types compiled in.
        Array result = n.Length switch
        {
            1 => new T[n[0]],
            2 => new T[n[0], n[1]],
            3 => new T[n[0], n[1], n[2]],
            4 => new T[n[0], n[1], n[2], n[3]],
            5 => new T[n[0], n[1], n[2], n[3], n[4]],
            6 => new T[n[0], n[1], n[2], n[3], n[4], n[5]],
            _ when RuntimeFeature.IsDynamicCodeSupported => Array.CreateInstance(typeof(T), n),
            _ => throw Errors.NotSupported("Tensor.ToMultiArray", $"a rank-{Rank} C# array needs run-time code generation, which NativeAOT lacks; " +
                "reshape to at most 6 dims or use ToArray<T>() and Shape."),
        };
        Buffer.BlockCopy(flat, 0, result, 0, Buffer.ByteLength(flat));
        return result;
    }

    /// <summary>A matrix's elements as <c>T[rows, columns]</c>; see <see cref="ToMultiArray{T}"/>.</summary>
    public T[,] ToArray2D<T>() where T : unmanaged => Rank == 2 ? (T[,])ToMultiArray<T>()
        : throw Errors.State("Tensor.ToArray2D", $"needs a matrix, got {Errors.Describe(this)}; reshape it or use ToMultiArray.");

    /// <summary>A rank-3 tensor's elements as <c>T[,,]</c>; see <see cref="ToMultiArray{T}"/>.</summary>
    public T[,,] ToArray3D<T>() where T : unmanaged => Rank == 3 ? (T[,,])ToMultiArray<T>()
        : throw Errors.State("Tensor.ToArray3D", $"needs 3 dims, got {Errors.Describe(this)}; reshape it or use ToMultiArray.");
}
