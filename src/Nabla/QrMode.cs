namespace Nabla;

/// <summary>Which factors <see cref="Linalg.Qr"/> returns (torch.linalg.qr's <c>mode</c>: "reduced", "complete", "r").</summary>
public enum QrMode
{
    /// <summary>Q is m×k and R k×n, k = min(m, n) (the default).</summary>
    Reduced,

    /// <summary>Q is m×m and R m×n.</summary>
    Complete,

    /// <summary>Only R (k×n); Q is returned empty (shape [0]), as PyTorch. Not differentiable (R's derivative needs Q).</summary>
    R,
}
