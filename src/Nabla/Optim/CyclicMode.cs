namespace Nabla.Optim;

/// <summary>How <see cref="CyclicLR"/> scales each cycle's amplitude (PyTorch's <c>mode</c>).</summary>
public enum CyclicMode
{
    /// <summary>A plain triangle: the same amplitude every cycle (<c>"triangular"</c>).</summary>
    Triangular,

    /// <summary>The amplitude halves every cycle (<c>"triangular2"</c>).</summary>
    Triangular2,

    /// <summary>The amplitude is scaled by <c>gamma^iteration</c> (<c>"exp_range"</c>).</summary>
    ExpRange,
}

/// <summary>What <see cref="CyclicLR"/>'s custom scale function is given (PyTorch's <c>scale_mode</c>).</summary>
public enum CyclicScaleMode
{
    /// <summary>The cycle number (1, 2, ...).</summary>
    Cycle,

    /// <summary>The iteration (the schedule's step count).</summary>
    Iterations,
}
