namespace Nabla.Distributed;

/// <summary>How <see cref="ProcessGroup.AllReduce(Tensor, ReduceOp)"/> combines the ranks' tensors (torch.distributed.ReduceOp).</summary>
public enum ReduceOp
{
    /// <summary>Element-wise sum.</summary>
    Sum,
    /// <summary>Element-wise mean over the ranks (the sum divided by the world size).</summary>
    Average,
    /// <summary>Element-wise maximum.</summary>
    Max,
    /// <summary>Element-wise minimum.</summary>
    Min,
    /// <summary>Element-wise product.</summary>
    Product,
}
