using Nabla.Engine;

namespace Nabla;

public partial class Tensor
{
    /// <summary>
    /// Joins tensors along an existing dim, as torch.cat: all must have the same rank and equal sizes
    /// except in <paramref name="dim"/>, and live on one device; dtypes are promoted as for
    /// arithmetic (int64 with float32 gives float32). Always a new tensor. The gradient of each input is its
    /// slice of the output's gradient.
    /// </summary>
    /// <example><code>
    /// var a = Tensor.Ones(2, 3);
    /// var b = Tensor.Zeros(1, 3);
    /// Tensor.Concat(new[] { a, b }).Shape;   // [3, 3]
    /// </code></example>
    public static Tensor Concat(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0) throw Errors.Arg("Concat", "expected a non-empty list of tensors.");
        var first = tensors[0] ?? throw Errors.Arg("Concat", "tensor 0 is null.");
        if (first.Rank == 0) throw Errors.Arg("Concat", "zero-dimensional tensor 0 cannot be concatenated; Unsqueeze it or use Stack.");
        int d = first.NormalizeDim("Concat", dim);
        var dtype = first.DType;
        for (int i = 1; i < tensors.Count; i++)
        {
            var t = tensors[i] ?? throw Errors.Arg("Concat", $"tensor {i} is null.");
            if (!t.Device.Equals(first.Device))
                throw Errors.Arg("Concat", $"tensor {i} is on {t.Device} but tensor 0 is on {first.Device}; move them to one device.");
            if (t.Rank != first.Rank)
                throw Errors.Arg("Concat", $"tensor {i} has rank {t.Rank} (shape {t.Shape}) but tensor 0 has rank {first.Rank} (shape {first.Shape}).");
            for (int k = 0; k < first.Rank; k++)
                if (k != d && t.Shape[k] != first.Shape[k])
                    throw Errors.Arg("Concat",
                        $"sizes must match except in dim {d}: tensor {i} has shape {t.Shape} but tensor 0 has shape {first.Shape} (dim {k} differs).");
            dtype = DTypes.Promote(dtype, t.DType);
        }
        var inputs = new Tensor[tensors.Count];
        var shapes = new int[tensors.Count][];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = tensors[i].To(dtype);
            shapes[i] = inputs[i].Shape.ToArray();
        }
        return Dispatch.Call(new Primitives.Movement.Concat(d, shapes), inputs);
    }

    /// <summary>
    /// Joins tensors of one shape along a NEW dim <paramref name="dim"/> (torch.stack): each is
    /// unsqueezed, then concatenated. For inputs of rank r, <c>dim</c> is in -(r + 1)..r; -1 stacks
    /// along a new last dim.
    /// </summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0) throw Errors.Arg("Stack", "expected a non-empty list of tensors.");
        var first = tensors[0] ?? throw Errors.Arg("Stack", "tensor 0 is null.");
        // Checked here, not left to Unsqueeze, so the error names the op the caller used.
        if (dim < -first.Rank - 1 || dim > first.Rank)
            throw Errors.Arg("Stack", $"dim {dim} is out of range for stacking tensors of shape {first.Shape} " +
                $"(the result has rank {first.Rank + 1}; valid dims are {-first.Rank - 1}..{first.Rank}).");
        if (first.Rank >= Shape.MaxRank)
            throw Errors.Arg("Stack", $"stacking tensors of rank {first.Rank} would give rank {first.Rank + 1}, more than the {Shape.MaxRank} dims a tensor may have.");
        var parts = new Tensor[tensors.Count];
        for (int i = 0; i < parts.Length; i++)
        {
            var t = tensors[i] ?? throw Errors.Arg("Stack", $"tensor {i} is null.");
            if (!t.Shape.Equals(first.Shape))
                throw Errors.Arg("Stack", $"all tensors must have the same shape: tensor {i} has {t.Shape} but tensor 0 has {first.Shape}.");
            parts[i] = t.Unsqueeze(dim);
        }
        return Concat(parts, dim < 0 ? dim + first.Rank + 1 : dim);
    }
}
