namespace Nabla.Optim;

/// <summary>How <see cref="OneCycleLR"/> moves between two rates within a phase.</summary>
public enum AnnealStrategy
{
    /// <summary>Half a cosine: <c>end + (start − end)/2·(1 + cos(π·pct))</c> (PyTorch's default).</summary>
    Cos,

    /// <summary>A straight line: <c>start + (end − start)·pct</c>.</summary>
    Linear,
}
