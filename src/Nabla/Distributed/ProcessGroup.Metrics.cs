namespace Nabla.Distributed;

/// <summary>
/// Metrics across ranks in one call each: every rank passes its own numbers and gets the run's. Each call is one
/// collective, however many numbers it reduces, so a log line costs one round trip.
/// </summary>
public sealed partial class ProcessGroup
{
    /// <summary>
    /// Reduces several numbers at once, element by element (sums of loss, correct and seen counts in one collective):
    /// <c>world.AllReduce([lossSum, correct, seen])</c>. <see cref="ReduceOp.Average"/> gives each number's mean over
    /// the ranks. Every rank must pass the same count.
    /// </summary>
    public double[] AllReduce(double[] values, ReduceOp op = ReduceOp.Sum)
    {
        ArgumentNullException.ThrowIfNull(values);
        return AllReduce(Tensor.FromArray(values, [values.Length]), op).ToArray<double>();
    }

    /// <summary>
    /// The mean of a per-rank mean over the whole run, weighting each rank by <paramref name="count"/> (the samples
    /// behind its <paramref name="value"/>): Σ value·count / Σ count. Ranks whose shards differ in size
    /// (drop_last: false, a last short batch) then give the same number one process over all the data would.
    /// With the default count of 1 it is the plain mean over ranks. NaN when the counts sum to 0.
    /// </summary>
    public double Mean(double value, double count = 1)
    {
        var sums = AllReduce([value * count, count]);
        return sums[1] == 0 ? double.NaN : sums[0] / sums[1];
    }

    /// <summary>
    /// Accuracy over the whole run: Σ <paramref name="correct"/> / Σ <paramref name="seen"/>, the counts summed exactly
    /// (as int64). NaN when no rank saw anything.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative count, or more correct than seen.</exception>
    public double Accuracy(long correct, long seen)
    {
        if (correct < 0 || seen < 0 || correct > seen)
            throw new ArgumentOutOfRangeException(nameof(correct),
                $"ProcessGroup.Accuracy: rank {Rank} passed correct = {correct}, seen = {seen}; expected 0 <= correct <= seen (called from {Engine.CallSite.Describe()}).");
        var sums = AllReduce(Tensor.FromArray([correct, seen], [2])).ToArray<long>();
        return sums[1] == 0 ? double.NaN : (double)sums[0] / sums[1];
    }

    /// <summary>A one-rank group that is not <see cref="Current"/> (tests use it beside the process's own group).</summary>
    internal static ProcessGroup SingleForTests(bool deterministic = false) =>
        new(null, null, 0, 1, TimeSpan.FromSeconds(300), deterministic);
}
