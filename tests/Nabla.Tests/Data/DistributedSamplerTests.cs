using Nabla.Data;

namespace Nabla.Tests.Data;

/// <summary>
/// DistributedSampler against torch.utils.data.DistributedSampler's rules, worked out by hand: ceil(len / N) per
/// rank padded from the start, floor(len / N) with drop_last, rank r at positions r, r + N, …, the same
/// permutation on every rank, a new one per epoch. No MPI: the ranks are constructed explicitly.
/// </summary>
public class DistributedSamplerTests
{
    static int[][] Shards(int count, int replicas, bool shuffle, bool dropLast, int epoch, long seed = 7) =>
        [.. Enumerable.Range(0, replicas).Select(r => new DistributedSampler(count, replicas, r, shuffle, seed, dropLast).Order(epoch))];

    [Fact]
    public void UnshuffledShardsTakeEveryNthIndexAndPadFromTheStart()
    {
        // 10 samples over 3 ranks: ceil(10/3) = 4 each, the padded order is 0..9, 0, 1.
        var shards = Shards(10, 3, shuffle: false, dropLast: false, epoch: 0);
        Assert.Equal([0, 3, 6, 9], shards[0]);
        Assert.Equal([1, 4, 7, 0], shards[1]);
        Assert.Equal([2, 5, 8, 1], shards[2]);
        // With drop_last: floor(10/3) = 3 each, index 9 is dropped.
        shards = Shards(10, 3, shuffle: false, dropLast: true, epoch: 0);
        Assert.Equal([0, 3, 6], shards[0]);
        Assert.Equal([1, 4, 7], shards[1]);
        Assert.Equal([2, 5, 8], shards[2]);
    }

    [Fact]
    public void PaddingRepeatsTheOrderAsOftenAsNeededWhenTheDatasetIsSmallerThanTheWorld()
    {
        // 2 samples over 5 ranks: padded order 0, 1, 0, 1, 0 (torch repeats the whole list).
        var shards = Shards(2, 5, shuffle: false, dropLast: false, epoch: 0);
        Assert.Equal([[0], [1], [0], [1], [0]], shards);
        Assert.All(Shards(2, 5, shuffle: false, dropLast: true, epoch: 0), s => Assert.Empty(s));
    }

    [Theory]
    [InlineData(10, 3, false)]
    [InlineData(10, 3, true)]
    [InlineData(12, 4, false)]
    [InlineData(12, 4, true)]
    [InlineData(7, 2, false)]
    [InlineData(7, 2, true)]
    public void ShuffledShardsAreDisjointAndTheirUnionIsTheDataset(int count, int replicas, bool dropLast)
    {
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var shards = Shards(count, replicas, shuffle: true, dropLast, epoch);
            int perRank = dropLast ? count / replicas : (count + replicas - 1) / replicas;
            Assert.All(shards, s => Assert.Equal(perRank, s.Length));
            var all = shards.SelectMany(s => s).ToList();
            int padding = replicas * perRank - count;   // negative: dropped
            Assert.Equal(count + padding, all.Count);
            if (dropLast)
            {
                Assert.Equal(all.Count, all.Distinct().Count());   // disjoint, the tail dropped
                Assert.Equal(count - count % replicas, all.Count);
            }
            else
            {
                Assert.Equal(Enumerable.Range(0, count), all.Distinct().Order());   // every sample visited
                Assert.Equal(padding, all.Count - all.Distinct().Count());         // and exactly `padding` twice
            }
            // Every rank saw the same permutation: interleaving the shards rebuilds one epoch order.
            var interleaved = Enumerable.Range(0, replicas * perRank).Select(k => shards[k % replicas][k / replicas]).ToArray();
            var permutation = new DistributedSampler(count, 1, 0, shuffle: true, seed: 7).Order(epoch);
            Assert.Equal(permutation.Take(Math.Min(count, interleaved.Length)), interleaved.Take(Math.Min(count, interleaved.Length)));
            if (!dropLast) Assert.Equal(permutation.Take(padding), interleaved.Skip(count));   // padding from the start
        }
    }

    [Fact]
    public void EachEpochReshufflesAndTheSameSeedAndEpochGiveTheSameOrder()
    {
        var sampler = new DistributedSampler(100, 2, 1, shuffle: true, seed: 3);
        Assert.NotEqual(sampler.Order(0), sampler.Order(1));
        Assert.Equal(sampler.Order(1), new DistributedSampler(100, 2, 1, shuffle: true, seed: 3).Order(1));
        Assert.NotEqual(sampler.Order(1), new DistributedSampler(100, 2, 1, shuffle: true, seed: 4).Order(1));
        // The one-rank order is the loader's own shuffle for the same seed: one permutation code, not two.
        var data = new TensorDataset(Tensor.Arange(0, 100, 1, DType.Float64));
        Assert.Equal(new DataLoader(data, shuffle: true, seed: 3).Order(5), new DistributedSampler(100, 1, 0, shuffle: true, seed: 3).Order(5));
    }

    [Fact]
    public void TheLoaderBatchesItsRanksShardAndItsEpochPicksThePermutation()
    {
        var data = new TensorDataset(Tensor.Arange(0, 10, 1, DType.Float64));
        var sampler = new DistributedSampler(data.Count, 3, 2, shuffle: true, seed: 11);
        var loader = new DataLoader(data, batchSize: 3, sampler: sampler, prefetch: 0);
        Assert.Equal(2, loader.Count);   // 4 indices per rank: a batch of 3 and one of 1
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var seen = loader.SelectMany(b => b[0].ToArray<double>()).Select(v => (int)v).ToArray();
            Assert.Equal(sampler.Order(epoch), seen);
        }
        Assert.Equal(3, loader.Epoch);
        Assert.Equal(1, new DataLoader(data, batchSize: 3, sampler: sampler, dropLast: true).Count);
    }

    [Fact]
    public void SetEpochChoosesTheLoadersNextEpochAndCountingGoesOnFromIt()
    {
        var data = new TensorDataset(Tensor.Arange(0, 9, 1, DType.Float64));
        var sampler = new DistributedSampler(data.Count, 2, 0, shuffle: true, seed: 5);
        var loader = new DataLoader(data, batchSize: 5, sampler: sampler, prefetch: 0);
        sampler.SetEpoch(4);
        Assert.Equal(sampler.Order(4), loader.Single()[0].ToArray<double>().Select(v => (int)v));
        Assert.Equal(sampler.Order(5), loader.Single()[0].ToArray<double>().Select(v => (int)v));
        Assert.Equal(6, loader.Epoch);
    }

    [Fact]
    public void BadArgumentsNameTheProblemAndTheCaller()
    {
        var e = Assert.Throws<ArgumentException>(() => new DistributedSampler(10, 2, 2));
        Assert.Contains("DistributedSampler: rank 2 is out of range for 2 replica(s); valid ranks are 0..1", e.Message);
        Assert.Contains("DistributedSamplerTests.cs:", e.Message);
        e = Assert.Throws<ArgumentException>(() => new DistributedSampler(10, 0, 0));
        Assert.Contains("numReplicas is 0", e.Message);
        var data = new TensorDataset(Tensor.Arange(0, 10, 1, DType.Float64));
        e = Assert.Throws<ArgumentException>(() => new DataLoader(data, shuffle: true, sampler: new DistributedSampler(10, 2, 0)));
        Assert.Contains("DataLoader: sampler and shuffle: true exclude each other", e.Message);
        Assert.Contains("DistributedSamplerTests.cs:", e.Message);
        e = Assert.Throws<ArgumentException>(() => new DataLoader(data, sampler: new DistributedSampler(11, 2, 0)));
        Assert.Contains("made for 11 samples but the dataset has 10", e.Message);
    }

    [Fact]
    public void WithoutAProcessGroupTheSamplerIsOneRankOverTheWholeDataset()
    {
        // No mpirun here: no group, or the one-rank group another test made (a test process is never launched by MPI).
        var data = new TensorDataset(Tensor.Arange(0, 5, 1, DType.Float64));
        var sampler = new DistributedSampler(data, shuffle: false);
        Assert.Equal((1, 0, 5), (sampler.NumReplicas, sampler.Rank, sampler.Count));
        Assert.Equal([0, 1, 2, 3, 4], sampler.Order(0));
    }
}
