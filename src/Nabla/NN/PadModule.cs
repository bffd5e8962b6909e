namespace Nabla.NN;

/// <summary>
/// The padding layers' shared body (PyTorch's _ConstantPadNd, _ReflectionPadNd, ...): a fixed padding, laid out as
/// torch.nn.functional.pad ((left, right) for the last dim, then (top, bottom) for the one before), a mode and a fill value.
/// </summary>
public abstract class PadModule : Module
{
    private protected PadModule(string name, int[] padding, PadMode mode, double value)
    {
        if (mode != PadMode.Constant && mode != PadMode.Circular && padding.Any(p => p < 0))
            throw Engine.Errors.Arg(name, $"padding {Shape.Format(padding)} has a negative amount; {mode} padding cannot crop.");
        (Padding, Mode, Value) = (padding, mode, value);
    }

    /// <summary>The (before, after) pairs, last dim first.</summary>
    public int[] Padding { get; }

    /// <summary>How the border is filled.</summary>
    public PadMode Mode { get; }

    /// <summary>The fill value (constant padding only).</summary>
    public double Value { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.Pad(x, Padding, Mode, Value);

    /// <inheritdoc/>
    protected override string ExtraRepr =>
        $"padding=({string.Join(", ", Padding)})" + (Mode == PadMode.Constant && Value != 0 ? $", value={Value}" : "");

    private protected static int[] Same(int p, int dims) => Enumerable.Repeat(p, 2 * dims).ToArray();
}
