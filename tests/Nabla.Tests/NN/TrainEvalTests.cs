using Nabla.NN;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.NN;

/// <summary>Dropout and BatchNorm in training and evaluation mode; initialization statistics and seeding.</summary>
public class TrainEvalTests
{
    static Tensor D(double[] v, params int[] shape) => Tensor.FromArray(v, shape);

    [Fact]
    public void BatchNormRunningStatisticsAfterTwoSteps()
    {
        var bn = new BatchNorm1d(1, dtype: DType.Float64);
        // Step 1: [1, 3] → mean 2, biased var 1 (normalizes), unbiased var 2 (running).
        var y1 = bn.Call(D([1, 3], 2, 1)).ToArray<double>();
        Assert.Equal(-1 / Math.Sqrt(1 + 1e-5), y1[0], 14);
        Assert.Equal(1 / Math.Sqrt(1 + 1e-5), y1[1], 14);
        Assert.Equal(0.2, bn.RunningMean!.Item<double>(), 15);               // 0.9·0 + 0.1·2
        Assert.Equal(1.1, bn.RunningVar!.Item<double>(), 15);                // 0.9·1 + 0.1·2
        // Step 2: [0, 4, 8] → mean 4, biased var 32/3, unbiased var 16.
        var y2 = bn.Call(D([0, 4, 8], 3, 1)).ToArray<double>();
        Assert.Equal(4 / Math.Sqrt(32.0 / 3 + 1e-5), y2[2], 14);
        Assert.Equal(0.58, bn.RunningMean.Item<double>(), 15);               // 0.9·0.2 + 0.1·4
        Assert.Equal(2.59, bn.RunningVar.Item<double>(), 14);                // 0.9·1.1 + 0.1·16
        Assert.Equal(2L, bn.NumBatchesTracked!.Item<long>());
        // Evaluation uses the running statistics and leaves them alone.
        bn.Eval();
        Assert.Equal((1 - 0.58) / Math.Sqrt(2.59 + 1e-5), bn.Call(D([1], 1, 1)).Item<double>(), 14);
        Assert.Equal(0.58, bn.RunningMean.Item<double>(), 15);
        Assert.Equal(2L, bn.NumBatchesTracked.Item<long>());
    }

    [Fact]
    public void BatchNormCumulativeAverageWithoutMomentum()
    {
        var bn = new BatchNorm1d(1, momentum: null, dtype: DType.Float64);
        bn.Call(D([1, 3], 2, 1));
        Assert.Equal(2, bn.RunningMean!.Item<double>(), 15);
        bn.Call(D([0, 4, 8], 3, 1));
        Assert.Equal(3, bn.RunningMean.Item<double>(), 15);                  // (2 + 4)/2
        Assert.Equal(9, bn.RunningVar!.Item<double>(), 14);                  // (2 + 16)/2
    }

    [Fact]
    public void BatchNorm2dNormalizesPerChannelOverBatchAndSpace()
    {
        var bn = new BatchNorm2d(2, dtype: DType.Float64);
        // Channel 0 holds 0..3 (mean 1.5, biased var 1.25), channel 1 holds 10, 10, 10, 14 (mean 11, var 3).
        var x = D([0, 1, 10, 10, 2, 3, 10, 14], 2, 2, 1, 2);
        var y = bn.Call(x).ToArray<double>();
        double s0 = Math.Sqrt(1.25 + 1e-5), s1 = Math.Sqrt(3 + 1e-5);
        Assert.Equal(-1.5 / s0, y[0], 14);
        Assert.Equal(1.5 / s0, y[5], 14);
        Assert.Equal(3 / s1, y[7], 14);
        Assert.Equal(0.15, bn.RunningMean!.ToArray<double>()[0], 15);      // 0.1·mean
        Assert.Equal(1.1, bn.RunningMean.ToArray<double>()[1], 15);
        Assert.Equal(0.9 + 0.1 * 4, bn.RunningVar!.ToArray<double>()[1], 14);  // unbiased 12/3 = 4
        var ex = Assert.Throws<ArgumentException>(() => bn.Call(Tensor.Zeros([1, 2, 1, 1], DType.Float64)));
        Assert.Contains("more than 1 value per channel", ex.Message);
        Assert.Throws<ArgumentException>(() => bn.Call(Tensor.Zeros([2, 3, 1, 1], DType.Float64)));
    }

    [Fact]
    public void DropoutScalesKeptValuesAndPassesThroughInEvaluation()
    {
        var drop = new Dropout(0.3, seed: 11);
        var x = Tensor.Ones([100, 100], DType.Float64);
        var y = drop.Call(x).ToArray<double>();
        Assert.All(y, v => Assert.True(v == 0 || Math.Abs(v - 1 / 0.7) < 1e-15, $"value {v}"));
        double dropped = y.Count(v => v == 0) / (double)y.Length;
        Assert.InRange(dropped, 0.27, 0.33);                                 // 10 000 draws: sd 0.0046
        // A fresh mask on each call; the same sequence for the same seed.
        var y2 = drop.Call(x).ToArray<double>();
        Assert.NotEqual(y, y2);
        var again = new Dropout(0.3, seed: 11);
        Assert.Equal(y, again.Call(x).ToArray<double>());
        Assert.Equal(y2, again.Call(x).ToArray<double>());
        drop.Eval();
        Assert.Same(x, drop.Call(x));
        // Gradient: the mask times 1/(1 - p).
        var leaf = Tensor.Ones([50], DType.Float64);
        leaf.RequiresGrad = true;
        var z = F.Dropout(leaf, 0.5, seed: 3);
        z.Sum().Backward();
        Assert.Equal(z.ToArray<double>(), leaf.Grad!.ToArray<double>());
        Assert.All(F.Dropout(x, 1.0).ToArray<double>(), v => Assert.Equal(0, v));
        Assert.Throws<ArgumentException>(() => new Dropout(1.5));
    }

    [Fact]
    public void DropoutWithoutSeedFollowsManualSeed()
    {
        var x = Tensor.Ones(64);
        Tensor.ManualSeed(42);
        var a = new Dropout().Call(x).ToArray<float>();
        Tensor.ManualSeed(42);
        var b = new Dropout().Call(x).ToArray<float>();
        Assert.Equal(a, b);
    }

    [Fact]
    public void LinearAndConvInitFollowPyTorchBounds()
    {
        var fc = new Linear(100, 200, seed: 1, dtype: DType.Float64);
        var w = fc.Weight.ToArray<double>();
        double bound = 0.1;                                                  // 1/√100
        Assert.All(w, v => Assert.InRange(v, -bound, bound));
        Assert.All(fc.Bias!.ToArray<double>(), v => Assert.InRange(v, -bound, bound));
        // U(-b, b): mean 0, variance b²/3. 20 000 draws: sd of the mean 4e-4, of the variance ~1.7e-5.
        Assert.InRange(w.Average(), -0.002, 0.002);
        Assert.InRange(w.Select(v => v * v).Average(), bound * bound / 3 * 0.97, bound * bound / 3 * 1.03);
        Assert.True(w.Max() > 0.99 * bound && w.Min() < -0.99 * bound);

        var conv = new Conv2d(4, 64, 3, groups: 2, seed: 2, dtype: DType.Float64);   // fan in 2·3·3 = 18
        double cb = 1 / Math.Sqrt(18);
        var cw = conv.Weight.ToArray<double>();
        Assert.All(cw, v => Assert.InRange(v, -cb, cb));
        Assert.True(cw.Max() > 0.95 * cb);
        Assert.All(conv.Bias!.ToArray<double>(), v => Assert.InRange(v, -cb, cb));
    }

    [Fact]
    public void InitIsDeterministicWithASeedOrManualSeed()
    {
        Assert.Equal(new Linear(5, 4, seed: 9).Weight.ToArray<float>(), new Linear(5, 4, seed: 9).Weight.ToArray<float>());
        Assert.NotEqual(new Linear(5, 4, seed: 9).Weight.ToArray<float>(), new Linear(5, 4, seed: 10).Weight.ToArray<float>());
        // Weight and bias draw from different streams.
        var l = new Linear(1, 4, seed: 9);
        Assert.NotEqual(l.Weight.ToArray<float>(), l.Bias!.ToArray<float>());
        Tensor.ManualSeed(7);
        var m1 = new Sequential(new Linear(3, 3), new Conv2d(1, 2, 2), new Embedding(4, 2));
        Tensor.ManualSeed(7);
        var m2 = new Sequential(new Linear(3, 3), new Conv2d(1, 2, 2), new Embedding(4, 2));
        foreach (var (a, b) in m1.Parameters().Zip(m2.Parameters())) Assert.Equal(a.ToArray<float>(), b.ToArray<float>());
    }

    [Fact]
    public void EmbeddingInitIsStandardNormalAndNormsStartAtIdentity()
    {
        var w = new Embedding(100, 100, seed: 3, dtype: DType.Float64).Weight.ToArray<double>();
        double mean = w.Average(), variance = w.Select(v => (v - mean) * (v - mean)).Average();
        Assert.InRange(mean, -0.04, 0.04);                                   // 10 000 draws: sd 0.01
        Assert.InRange(variance, 0.95, 1.05);
        var bn = new BatchNorm2d(3);
        Assert.Equal([1f, 1f, 1f], bn.Weight!.ToArray<float>());
        Assert.Equal([0f, 0f, 0f], bn.Bias!.ToArray<float>());
        Assert.Equal([0f, 0f, 0f], bn.RunningMean!.ToArray<float>());
        Assert.Equal([1f, 1f, 1f], bn.RunningVar!.ToArray<float>());
        Assert.Equal([1f, 1f], new LayerNorm(2).Weight!.ToArray<float>());
    }
}

/// <summary>The pieces together: a small network learns XOR with plain SGD written on Variables.</summary>
public class SmallTrainingTests
{
    [Fact]
    public void MlpLearnsXor()
    {
        var model = new Sequential(new Linear(2, 8, seed: 1), new Tanh(), new Linear(8, 2, seed: 2));
        var x = Tensor.FromArray(new float[] { 0, 0, 0, 1, 1, 0, 1, 1 }, [4, 2]);
        var y = Tensor.FromArray(new long[] { 0, 1, 1, 0 }, [4]);
        float first = 0, last = 0;
        for (int step = 0; step < 300; step++)
        {
            model.ZeroGrad();
            var loss = Functional.CrossEntropy(model.Call(x), y);
            loss.Backward();
            foreach (var p in model.Parameters()) p.AssignSub(0.5 * p.Grad!);
            if (step == 0) first = loss.Item<float>();
            last = loss.Item<float>();
        }
        Assert.True(last < 0.05f && last < first / 10, $"loss {first} -> {last}");
        Assert.Equal([0L, 1L, 1L, 0L], model.Eval().Call(x).ArgMax(1).ToArray<long>());
    }
}
