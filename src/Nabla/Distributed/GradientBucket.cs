namespace Nabla.Distributed;

/// <summary>
/// Some parameters' gradients side by side in one flat tensor, so that one all-reduce carries them all (PyTorch's
/// DDP bucket): few large messages cost far less than many small ones, and a full bucket can travel while backward
/// still computes the gradients of the next.
/// </summary>
internal sealed class GradientBucket(int[] members, int[] offsets, Tensor flat)
{
    /// <summary>Indices of the parameters it holds, in the reducer's parameter list.</summary>
    public int[] Members { get; } = members;

    /// <summary>Where each member starts in <see cref="Flat"/> (in elements).</summary>
    public int[] Offsets { get; } = offsets;

    /// <summary>The contiguous host buffer MPI reduces in place.</summary>
    public Tensor Flat { get; } = flat;

    /// <summary>How many members have not handed in their gradient this round.</summary>
    public int Pending;

    /// <summary>The running all-reduce, once launched this round.</summary>
    public Task? Reduction;

    /// <summary>The part of <see cref="Flat"/> that holds member <paramref name="k"/>, shaped as <paramref name="shape"/>.</summary>
    public Tensor Slice(int k, Shape shape) => Flat.Narrow(0, Offsets[k], shape.NumElements).Reshape(shape.ToArray());
}
