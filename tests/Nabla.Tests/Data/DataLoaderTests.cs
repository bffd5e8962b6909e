using Nabla.Data;

namespace Nabla.Tests.Data;

public class DataLoaderTests
{
    static TensorDataset Numbered(int n) =>
        new(Tensor.Arange(n * 2, DType.Float32).Reshape(n, 2), Tensor.Arange(n));

    static long[] Ids(IEnumerable<Tensor[]> batches) => batches.SelectMany(b => b[1].ToArray<long>()).ToArray();

    [Fact]
    public void BatchesAreStackedWithAPartialLastBatch()
    {
        var loader = new DataLoader(Numbered(10), batchSize: 4);
        Assert.Equal(3, loader.Count);
        var batches = loader.ToList();
        Assert.Equal([[4, 2], [4, 2], [2, 2]], batches.Select(b => b[0].Shape.ToArray()));
        Assert.Equal([[4], [4], [2]], batches.Select(b => b[1].Shape.ToArray()));
        Assert.Equal(new float[] { 16, 17, 18, 19 }, batches[2][0].ToArray<float>());
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), Ids(batches));
    }

    [Fact]
    public void DropLastSkipsThePartialBatch()
    {
        var loader = new DataLoader(Numbered(10), batchSize: 4, dropLast: true);
        Assert.Equal(2, loader.Count);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (long)i), Ids(loader));
        var shuffled = new DataLoader(Numbered(10), batchSize: 3, shuffle: true, dropLast: true, seed: 5);
        var ids = Ids(shuffled);
        Assert.Equal(9, ids.Length);
        Assert.Equal(9, ids.Distinct().Count());
        Assert.Empty(new DataLoader(Numbered(3), batchSize: 4, dropLast: true));
        Assert.Single(new DataLoader(Numbered(3), batchSize: 4));
    }

    [Fact]
    public void ShuffleVisitsEveryIndexOncePerEpochInANewOrder()
    {
        var loader = new DataLoader(Numbered(100), batchSize: 7, shuffle: true, seed: 42);
        var epochs = Enumerable.Range(0, 3).Select(_ => Ids(loader)).ToList();
        Assert.Equal(3, loader.Epoch);
        foreach (var ids in epochs)
            Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), ids.Order());
        Assert.NotEqual(epochs[0], epochs[1]);
        Assert.NotEqual(epochs[1], epochs[2]);
        Assert.NotEqual(Enumerable.Range(0, 100).Select(i => (long)i), epochs[0]);
    }

    [Fact]
    public void TheSameSeedGivesTheSameOrderAndEpochsCanBeReplayed()
    {
        var a = new DataLoader(Numbered(50), batchSize: 8, shuffle: true, seed: 7);
        var b = new DataLoader(Numbered(50), batchSize: 8, shuffle: true, seed: 7, prefetch: 0);
        var c = new DataLoader(Numbered(50), batchSize: 8, shuffle: true, seed: 8);
        var a0 = Ids(a);
        var a1 = Ids(a);
        Assert.Equal(a0, Ids(b));
        Assert.Equal(a1, Ids(b));
        Assert.NotEqual(a0, Ids(c));
        b.Epoch = 1;
        Assert.Equal(a1, Ids(b));
        Assert.Equal(a1, a.Order(1).Select(i => (long)i));
    }

    [Fact]
    public void ShuffleIsUnbiased()
    {
        // Over 4000 epochs, each of 4 samples comes first about 1000 times (sd about 27).
        var loader = new DataLoader(Numbered(4), batchSize: 4, shuffle: true, seed: 3);
        var first = new int[4];
        for (int e = 0; e < 4000; e++) first[loader.Order(e)[0]]++;
        Assert.All(first, n => Assert.InRange(n, 880, 1120));
    }

    [Fact]
    public void BatchesDoNotRecordGradientsEvenFromTrainableData()
    {
        var x = Tensor.FromArray(new[] { 1f, 2f, 3f }, [3], requiresGrad: true);
        foreach (var prefetch in new[] { 0, 1 })
        {
            var batch = new DataLoader(new TensorDataset(x), batchSize: 2, prefetch: prefetch).First();
            Assert.False(batch[0].RequiresGrad);
            Assert.Null(batch[0].GradFn);
        }
    }

    [Fact]
    public void ArgumentsAreChecked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(Numbered(3), batchSize: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(Numbered(3), prefetch: -1));
        Assert.Throws<ArgumentNullException>(() => new DataLoader(null!));
        Assert.Empty(new DataLoader(new ProbeDataset(0), batchSize: 2));
    }
}

/// <summary>Reseeds the global generator, so it runs alone (see RandomTests).</summary>
[Collection("GlobalRandomState")]
public class DataLoaderGlobalSeedTests
{
    [Fact]
    public void WithoutASeedTheGlobalSeedMakesItReproducible()
    {
        Tensor.ManualSeed(11);
        var a = new DataLoader(Numbered(30), batchSize: 30, shuffle: true);
        Tensor.ManualSeed(11);
        var b = new DataLoader(Numbered(30), batchSize: 30, shuffle: true);
        Assert.Equal(a.Seed, b.Seed);
        Assert.Equal(Ids(a), Ids(b));
    }

    static long[] Ids(IEnumerable<Tensor[]> batches) => batches.SelectMany(b => b[1].ToArray<long>()).ToArray();

    static TensorDataset Numbered(int n) =>
        new(Tensor.Arange(n * 2, DType.Float32).Reshape(n, 2), Tensor.Arange(n));
}
