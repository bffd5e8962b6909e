namespace Nabla.NN;

/// <summary>The nonlinearities <see cref="Init.CalculateGain"/> knows (PyTorch's <c>nonlinearity</c> strings).</summary>
public enum Nonlinearity
{
    /// <summary>No nonlinearity (<c>"linear"</c>): gain 1.</summary>
    Linear,
    /// <summary><c>"conv1d"</c>: gain 1.</summary>
    Conv1d,
    /// <summary><c>"conv2d"</c>: gain 1.</summary>
    Conv2d,
    /// <summary><c>"conv3d"</c>: gain 1.</summary>
    Conv3d,
    /// <summary><c>"conv_transpose1d"</c>: gain 1.</summary>
    ConvTranspose1d,
    /// <summary><c>"conv_transpose2d"</c>: gain 1.</summary>
    ConvTranspose2d,
    /// <summary><c>"conv_transpose3d"</c>: gain 1.</summary>
    ConvTranspose3d,
    /// <summary><c>"sigmoid"</c>: gain 1.</summary>
    Sigmoid,
    /// <summary><c>"tanh"</c>: gain 5/3.</summary>
    Tanh,
    /// <summary><c>"relu"</c>: gain √2.</summary>
    ReLU,
    /// <summary><c>"leaky_relu"</c>: gain √(2/(1 + slope²)), slope 0.01 unless given.</summary>
    LeakyReLU,
    /// <summary><c>"selu"</c>: gain 3/4.</summary>
    SELU,
}

/// <summary>Which fan <see cref="Init.KaimingUniform"/> and <see cref="Init.KaimingNormal"/> keep the variance of (PyTorch's <c>mode</c>).</summary>
public enum FanMode
{
    /// <summary>The inputs' (<c>"fan_in"</c>): preserves the variance of the forward pass.</summary>
    FanIn,
    /// <summary>The outputs' (<c>"fan_out"</c>): preserves the variance of the backward pass.</summary>
    FanOut,
}
