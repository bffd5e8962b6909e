namespace Nabla.NN;

/// <summary>torch.nn.CircularPad1d: pads the last dim of a [C, W] or [N, C, W] tensor; wraps around from the other end (each amount at most the dim's size; negative amounts crop).</summary>
public sealed class CircularPad1d : PadModule
{
    /// <summary>The same amount on both sides.</summary>
    public CircularPad1d(int padding) : base("CircularPad1d", Same(padding, 1), PadMode.Circular, 0) { }

    /// <summary>Left and right amounts.</summary>
    public CircularPad1d(int left, int right) : base("CircularPad1d", [left, right], PadMode.Circular, 0) { }
}

/// <summary>torch.nn.CircularPad2d: pads the last two dims of a [C, H, W] or [N, C, H, W] tensor; wraps around from the other end (each amount at most the dim's size; negative amounts crop).</summary>
public sealed class CircularPad2d : PadModule
{
    /// <summary>The same amount on all four sides.</summary>
    public CircularPad2d(int padding) : base("CircularPad2d", Same(padding, 2), PadMode.Circular, 0) { }

    /// <summary>Left, right (last dim), top, bottom (the dim before).</summary>
    public CircularPad2d(int left, int right, int top, int bottom) : base("CircularPad2d", [left, right, top, bottom], PadMode.Circular, 0) { }
}
