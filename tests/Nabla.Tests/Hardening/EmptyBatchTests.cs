using Nabla.Data;
using Nabla.NN;
using Nabla.Optim;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.Hardening;

/// <summary>
/// A batch of 0 through every NN layer and loss, forward and backward, as PyTorch: empty results of the
/// right shape, Mean of an empty loss NaN and Sum 0, and gradients of parameters zeros of their shape
/// (a sum over no samples). Issue 11, point 3.
/// </summary>
public class EmptyBatchTests
{
    static Tensor EmptyInput(params int[] shape)
    {
        var x = Tensor.Zeros(shape, DType.Float64);
        x.RequiresGrad = true;
        return x;
    }

    /// <summary>Backward of y.Sum() (0 for an empty y), then checks every parameter's gradient is zeros of its shape.</summary>
    static void AssertZeroParameterGradients(Tensor y, params Tensor[] parameters)
    {
        var loss = y.Sum();
        Assert.Equal(0.0, loss.Item<double>());
        loss.Backward();
        foreach (var p in parameters)
        {
            Assert.NotNull(p.Grad);
            Assert.Equal(p.Shape.ToArray(), p.Grad!.Shape.ToArray());
            Assert.All(p.Grad.ToDoubleArray(), g => Assert.Equal(0.0, g));
        }
    }

    [Fact]
    public void LinearOnEmptyBatchGivesEmptyOutputAndZeroGradients()
    {
        var layer = new Linear(3, 2, seed: 1, dtype: DType.Float64);
        var x = EmptyInput(0, 3);
        var y = layer.Forward(x);
        Assert.Equal([0, 2], y.Shape.ToArray());
        AssertZeroParameterGradients(y, layer.Weight, layer.Bias!);
        Assert.Equal([0, 3], x.Grad!.Shape.ToArray());
    }

    [Fact]
    public void LayerNormOnEmptyBatchGivesEmptyOutputAndZeroGradients()
    {
        var layer = new LayerNorm(4, dtype: DType.Float64);
        var y = layer.Forward(EmptyInput(0, 4));
        Assert.Equal([0, 4], y.Shape.ToArray());
        AssertZeroParameterGradients(y, layer.Weight!, layer.Bias!);
    }

    [Fact]
    public void EvalBatchNorm1dAnd2dOnEmptyBatchGiveEmptyOutputAndZeroGradients()
    {
        var bn1 = new BatchNorm1d(3, dtype: DType.Float64);
        bn1.Eval();
        var y1 = bn1.Forward(EmptyInput(0, 3));
        Assert.Equal([0, 3], y1.Shape.ToArray());
        AssertZeroParameterGradients(y1, bn1.Weight!, bn1.Bias!);

        var bn2 = new BatchNorm2d(2, dtype: DType.Float64);
        bn2.Eval();
        var y2 = bn2.Forward(EmptyInput(0, 2, 3, 3));
        Assert.Equal([0, 2, 3, 3], y2.Shape.ToArray());
        AssertZeroParameterGradients(y2, bn2.Weight!, bn2.Bias!);
    }

    [Fact]
    public void TrainingBatchNormOnEmptyBatchGivesEmptyOutputAndKeepsRunningStatistics()
    {
        // PyTorch: F.batch_norm refuses exactly one value per channel, but an input with no elements returns an
        // empty result without touching the running statistics (the module still counts the batch).
        var bn = new BatchNorm2d(2, dtype: DType.Float64);
        bn.RunningMean!.CopyFrom(Tensor.FromArray([0.5, -1.0], [2]));
        bn.RunningVar!.CopyFrom(Tensor.FromArray([2.0, 3.0], [2]));
        var y = bn.Forward(EmptyInput(0, 2, 4, 4));
        Assert.Equal([0, 2, 4, 4], y.Shape.ToArray());
        Assert.Equal([0.5, -1.0], bn.RunningMean.ToArray<double>());
        Assert.Equal([2.0, 3.0], bn.RunningVar.ToArray<double>());
        Assert.Equal(1L, bn.NumBatchesTracked!.Item<long>());
        AssertZeroParameterGradients(y, bn.Weight!, bn.Bias!);
    }

    [Fact]
    public void TrainingBatchNormWithOneValuePerChannelStillThrows()
    {
        var bn = new BatchNorm1d(3, dtype: DType.Float64);
        var e = Assert.Throws<ArgumentException>(() => bn.Forward(Tensor.Ones([1, 3], DType.Float64)));
        Assert.StartsWith("BatchNorm: training needs more than 1 value per channel", e.Message);
        Assert.Contains("EmptyBatchTests.cs:", e.Message);
    }

    [Fact]
    public void SoftmaxFamilyOnEmptyBatchKeepsShapesAndGivesMinusInfinityForAnEmptyLogSumExp()
    {
        var x = EmptyInput(0, 3);
        Assert.Equal([0, 3], x.Softmax(1).Shape.ToArray());
        Assert.Equal([0, 3], x.LogSoftmax(1).Shape.ToArray());
        Assert.Equal([0], x.LogSumExp(1).Shape.ToArray());
        Assert.Equal([0, 3], x.Softmax(0).Shape.ToArray());
        // log Σ over no terms = log 0 = -Inf (torch.logsumexp of an empty dim).
        var lse = x.LogSumExp(0);
        Assert.Equal(new[] { double.NegativeInfinity, double.NegativeInfinity, double.NegativeInfinity }, lse.ToArray<double>());
        var g = Autograd.Grad([x.LogSoftmax(1).Sum()], [x])[0]!;
        Assert.Equal([0, 3], g.Shape.ToArray());
    }

    public static TheoryData<string> Losses => new() { "CrossEntropy", "CrossEntropy(smoothing)", "NllLoss", "MseLoss", "L1Loss", "HuberLoss" };

    static Tensor Loss(string name, Tensor logits, Reduction reduction)
    {
        var target = Tensor.Zeros([0], DType.Int64);
        return name switch
        {
            "CrossEntropy" => F.CrossEntropy(logits, target, reduction: reduction),
            "CrossEntropy(smoothing)" => F.CrossEntropy(logits, target, reduction: reduction, labelSmoothing: 0.1),
            "NllLoss" => F.NllLoss(logits.LogSoftmax(1), target, reduction: reduction),
            "MseLoss" => F.MseLoss(logits, Tensor.Zeros([0, 4], DType.Float64), reduction),
            "L1Loss" => F.L1Loss(logits, Tensor.Zeros([0, 4], DType.Float64), reduction),
            "HuberLoss" => F.HuberLoss(logits, Tensor.Zeros([0, 4], DType.Float64), reduction),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
    }

    [Theory, MemberData(nameof(Losses))]
    public void LossOnEmptyBatchIsEmptyWithNoneZeroWithSumAndNaNWithMean(string name)
    {
        var none = Loss(name, EmptyInput(0, 4), Reduction.None);
        Assert.Equal(0, none.NumElements);
        Assert.Equal(name.StartsWith("CrossEntropy") || name == "NllLoss" ? [0] : new[] { 0, 4 }, none.Shape.ToArray());
        Assert.Equal(0.0, Loss(name, EmptyInput(0, 4), Reduction.Sum).Item<double>());
        Assert.True(double.IsNaN(Loss(name, EmptyInput(0, 4), Reduction.Mean).Item<double>()), $"{name}: mean of an empty batch must be NaN (0/0), as PyTorch");
    }

    [Theory, MemberData(nameof(Losses))]
    public void LossOfLinearOnEmptyBatchGivesZeroWeightGradients(string name)
    {
        foreach (var reduction in new[] { Reduction.Sum, Reduction.Mean })
        {
            var layer = new Linear(3, 4, seed: 2, dtype: DType.Float64);
            var loss = Loss(name, layer.Forward(Tensor.Zeros([0, 3], DType.Float64)), reduction);
            loss.Backward();
            // NaN * (a sum over no samples) is still that empty sum: zeros, not NaN (PyTorch gives zeros too).
            Assert.Equal(new double[12], layer.Weight.Grad!.ToArray<double>());
            Assert.Equal(new double[4], layer.Bias!.Grad!.ToArray<double>());
        }
    }

    [Fact]
    public void Conv2dAndPoolingOnEmptyBatchGiveEmptyOutputAndZeroGradients()
    {
        var conv = new Conv2d(2, 3, 3, padding: 1, seed: 3, dtype: DType.Float64);
        var x = EmptyInput(0, 2, 6, 6);
        var y = conv.Forward(x);
        Assert.Equal([0, 3, 6, 6], y.Shape.ToArray());
        var pooled = new MaxPool2d(2).Forward(y);
        Assert.Equal([0, 3, 3, 3], pooled.Shape.ToArray());
        var averaged = new AvgPool2d(3).Forward(pooled);
        Assert.Equal([0, 3, 1, 1], averaged.Shape.ToArray());
        AssertZeroParameterGradients(averaged, conv.Weight, conv.Bias!);
        Assert.Equal([0, 2, 6, 6], x.Grad!.Shape.ToArray());
    }

    [Fact]
    public void EmbeddingOfNoIndicesGivesEmptyRowsAndZeroGradient()
    {
        var emb = new Embedding(5, 2, seed: 4, dtype: DType.Float64);
        Assert.Equal([0, 2], emb.Forward(Tensor.Zeros([0], DType.Int64)).Shape.ToArray());
        var y = emb.Forward(Tensor.Zeros([0, 7], DType.Int64));
        Assert.Equal([0, 7, 2], y.Shape.ToArray());
        AssertZeroParameterGradients(y, emb.Weight);
    }

    [Fact]
    public void DropoutAndFlattenOnEmptyBatchKeepTheShape()
    {
        var x = EmptyInput(0, 2, 3);
        var dropped = new Dropout(0.5, seed: 5).Forward(x);   // training mode: the mask path runs
        Assert.Equal([0, 2, 3], dropped.Shape.ToArray());
        var flat = new Flatten().Forward(dropped);
        Assert.Equal([0, 6], flat.Shape.ToArray());
        var g = Autograd.Grad([flat.Sum()], [x])[0]!;
        Assert.Equal([0, 2, 3], g.Shape.ToArray());
    }

    [Fact]
    public void TrainingStepOnEmptyBatchLeavesParametersUnchanged()
    {
        // A whole step as a loop would run it: Sum reduction, zero gradients, so SGD moves nothing.
        var model = new Sequential(new Linear(3, 5, seed: 6, dtype: DType.Float64), new ReLU(), new LayerNorm(5, dtype: DType.Float64),
            new Linear(5, 4, seed: 7, dtype: DType.Float64));
        var before = model.Parameters().Select(p => p.ToArray<double>()).ToList();
        var opt = new Sgd(model.Parameters(), learningRate: 0.1);
        opt.ZeroGrad();
        F.CrossEntropy(model.Forward(Tensor.Zeros([0, 3], DType.Float64)), Tensor.Zeros([0], DType.Int64), reduction: Reduction.Sum).Backward();
        opt.Step();
        var after = model.Parameters().Select(p => p.ToArray<double>()).ToList();
        for (int i = 0; i < before.Count; i++) Assert.Equal(before[i], after[i]);
    }

    [Fact]
    public void DataLoaderNeverYieldsAnEmptyBatch()
    {
        for (int n = 0; n <= 9; n++)
            for (int batch = 1; batch <= 4; batch++)
                foreach (bool dropLast in new[] { false, true })
                {
                    var data = new TensorDataset(Tensor.Arange(n * 2, DType.Float32).Reshape(n, 2), Tensor.Arange(n));
                    var sizes = new DataLoader(data, batchSize: batch, dropLast: dropLast).Select(b => b[0].Shape[0]).ToList();
                    Assert.All(sizes, s => Assert.InRange(s, 1, batch));
                    Assert.Equal(dropLast ? n / batch * batch : n, sizes.Sum());
                }
    }
}
