namespace Nabla.NN;

/// <summary>The <c>mode</c> of <see cref="Functional.Interpolate"/> and <see cref="Upsample"/> (PyTorch's mode strings).</summary>
public enum InterpolationMode
{
    /// <summary>'nearest': output i copies input ⌊i·scale⌋ (3-d and 4-d inputs).</summary>
    Nearest,

    /// <summary>'linear': linear interpolation along L of a 3-d [N, C, L] input.</summary>
    Linear,

    /// <summary>'bilinear': linear interpolation along H and then W of a 4-d [N, C, H, W] input.</summary>
    Bilinear,
}
