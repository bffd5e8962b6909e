namespace Nabla.NN;

/// <summary>torch.nn.ReplicationPad1d: pads the last dim of a [C, W] or [N, C, W] tensor; repeats the edge values.</summary>
public sealed class ReplicationPad1d : PadModule
{
    /// <summary>The same amount on both sides.</summary>
    public ReplicationPad1d(int padding) : base("ReplicationPad1d", Same(padding, 1), PadMode.Replicate, 0) { }

    /// <summary>Left and right amounts.</summary>
    public ReplicationPad1d(int left, int right) : base("ReplicationPad1d", [left, right], PadMode.Replicate, 0) { }
}

/// <summary>torch.nn.ReplicationPad2d: pads the last two dims of a [C, H, W] or [N, C, H, W] tensor; repeats the edge values.</summary>
public sealed class ReplicationPad2d : PadModule
{
    /// <summary>The same amount on all four sides.</summary>
    public ReplicationPad2d(int padding) : base("ReplicationPad2d", Same(padding, 2), PadMode.Replicate, 0) { }

    /// <summary>Left, right (last dim), top, bottom (the dim before).</summary>
    public ReplicationPad2d(int left, int right, int top, int bottom) : base("ReplicationPad2d", [left, right, top, bottom], PadMode.Replicate, 0) { }
}
