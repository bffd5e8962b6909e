using Nabla.Data;

namespace Nabla.Tests.Data;

public class TensorDatasetTests
{
    [Fact]
    public void SamplesAreRowsOfEveryTensor()
    {
        var x = Tensor.Arange(12, DType.Float32).Reshape(4, 3);
        var y = Tensor.FromArray(new long[] { 7, 8, 9, 10 }, [4]);
        var data = new TensorDataset(x, y);
        Assert.Equal(4, data.Count);
        var sample = data[2];
        Assert.Equal(new[] { 6f, 7f, 8f }, sample[0].ToArray<float>());
        Assert.Equal([], sample[1].Shape.ToArray());
        Assert.Equal(9L, sample[1].Item<long>());
        Assert.Equal(4, data.Count());   // enumerable over samples
        Assert.Throws<ArgumentOutOfRangeException>(() => data[4]);
        Assert.Throws<ArgumentOutOfRangeException>(() => data[-1]);
    }

    [Fact]
    public void GetBatchGathersRowsAndMatchesStackingSamples()
    {
        var x = Tensor.Arange(12, DType.Float64).Reshape(4, 3);
        var y = Tensor.Arange(4);
        var data = new TensorDataset(x, y);
        var batch = data.GetBatch([3, 0, 3]);
        Assert.Equal([3, 3], batch[0].Shape.ToArray());
        Assert.Equal(new double[] { 9, 10, 11, 0, 1, 2, 9, 10, 11 }, batch[0].ToArray<double>());
        Assert.Equal(new long[] { 3, 0, 3 }, batch[1].ToArray<long>());
        // The generic path (stack the samples) gives the same.
        var generic = new Wrapper(data).GetBatch([3, 0, 3]);
        Assert.Equal(batch[0].ToArray<double>(), generic[0].ToArray<double>());
        Assert.Equal(batch[1].ToArray<long>(), generic[1].ToArray<long>());
        Assert.Throws<ArgumentOutOfRangeException>(() => data.GetBatch([0, 4]));
    }

    [Fact]
    public void OutsideTheLoaderABatchOfTrainableDataIsDifferentiable()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }, [3, 2], requiresGrad: true);
        var batch = new TensorDataset(x).GetBatch([1, 1, 2])[0];
        Assert.Equal(new[] { 3.0, 4, 3, 4, 5, 6 }, batch.ToArray<double>());
        batch.Sum().Backward();
        Assert.Equal(new[] { 0.0, 0, 2, 2, 1, 1 }, x.Grad!.ToArray<double>());
    }

    [Fact]
    public void BatchesOfViewsAndOfOffsetTensorsHoldTheRightRows()
    {
        var baseTensor = Tensor.Arange(20, DType.Float32).Reshape(5, 4);
        var transposed = baseTensor.T;        // [4, 5], not contiguous
        var tail = baseTensor[2..];           // [3, 4], contiguous with an offset
        Assert.Equal(new float[] { 3, 7, 11, 15, 19, 1, 5, 9, 13, 17 }, new TensorDataset(transposed).GetBatch([3, 1])[0].ToArray<float>());
        Assert.Equal(new float[] { 16, 17, 18, 19, 8, 9, 10, 11 }, new TensorDataset(tail).GetBatch([2, 0])[0].ToArray<float>());
    }

    [Fact]
    public void TensorsMustAgreeInDimZero()
    {
        var e = Assert.Throws<ArgumentException>(() => new TensorDataset(Tensor.Zeros(4, 2), Tensor.Zeros(3)));
        Assert.Contains("tensor 1 has shape [3] and tensor 0 has [4, 2]", e.Message);
        Assert.Contains("0-d", Assert.Throws<ArgumentException>(() => new TensorDataset(Tensor.Scalar(1f))).Message);
        Assert.Throws<ArgumentException>(() => new TensorDataset());
    }

    [Fact]
    public void DefaultBatchingExplainsSamplesThatCannotBeStacked()
    {
        var ragged = new Ragged();
        var e = Assert.Throws<InvalidOperationException>(() => ragged.GetBatch([0, 1]));
        Assert.Contains("field 0 of sample 1 has shape [2] but sample 0 has [1]", e.Message);
    }

    sealed class Wrapper(Dataset inner) : Dataset
    {
        public override int Count => inner.Count;
        public override Tensor[] this[int index] => inner[index];
    }

    sealed class Ragged : Dataset
    {
        public override int Count => 2;
        public override Tensor[] this[int index] => [Tensor.Ones(index + 1)];
    }
}
