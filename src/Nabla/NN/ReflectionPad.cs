namespace Nabla.NN;

/// <summary>torch.nn.ReflectionPad1d: pads the last dim of a [C, W] or [N, C, W] tensor; mirrors the border about the edge (each amount below the dim's size).</summary>
public sealed class ReflectionPad1d : PadModule
{
    /// <summary>The same amount on both sides.</summary>
    public ReflectionPad1d(int padding) : base("ReflectionPad1d", Same(padding, 1), PadMode.Reflect, 0) { }

    /// <summary>Left and right amounts.</summary>
    public ReflectionPad1d(int left, int right) : base("ReflectionPad1d", [left, right], PadMode.Reflect, 0) { }
}

/// <summary>torch.nn.ReflectionPad2d: pads the last two dims of a [C, H, W] or [N, C, H, W] tensor; mirrors the border about the edge (each amount below the dim's size).</summary>
public sealed class ReflectionPad2d : PadModule
{
    /// <summary>The same amount on all four sides.</summary>
    public ReflectionPad2d(int padding) : base("ReflectionPad2d", Same(padding, 2), PadMode.Reflect, 0) { }

    /// <summary>Left, right (last dim), top, bottom (the dim before).</summary>
    public ReflectionPad2d(int left, int right, int top, int bottom) : base("ReflectionPad2d", [left, right, top, bottom], PadMode.Reflect, 0) { }
}
