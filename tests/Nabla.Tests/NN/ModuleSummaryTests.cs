using Nabla.NN;

namespace Nabla.Tests.NN;

/// <summary>Module.Summary on a small CNN: calls, output shapes and parameter counts counted by hand; side effects undone.</summary>
public class ModuleSummaryTests
{
    sealed class SmallCnn : Module
    {
        public readonly Sequential Features;
        public readonly Linear Fc;
        readonly Flatten _flatten;

        public SmallCnn()
        {
            Features = RegisterModule("features", new Sequential(new Conv2d(1, 4, 3, seed: 1), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2)));
            _flatten = RegisterModule("flatten", new Flatten());
            Fc = RegisterModule("fc", new Linear(4 * 13 * 13, 10, seed: 2));
        }

        public override Tensor Forward(Tensor x) => Fc.Call(_flatten.Call(Features.Call(x)));
    }

    [Fact]
    public void SmallCnnCountedByHand()
    {
        var model = new SmallCnn();
        model.Fc.Bias!.RequiresGrad = false;   // frozen: 10 non-trainable
        var s = model.Summary(Tensor.Zeros([2, 1, 28, 28]));
        // conv 3x3, 1 -> 4: 4*1*3*3 + 4 = 40 ; batch norm: weight + bias = 8 ; 28 - 3 + 1 = 26, pooled to 13
        // linear 676 -> 10: 6760 + 10 = 6770 ; total 40 + 8 + 6770 = 6818
        var want = new (string Path, string Type, int Depth, int[] Shape, long? Params)[]
        {
            ("", "SmallCnn", 0, [2, 10], null),
            ("features", "Sequential", 1, [2, 4, 13, 13], null),
            ("features.0", "Conv2d", 2, [2, 4, 26, 26], 40),
            ("features.1", "BatchNorm2d", 2, [2, 4, 26, 26], 8),
            ("features.2", "ReLU", 2, [2, 4, 26, 26], null),
            ("features.3", "MaxPool2d", 2, [2, 4, 13, 13], null),
            ("flatten", "Flatten", 1, [2, 676], null),
            ("fc", "Linear", 1, [2, 10], 6770),
        };
        Assert.Equal(want.Length, s.Rows.Count);
        for (int i = 0; i < want.Length; i++)
        {
            var r = s.Rows[i];
            Assert.Equal((want[i].Path, want[i].Type, want[i].Depth, want[i].Params), (r.Path, r.TypeName, r.Depth, r.ParameterCount));
            Assert.Equal(want[i].Shape, r.OutputShape.ToArray());
        }
        Assert.Equal((6818L, 6808L, 10L), (s.TotalParameters, s.TrainableParameters, s.NonTrainableParameters));
        Assert.Equal(s.TotalParameters, s.Rows.Sum(r => r.ParameterCount ?? 0));

        var table = s.ToString();
        Assert.Contains("Layer (type)", table);
        Assert.Matches(@"\n    0 \(Conv2d\) +\[2, 4, 26, 26\] +40\n", table);
        Assert.Matches(@"\n  fc \(Linear\) +\[2, 10\] +6,770\n", table);
        Assert.Matches(@"\n    2 \(ReLU\) +\[2, 4, 26, 26\] +--\n", table);
        Assert.Contains("Input shape: [2, 1, 28, 28]", table);
        Assert.Contains("Total params: 6,818", table);
        Assert.Contains("Trainable params: 6,808", table);
        Assert.Contains("Non-trainable params: 10", table);
    }

    [Fact]
    public void HooksAreRemovedAndModesAndStatisticsRestored()
    {
        var model = new SmallCnn();
        model.Features.Eval();   // a child in eval mode stays so; the rest stays in training
        var bn = (BatchNorm2d)model.Features.NamedChildren().First(c => c.Name == "1").Module;
        var x = Tensor.Randn([2, 1, 28, 28], seed: 3);
        var first = model.Summary(x);
        var second = model.Summary(x);   // leftover hooks would add rows
        Assert.Equal(first.Rows, second.Rows);
        Assert.True(model.IsTraining);
        Assert.False(model.Features.IsTraining);
        Assert.True(model.Fc.IsTraining);

        model.Features.Train();
        var mean = bn.RunningMean!.ToArray<float>();
        model.Summary(x);   // eval mode inside: the running statistics do not move
        Assert.Equal(mean, bn.RunningMean!.ToArray<float>());
        Assert.True(bn.IsTraining);

        int calls = 0;
        using (model.Fc.RegisterForwardHook((Module _, Tensor _, Tensor _) => calls++))
            model.Call(x);
        Assert.Equal(1, calls);
    }

    [Fact]
    public void SharedLayerCountsOnce()
    {
        var shared = new Linear(3, 3, seed: 1);
        var model = new Sequential(shared, new ReLU(), shared);
        var s = model.Summary(Tensor.Zeros([1, 3]));
        // Sequential registers the same Linear as "0" and "2": it is one module, called twice; 12 parameters once.
        Assert.Equal(12, s.TotalParameters);
        Assert.Equal(12, s.Rows.Sum(r => r.ParameterCount ?? 0));
        Assert.Equal(2, s.Rows.Count(r => r.TypeName == "Linear"));
    }

    [Fact]
    public void WrongInputCountThrowsNamingTheCaller()
    {
        var e = Assert.Throws<ArgumentException>(() => new SmallCnn().Summary(Tensor.Zeros([1, 1, 28, 28]), Tensor.Zeros([1])));
        Assert.Contains("Module.Summary: SmallCnn.Forward takes one input tensor, got 2", e.Message);
        Assert.Contains("ModuleSummaryTests.cs:", e.Message);
    }
}
