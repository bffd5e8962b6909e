using Nabla.Backends;
using Nabla.Engine;

namespace Nabla;

/// <summary>
/// An n-dimensional array of one <see cref="DType"/> on one <see cref="Device"/>, with the autodiff
/// state PyTorch keeps on a tensor (<see cref="RequiresGrad"/>, <see cref="Grad"/>, <see cref="GradFn"/>).
/// Views (reshape of contiguous data, transpose, permute, slices, expand) share storage with their base.
/// </summary>
/// <example>
/// <code>
/// var x = Tensor.FromArray(new[] { 1f, 2f, 3f }, new[] { 3 }, requiresGrad: true);
/// var y = (x * x).Sum();
/// y.Backward();            // x.Grad == [2, 4, 6]
/// </code>
/// </example>
public partial class Tensor
{
    internal readonly Storage Storage;
    internal readonly int[] Strides;
    internal readonly int Offset;
    /// <summary>Counts in-place changes to the storage; shared with every view (read it as <see cref="Version"/>).</summary>
    internal readonly VersionCounter VersionCounter;

    /// <summary>The sizes of the dimensions.</summary>
    public Shape Shape
    {
        get
        {
            // A compiled function with dynamic dimensions is being traced: a size user code reads is noted (Graphs/Dynamic/SizeReads.cs).
            if (Graphs.SizeReads.Watching) Graphs.SizeReads.Note(this);
            return _shape;
        }
    }

    readonly Shape _shape;

    /// <summary>The element type.</summary>
    public DType DType => Storage.DType;

    /// <summary>Where the data lives and which backend runs ops on it (<see cref="Device.Cpu"/> unless moved with <see cref="To(Device)"/>).</summary>
    public Device Device => Storage.Backend.Device;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Rank;

    /// <summary>Number of elements (product of <see cref="Shape"/>).</summary>
    public int NumElements => Shape.NumElements;

    internal Tensor(Storage storage, Shape shape, int[] strides, int offset, VersionCounter version)
    {
        Storage = storage;
        _shape = shape;
        Strides = strides;
        Offset = offset;
        VersionCounter = version;
    }

    /// <summary>A fresh contiguous tensor that owns new storage.</summary>
    internal Tensor(Storage storage, Shape shape)
        : this(storage, shape, Shape.ContiguousStrides(shape.Span), 0, new VersionCounter()) { }

    /// <summary>Copy-constructor used by subclasses such as Variable to adopt another tensor's data.</summary>
    protected Tensor(Tensor data)
        : this(data.Storage, data.Shape, data.Strides, data.Offset, data.VersionCounter) { }

    /// <summary>
    /// A raw alias of the same storage with other sizes/strides: no autodiff state and no <see cref="Base"/>
    /// (kernels, Detach). A view primitive's result becomes a tracked view through <c>Dispatch.Call</c>.
    /// </summary>
    internal Tensor View(Shape shape, int[] strides, int offset) => new(Storage, shape, strides, offset, VersionCounter);

    /// <summary>True when both tensors view the same memory (writing one may change the other).</summary>
    internal bool SharesStorage(Tensor other) => ReferenceEquals(Storage, other.Storage);

    /// <summary>True when both tensors are the same elements in the same order: one storage, offset, shape and strides.</summary>
    internal bool IsSameView(Tensor other) =>
        ReferenceEquals(Storage, other.Storage) && Offset == other.Offset && Shape.Span.SequenceEqual(other.Shape.Span) &&
        Strides.AsSpan().SequenceEqual(other.Strides);

    /// <summary>True when the elements are laid out row-major without gaps.</summary>
    internal bool IsContiguous
    {
        get
        {
            // An empty tensor has no layout to speak of (as in PyTorch, it is contiguous whatever its strides).
            if (NumElements == 0) return true;
            int expected = 1;
            var dims = Shape.Span;
            for (int i = dims.Length - 1; i >= 0; i--)
            {
                if (dims[i] == 1) continue;
                if (Strides[i] != expected) return false;
                expected *= dims[i];
            }
            return true;
        }
    }
}
