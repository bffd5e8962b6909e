namespace Nabla.NN;

/// <summary>torch.nn.ZeroPad2d: pads the last two dims with zeros (negative amounts crop).</summary>
public sealed class ZeroPad2d : PadModule
{
    /// <summary>The same amount on all four sides.</summary>
    public ZeroPad2d(int padding) : base("ZeroPad2d", Same(padding, 2), PadMode.Constant, 0) { }

    /// <summary>Left, right (last dim), top, bottom (the dim before).</summary>
    public ZeroPad2d(int left, int right, int top, int bottom) : base("ZeroPad2d", [left, right, top, bottom], PadMode.Constant, 0) { }
}

/// <summary>torch.nn.ConstantPad1d: pads the last dim with a value (negative amounts crop).</summary>
public sealed class ConstantPad1d : PadModule
{
    /// <summary>The same amount on both sides.</summary>
    public ConstantPad1d(int padding, double value) : base("ConstantPad1d", Same(padding, 1), PadMode.Constant, value) { }

    /// <summary>Left and right amounts.</summary>
    public ConstantPad1d(int left, int right, double value) : base("ConstantPad1d", [left, right], PadMode.Constant, value) { }
}

/// <summary>torch.nn.ConstantPad2d: pads the last two dims with a value (negative amounts crop).</summary>
public sealed class ConstantPad2d : PadModule
{
    /// <summary>The same amount on all four sides.</summary>
    public ConstantPad2d(int padding, double value) : base("ConstantPad2d", Same(padding, 2), PadMode.Constant, value) { }

    /// <summary>Left, right (last dim), top, bottom (the dim before).</summary>
    public ConstantPad2d(int left, int right, int top, int bottom, double value) : base("ConstantPad2d", [left, right, top, bottom], PadMode.Constant, value) { }
}
