namespace Nabla;

/// <summary>
/// What <see cref="Tensor.Unique"/> and <see cref="Tensor.UniqueConsecutive"/> return (torch.unique's tuple): the unique
/// values, and when asked for, the int64 inverse (where each input element or slice went) and the int64 counts.
/// Deconstructs: <c>var (values, inverse, counts) = x.Unique(returnInverse: true, returnCounts: true);</c>
/// </summary>
public sealed class UniqueResult(Tensor values, Tensor? inverse, Tensor? counts)
{
    /// <summary>The unique values (slices along the dim, when one was given).</summary>
    public Tensor Values { get; } = values;

    /// <summary>For each input element (or slice), the index of its value in <see cref="Values"/>; null unless asked for.</summary>
    public Tensor? Inverse { get; } = inverse;

    /// <summary>How many times each unique value occurs; null unless asked for.</summary>
    public Tensor? Counts { get; } = counts;

    /// <summary>Values and inverse.</summary>
    public void Deconstruct(out Tensor values, out Tensor? inverse) => (values, inverse) = (Values, Inverse);

    /// <summary>Values, inverse and counts.</summary>
    public void Deconstruct(out Tensor values, out Tensor? inverse, out Tensor? counts) => (values, inverse, counts) = (Values, Inverse, Counts);

    /// <summary>The parts' contents, as PyTorch prints the tuple.</summary>
    public override string ToString() =>
        $"UniqueResult(values={Values}" + (Inverse is null ? "" : $", inverse={Inverse}") + (Counts is null ? "" : $", counts={Counts}") + ")";
}
