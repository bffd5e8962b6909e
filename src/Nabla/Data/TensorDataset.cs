using Nabla.Engine;

namespace Nabla.Data;

/// <summary>
/// A dataset of tensors that share their first dim (PyTorch's <c>TensorDataset</c>): sample i is
/// <c>[t0[i], t1[i], ...]</c>, views of the rows. A batch is gathered with one
/// <see cref="Tensor.IndexSelect"/> per tensor, or by copying rows directly when nothing could
/// record the operation (no gradient needed, no tape or forward-mode level active), which is the
/// case inside <see cref="DataLoader"/>.
/// </summary>
/// <example><code>
/// var data = new TensorDataset(images, labels);   // images [N, 1, 28, 28], labels [N]
/// var (image, label) = (data[0][0], data[0][1]);  // [1, 28, 28] and a 0-d tensor
/// </code></example>
public class TensorDataset : Dataset
{
    readonly Tensor[] _tensors;

    /// <summary>Wraps <paramref name="tensors"/>; each needs at least one dim, and all the same size in dim 0.</summary>
    public TensorDataset(params Tensor[] tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0) throw new ArgumentException("TensorDataset: give at least one tensor.", nameof(tensors));
        for (int i = 0; i < tensors.Length; i++)
        {
            var t = tensors[i] ?? throw new ArgumentException($"TensorDataset: tensor {i} is null.", nameof(tensors));
            if (t.Rank == 0)
                throw new ArgumentException($"TensorDataset: tensor {i} is 0-d; samples are taken along dim 0, so each tensor needs at least one dim.", nameof(tensors));
            if (t.Shape[0] != tensors[0].Shape[0])
                throw new ArgumentException(
                    $"TensorDataset: all tensors need the same size in dim 0, but tensor {i} has shape {t.Shape} and tensor 0 has {tensors[0].Shape}.", nameof(tensors));
        }
        _tensors = (Tensor[])tensors.Clone();
    }

    /// <summary>The wrapped tensors.</summary>
    public IReadOnlyList<Tensor> Tensors => _tensors;

    /// <inheritdoc/>
    public override int Count => _tensors[0].Shape[0];

    /// <summary>Row <paramref name="index"/> of every tensor (views that share memory with the tensors).</summary>
    public override Tensor[] this[int index]
    {
        get
        {
            CheckIndex(index);
            var sample = new Tensor[_tensors.Length];
            for (int i = 0; i < sample.Length; i++) sample[i] = _tensors[i][index];
            return sample;
        }
    }

    /// <summary>The rows at <paramref name="indices"/> of every tensor, gathered into new tensors.</summary>
    public override Tensor[] GetBatch(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Count == 0) throw new ArgumentException("TensorDataset.GetBatch: a batch needs at least one index.", nameof(indices));
        var index = new long[indices.Count];
        for (int i = 0; i < index.Length; i++)
        {
            CheckIndex(indices[i]);
            index[i] = indices[i];
        }
        Tensor? rows = null;
        var batch = new Tensor[_tensors.Length];
        for (int i = 0; i < batch.Length; i++)
        {
            var t = _tensors[i];
            batch[i] = t.IsContiguous && Untracked(t)
                ? CopyRows(t, index)
                : t.IndexSelect(0, rows ??= Tensor.FromArray(index, [index.Length]));
        }
        return batch;
    }

    static bool Untracked(Tensor t) =>
        (!t.RequiresGrad || !GradMode.Enabled) && !ForwardMode.Active && !Tapes.AnyRecording;

    /// <summary>The rows of a contiguous tensor copied into a new one: a block copy per row (what IndexSelect computes).</summary>
    static Tensor CopyRows(Tensor t, long[] rows) => t.DType switch
    {
        DType.Float32 => CopyRows<float>(t, rows),
        DType.Float64 => CopyRows<double>(t, rows),
        DType.Int32 => CopyRows<int>(t, rows),
        DType.Int64 => CopyRows<long>(t, rows),
        _ => CopyRows<bool>(t, rows),
    };

    static Tensor CopyRows<T>(Tensor t, long[] rows) where T : unmanaged
    {
        var shape = t.Shape.ToArray();
        shape[0] = rows.Length;
        var rowShape = new Shape(shape[1..]);
        var rowStrides = t.Strides[1..];
        int rowSize = rowShape.NumElements;
        var host = new T[rows.Length * rowSize];
        for (int k = 0; k < rows.Length; k++)
            Dispatch.ToHost(t.View(rowShape, rowStrides, t.Offset + (int)rows[k] * t.Strides[0]), host, k * rowSize);
        // On the CPU the gathered rows become the batch's memory; other devices get a copy.
        return t.Device.Equals(Device.Cpu) ? Dispatch.AdoptHost(host, new Shape(shape)) : Dispatch.FromHost<T>(host, new Shape(shape), t.Device);
    }

    void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"TensorDataset: index {index} is outside the {Count} samples.");
    }
}
