namespace Nabla.NN;

/// <summary>Which form of GELU to compute, as PyTorch's <c>approximate=</c> argument.</summary>
public enum GeluApproximation
{
    /// <summary>The exact form x·Φ(x) = 0.5·x·(1 + erf(x/√2)).</summary>
    None,

    /// <summary>The tanh estimate 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).</summary>
    Tanh,
}
