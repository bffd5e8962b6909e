namespace Nabla;

/// <summary>
/// Thrown by <see cref="GradCheck.Check"/> and <see cref="GradCheck.CheckSecondOrder"/> when the
/// analytical Jacobian (from the autodiff rules) and the numerical one (central finite differences)
/// disagree. The properties describe the worst entry: the one furthest outside the tolerance.
/// </summary>
public sealed class GradCheckException : Exception
{
    internal GradCheckException(string message, int inputIndex, int[] inputElement, int outputIndex, int[] outputElement,
        double analytical, double numerical, int mismatchCount)
        : base(message)
    {
        InputIndex = inputIndex;
        InputElement = inputElement;
        OutputIndex = outputIndex;
        OutputElement = outputElement;
        Analytical = analytical;
        Numerical = numerical;
        MismatchCount = mismatchCount;
    }

    /// <summary>Position of the input (in the array passed to the check) whose element was perturbed.</summary>
    public int InputIndex { get; }

    /// <summary>Coordinates of the perturbed element within that input.</summary>
    public IReadOnlyList<int> InputElement { get; }

    /// <summary>Which output (0 for <see cref="GradCheck.Check"/>; for the second-order check, which input's gradient).</summary>
    public int OutputIndex { get; }

    /// <summary>Coordinates of the output element.</summary>
    public IReadOnlyList<int> OutputElement { get; }

    /// <summary>d output / d input from the autodiff rules.</summary>
    public double Analytical { get; }

    /// <summary>d output / d input from central finite differences.</summary>
    public double Numerical { get; }

    /// <summary>|analytical - numerical| (NaN when either is NaN).</summary>
    public double AbsoluteError => Math.Abs(Analytical - Numerical);

    /// <summary>|analytical - numerical| / |numerical| (Infinity when the numerical value is 0 and they differ).</summary>
    public double RelativeError => AbsoluteError == 0 ? 0 : AbsoluteError / Math.Abs(Numerical);

    /// <summary>How many Jacobian entries are outside the tolerance.</summary>
    public int MismatchCount { get; }
}
