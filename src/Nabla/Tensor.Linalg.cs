using Nabla.Engine;

namespace Nabla;

public partial class Tensor
{
    /// <summary>
    /// Matrix product with torch.matmul's rules: 1-d·1-d is a dot product, 2-d·2-d a matrix product,
    /// a 1-d operand gets a dim prepended (left) or appended (right) and removed after, and batch
    /// dims broadcast.
    /// </summary>
    public Tensor MatMul(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (!Device.Equals(other.Device))
            throw Errors.Arg("MatMul", $"tensors are on different devices ({Device} and {other.Device}).");
        if (Rank == 0 || other.Rank == 0)
            throw Errors.Arg("MatMul", $"both arguments need at least 1 dimension, got {Errors.Describe(this)} and {Errors.Describe(other)}.");
        var dtype = DTypes.Promote(DType, other.DType);
        if (dtype == DType.Bool) dtype = DType.Int64;
        var a = Rank == 1 ? Unsqueeze(0) : this;
        var b = other.Rank == 1 ? other.Unsqueeze(1) : other;
        int k = a.Shape[-1];
        if (b.Shape[-2] != k)
            throw Errors.Arg("MatMul",
                $"shapes {Shape} and {other.Shape} cannot be multiplied: the inner sizes differ ({k} vs {b.Shape[-2]}).");
        var batchA = a.Shape.ToArray()[..^2];
        var batchB = b.Shape.ToArray()[..^2];
        var batch = BroadcastShapes("MatMul", new Shape(batchA), new Shape(batchB));
        var ta = a.To(dtype).BroadcastTo([.. batch, a.Shape[-2], k]);
        var tb = b.To(dtype).BroadcastTo([.. batch, k, b.Shape[-1]]);
        var y = Dispatch.Call(new Primitives.Linalg.MatMul(), ta, tb);
        if (Rank == 1) y = y.Squeeze(-2);
        if (other.Rank == 1) y = y.Squeeze(-1);
        return y;
    }
}
