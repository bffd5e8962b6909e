using Nabla.Engine;
using Nabla.Primitives.Elementwise;
using Nabla.Primitives.Movement;

namespace Nabla;

public partial class Tensor
{
    /// <summary>
    /// The same elements (row-major) in another shape; one size may be -1 (inferred). A view when
    /// the tensor is contiguous, else a copy. A shape whose sizes multiply past <see cref="Shape.MaxElements"/>
    /// or with more than <see cref="Shape.MaxRank"/> dims is an <see cref="ArgumentException"/>.
    /// </summary>
    public Tensor Reshape(params int[] shape)
    {
        var target = InferShape("Reshape", shape);
        if (target.AsSpan().SequenceEqual(Shape.Span)) return Alias();
        return Dispatch.Call(new Reshape(Shape.ToArray(), target), this);
    }

    int[] InferShape(string op, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var target = (int[])shape.Clone();
        int infer = -1;
        for (int i = 0; i < target.Length; i++)
        {
            if (target[i] == -1)
            {
                if (infer >= 0) throw Errors.Arg(op, $"only one size may be -1, got {Shape.Brief(shape)}.");
                infer = i;
            }
            else if (target[i] < 0) throw Errors.Arg(op, $"invalid size {target[i]} in {Shape.Brief(shape)}.");
        }
        // The known sizes (the -1 counted as 1) must form a valid shape before their product is trusted.
        if (infer >= 0) target[infer] = 1;
        long known = Shape.CheckedCount(op, target);
        if (infer >= 0)
        {
            if (known == 0 || NumElements % known != 0)
                throw Errors.Arg(op, $"shape {Shape.Format(shape)} is invalid for input of size {NumElements} (shape {Shape}).");
            target[infer] = (int)(NumElements / known);
        }
        else if (known != NumElements)
            throw Errors.Arg(op, $"shape {Shape.Brief(shape)} is invalid for input of size {NumElements} (shape {Shape}).");
        return target;
    }

    /// <summary>Reorders dimensions (a view): result dim i is this tensor's dim <c>dims[i]</c>.</summary>
    public Tensor Permute(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        if (dims.Length != Rank)
            throw Errors.Arg("Permute", $"got {dims.Length} dims {Shape.Format(dims)} for a tensor of rank {Rank} (shape {Shape}).");
        var normalized = new int[Rank];
        var seen = new bool[Rank];
        for (int i = 0; i < Rank; i++)
        {
            normalized[i] = NormalizeDim("Permute", dims[i]);
            if (seen[normalized[i]]) throw Errors.Arg("Permute", $"dim {dims[i]} appears twice in {Shape.Format(dims)}.");
            seen[normalized[i]] = true;
        }
        bool identity = true;
        for (int i = 0; i < Rank; i++) identity &= normalized[i] == i;
        return identity ? Alias() : Dispatch.Call(new Permute(normalized), this);
    }

    /// <summary>Swaps two dimensions (a view).</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        int a = NormalizeDim("Transpose", dim0), b = NormalizeDim("Transpose", dim1);
        var dims = new int[Rank];
        for (int i = 0; i < Rank; i++) dims[i] = i;
        (dims[a], dims[b]) = (dims[b], dims[a]);
        return Permute(dims);
    }

    /// <summary>Swaps the last two dimensions (a view); a 1-d or 0-d tensor is returned as is.</summary>
    public Tensor T => Rank < 2 ? Alias() : Transpose(-2, -1);

    /// <summary>
    /// Broadcasts sizes of 1 to larger sizes (a view with stride 0; no copy). -1 keeps a size; new
    /// leading dimensions may be added, as torch.expand. The view holds no memory, but every kernel indexes
    /// it element by element, so its element count must still fit <see cref="Shape.MaxElements"/> (else an
    /// <see cref="ArgumentException"/>).
    /// </summary>
    public Tensor Expand(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length < Rank)
            throw Errors.Arg("Expand", $"the target {Shape.Format(shape)} has fewer dims than the tensor {Shape}.");
        var target = (int[])shape.Clone();
        int lead = shape.Length - Rank;
        for (int i = 0; i < target.Length; i++)
        {
            int own = i < lead ? 1 : Shape[i - lead];
            if (target[i] == -1)
            {
                if (i < lead) throw Errors.Arg("Expand", $"-1 is not allowed for a new leading dimension in {Shape.Format(shape)}.");
                target[i] = own;
            }
            if (own != target[i] && own != 1)
                throw Errors.Arg("Expand", $"cannot expand {Shape} to {Shape.Brief(shape)}: dimension {i} has size {own}, which is not 1.");
        }
        Shape.CheckedCount("Expand", target);
        var y = BroadcastTo(target);
        return ReferenceEquals(y, this) ? Alias() : y;   // always a view of this tensor, as torch.expand
    }

    /// <summary>Expands to <paramref name="shape"/> (assumed broadcast-compatible).</summary>
    internal Tensor BroadcastTo(int[] shape)
    {
        if (Shape.Span.SequenceEqual(shape)) return this;
        var x = this;
        if (Rank < shape.Length)
        {
            var padded = new int[shape.Length];
            int lead = shape.Length - Rank;
            for (int i = 0; i < padded.Length; i++) padded[i] = i < lead ? 1 : Shape[i - lead];
            x = x.Reshape(padded);
        }
        if (x.Shape.Span.SequenceEqual(shape)) return x;
        return Dispatch.Call(new Expand(x.Shape.ToArray(), (int[])shape.Clone()), x);
    }

    /// <summary>Sums broadcast dimensions away so the result has <paramref name="shape"/> (Expand's transpose).</summary>
    internal Tensor SumTo(int[] shape)
    {
        if (Shape.Span.SequenceEqual(shape)) return this;
        int lead = Rank - shape.Length;
        var axes = new List<int>();
        for (int i = 0; i < Rank; i++)
            if (i < lead || (shape[i - lead] == 1 && Shape[i] != 1)) axes.Add(i);
        var summed = axes.Count == 0 ? this : SumKeepAxes(axes.ToArray());
        return summed.Reshape(shape);
    }

    /// <summary>Removes dimension <paramref name="dim"/> when its size is 1 (otherwise returns the tensor unchanged, as PyTorch).</summary>
    public Tensor Squeeze(int dim)
    {
        int d = NormalizeDim("Squeeze", dim);
        if (Shape[d] != 1) return Alias();
        var shape = Shape.ToArray().Where((_, i) => i != d).ToArray();
        return Reshape(shape);
    }

    /// <summary>Inserts a dimension of size 1 at <paramref name="dim"/> (-1 appends).</summary>
    public Tensor Unsqueeze(int dim)
    {
        int d = dim < 0 ? dim + Rank + 1 : dim;
        if (d < 0 || d > Rank)
            throw Errors.Arg("Unsqueeze", $"dim {dim} is out of range for a tensor of rank {Rank} (valid: {-Rank - 1}..{Rank}).");
        if (Rank >= Shape.MaxRank)
            throw Errors.Arg("Unsqueeze", $"the tensor already has {Rank} dims (shape {Shape}), the most a tensor may have ({Shape.MaxRank}, as PyTorch).");
        var shape = Shape.ToArray().ToList();
        shape.Insert(d, 1);
        return Reshape(shape.ToArray());
    }

    /// <summary>Converts to <paramref name="dtype"/> (returns this tensor when it already has it). Differentiable between float types.</summary>
    public Tensor To(DType dtype) => dtype == DType ? this : Dispatch.Call(new Cast(DType, Errors.CheckDType("To", dtype)), this);

    /// <summary>
    /// A copy on <paramref name="device"/> (this tensor itself when it is already there), as torch's
    /// <c>to(device)</c>. Differentiable: the gradient moves back to this tensor's device.
    /// </summary>
    /// <example><code>
    /// var exact = x.To(Device.Reference).Softmax(-1).To(Device.Cpu);   // the same op in double-precision loops
    /// </code></example>
    public Tensor To(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return device.Equals(Device) ? this : Dispatch.Transfer(this, device);
    }

    /// <summary>A contiguous tensor with the same values: this one when already contiguous, else a differentiable copy.</summary>
    public Tensor Contiguous() => IsContiguous ? this : Dispatch.Call(new Reshape(Shape.ToArray(), Shape.ToArray()), this);

    /// <summary>A differentiable view of the same data with the same shape (so in-place ops and history stay separate objects).</summary>
    internal Tensor Alias() => Dispatch.Call(new Expand(Shape.ToArray(), Shape.ToArray()), this);

    /// <summary>Turns a possibly negative dim into 0..Rank-1, or throws naming the op.</summary>
    internal int NormalizeDim(string op, int dim)
    {
        int d = dim < 0 ? dim + Rank : dim;
        if (d < 0 || d >= Math.Max(Rank, 1) || (Rank == 0 && d != 0))
            throw Errors.Arg(op, $"dim {dim} is out of range for a tensor of rank {Rank} (shape {Shape}); valid dims are {-Rank}..{Rank - 1}.");
        return d;
    }

    /// <summary>
    /// The diagonal x[..., i, i + <paramref name="offset"/>] of the plane (<paramref name="dim1"/>,
    /// <paramref name="dim2"/>) as a view sharing this tensor's memory (torch.diagonal): those two dims are
    /// removed and the diagonal becomes the last dim. A positive offset takes a diagonal above the main one,
    /// a negative one below; one past the plane gives an empty diagonal. Differentiable: the gradient is
    /// zero off the diagonal.
    /// </summary>
    /// <example><code>
    /// Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }, [2, 3]).Diagonal(1);   // [2, 6]
    /// </code></example>
    public Tensor Diagonal(int offset = 0, int dim1 = 0, int dim2 = 1)
    {
        if (Rank < 2) throw Errors.Arg("Diagonal", $"needs a tensor with at least 2 dims, got {Errors.Describe(this)}.");
        int d1 = NormalizeDim("Diagonal", dim1), d2 = NormalizeDim("Diagonal", dim2);
        if (d1 == d2) throw Errors.Arg("Diagonal", $"dim1 and dim2 must be different dims, both are {d1} (shape {Shape}).");
        return Dispatch.Call(new Primitives.Movement.Diagonal(Shape.ToArray(), offset, d1, d2), this);
    }
}
