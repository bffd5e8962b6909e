namespace Nabla;

/// <summary>How <see cref="Tensor.ScatterReduce"/> combines the values that land on one place (torch.scatter_reduce's <c>reduce</c> string).</summary>
public enum ScatterReduction
{
    /// <summary>"sum": the values add up.</summary>
    Sum,

    /// <summary>"prod": the values multiply.</summary>
    Prod,

    /// <summary>"mean": their average (floor division for integer dtypes, as PyTorch).</summary>
    Mean,

    /// <summary>"amax": the largest (NaN wins).</summary>
    AMax,

    /// <summary>"amin": the smallest (NaN wins).</summary>
    AMin,
}
