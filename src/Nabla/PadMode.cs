namespace Nabla;

/// <summary>How <see cref="Tensor.Pad(int[], PadMode, double)"/> fills the new border (torch.nn.functional.pad's <c>mode</c>).</summary>
public enum PadMode
{
    /// <summary>"constant": a fixed value (negative amounts crop).</summary>
    Constant,

    /// <summary>"reflect": mirrored about the edge, the edge itself not repeated ([1, 2, 3] padded by 2 on the left: [3, 2, 1, 2, 3]).</summary>
    Reflect,

    /// <summary>"replicate": the edge value repeated ([1, 2, 3] padded by 2 on the left: [1, 1, 1, 2, 3]).</summary>
    Replicate,

    /// <summary>"circular": wrapped around from the other end ([1, 2, 3] padded by 2 on the left: [2, 3, 1, 2, 3]).</summary>
    Circular,
}
