using Nabla.Data;

namespace Nabla.Tests.Data;

/// <summary>foreach (var (x, y) in loader), and the public thread-count setting (process-wide: in the CpuState collection).</summary>
[Collection(Nabla.Tests.Backends.CpuStateCollection.Name)]
public class BatchDeconstructionTests
{
    [Fact]
    public void LoaderBatchesDeconstructIntoInputsAndTargets()
    {
        var inputs = Tensor.Arange(10, DType.Float32).Reshape(5, 2);
        var labels = Tensor.Arange(5);
        var loader = new DataLoader(new TensorDataset(inputs, labels), batchSize: 2);
        var seen = new List<long>();
        foreach (var (x, y) in loader)
        {
            Assert.Equal(x.Shape[0], y.Shape[0]);
            seen.AddRange(y.ToArray<long>());
        }
        Assert.Equal(new long[] { 0, 1, 2, 3, 4 }, seen);
        var (a, b, c) = new[] { inputs, labels, labels };
        Assert.Same(labels, c);
        var e = Assert.Throws<ArgumentException>(() => { var (p, q) = new[] { inputs, labels, labels }; });
        Assert.Contains("holds 3 tensors", e.Message);
        Assert.Contains("BatchDeconstructionTests.cs:", e.Message);
    }

    [Fact]
    public void ThreadCountChangesNoBits()
    {
        int before = Threads.Count;
        try
        {
            var a = Tensor.Randn([300, 200]);
            var b = Tensor.Randn([200, 150]);
            Threads.Count = 1;
            var one = a.MatMul(b).Softmax(-1).ToArray<float>();
            Threads.Count = 2;
            var two = a.MatMul(b).Softmax(-1).ToArray<float>();
            Assert.Equal(one, two);
            Assert.Equal(2, Threads.Count);
            Assert.Throws<ArgumentException>(() => Threads.Count = 0);
        }
        finally { Threads.Count = before; }
    }
}
