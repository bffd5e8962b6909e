using System.Collections;

namespace Nabla.Data;

/// <summary>
/// A list of samples, as PyTorch's map-style <c>Dataset</c>. A sample is an array of tensors, its
/// fields: for labelled images <c>[image, label]</c>. <see cref="DataLoader"/> batches samples by
/// stacking each field along a new dim 0.
/// </summary>
/// <example><code>
/// sealed class Squares : Dataset
/// {
///     public override int Count => 100;
///     public override Tensor[] this[int i] => [Tensor.Scalar((float)i), Tensor.Scalar((float)(i * i))];
/// }
/// </code></example>
public abstract class Dataset : IReadOnlyList<Tensor[]>
{
    /// <summary>Number of samples.</summary>
    public abstract int Count { get; }

    /// <summary>Sample <paramref name="index"/> (0 ≤ index &lt; <see cref="Count"/>): its fields.</summary>
    public abstract Tensor[] this[int index] { get; }

    /// <summary>
    /// The samples at <paramref name="indices"/> as one batch: field k of the result stacks field k of
    /// every sample along a new dim 0. Samples must have the same number of fields, and a field the
    /// same shape in every sample. Override it when a faster way exists (as <see cref="TensorDataset"/> does).
    /// </summary>
    public virtual Tensor[] GetBatch(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Count == 0) throw new ArgumentException("Dataset.GetBatch: a batch needs at least one index.", nameof(indices));
        var samples = new Tensor[indices.Count][];
        for (int i = 0; i < samples.Length; i++)
        {
            samples[i] = this[indices[i]] ?? throw new InvalidOperationException($"Dataset.GetBatch: sample {indices[i]} is null.");
            if (samples[i].Length != samples[0].Length)
                throw new InvalidOperationException(
                    $"Dataset.GetBatch: sample {indices[i]} has {samples[i].Length} fields but sample {indices[0]} has {samples[0].Length}; every sample needs the same fields.");
        }
        var batch = new Tensor[samples[0].Length];
        for (int f = 0; f < batch.Length; f++)
        {
            var parts = new Tensor[samples.Length];
            for (int i = 0; i < parts.Length; i++)
            {
                parts[i] = samples[i][f] ?? throw new InvalidOperationException($"Dataset.GetBatch: field {f} of sample {indices[i]} is null.");
                if (!parts[i].Shape.Equals(parts[0].Shape))
                    throw new InvalidOperationException(
                        $"Dataset.GetBatch: field {f} of sample {indices[i]} has shape {parts[i].Shape} but sample {indices[0]} has {parts[0].Shape}; " +
                        "samples must have equal shapes to be stacked (resize or pad them, or override GetBatch).");
            }
            batch[f] = Tensor.Stack(parts);
        }
        return batch;
    }

    /// <inheritdoc/>
    public IEnumerator<Tensor[]> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
