using Nabla.Optim;
using static Nabla.Tests.Optim.OptimTestUtil;

namespace Nabla.Tests.Optim;

/// <summary>
/// Plain tensors as parameters (PyTorch's <c>new Sgd([w, b])</c> with <c>w.RequiresGrad = true</c>): the same numbers as
/// Variables in both styles, in-place updates with the version bumped, state dicts, GradClip, and errors for tensors an
/// optimizer can't update.
/// </summary>
public class PlainTensorParameterTests
{
    static Tensor Leaf(double[] values, int[] shape)
    {
        var t = Tensor.FromArray(values, shape);
        t.RequiresGrad = true;
        return t;
    }

    static Tensor Loss(Tensor w, Tensor b, Tensor x) => ((x.MatMul(w) + b).Square()).Mean();

    static readonly Tensor X = Tensor.FromArray([1.0, 2.0, -1.0, 0.5, 0.0, 3.0], [3, 2]);

    [Theory]
    [MemberData(nameof(OptimizerApiTests.FactoryIndices), MemberType = typeof(OptimizerApiTests))]
    public void TensorsTrainExactlyAsVariables(int which)
    {
        double[] w0 = [0.5, -1.0, 0.25, 2.0], b0 = [0.1, -0.2];
        var w = Leaf(w0, [2, 2]);
        var b = Leaf(b0, [2]);
        var vw = new Variable(Tensor.FromArray(w0, [2, 2]), name: "w");
        var vb = new Variable(Tensor.FromArray(b0, [2]), name: "b");
        var tw = Leaf(w0, [2, 2]);
        var tb = Leaf(b0, [2]);
        var torch = OptimizerApiTests.Factories[which]([vw, vb]);
        var plain = MakeOver(which, [w, b]);
        var tf = OptimizerApiTests.Factories[which](null);
        for (int k = 0; k < 4; k++)
        {
            plain.ZeroGrad();
            Loss(w, b, X).Backward();
            plain.Step();
            torch.ZeroGrad();
            Loss(vw, vb, X).Backward();
            torch.Step();
            using var tape = new GradientTape();
            tape.Watch([tw, tb]);   // a tape watches only Variables by itself
            var grads = tape.Gradient(Loss(tw, tb, X), [tw, tb]);
            tf.ApplyGradients(grads.Zip(new[] { tw, tb }));   // (gradient, tensor) pairs
        }
        Assert.Equal(Values(vw), Values(w));
        Assert.Equal(Values(vb), Values(b));
        Assert.Equal(Values(vw), Values(tw));
        Assert.Equal(Values(vb), Values(tb));
        Assert.NotEqual(w0, Values(w));
        Assert.True(w.IsLeaf && w.RequiresGrad && w is not Variable);
    }

    // The factories take IEnumerable<Variable>; the same settings over tensors go through the ParamGroup API.
    static Optimizer MakeOver(int which, Tensor[] parameters)
    {
        var opt = OptimizerApiTests.Factories[which](null);
        opt.AddParamGroup(new ParamGroup(parameters));
        return opt;
    }

    [Fact]
    public void PytorchStyleConstructorTakesTensorsAndUpdatesInPlace()
    {
        var w = Tensor.Randn([3], DType.Float64, seed: 1);
        w.RequiresGrad = true;
        var opt = new Sgd([w], learningRate: 0.1);
        var storage = w.Storage;
        int version = w.Version;
        var before = Values(w);
        (w * w).Sum().Backward();   // gradient 2w
        opt.Step();
        Assert.Same(storage, w.Storage);
        Assert.True(w.Version > version);
        // w - 0.1 * 2w = 0.8 w
        TestUtil.Approx.Equal(before.Select(v => 0.8 * v).ToArray(), Values(w), 1e-15, "SGD on a tensor");
    }

    [Fact]
    public void StateDictRoundTripWithTensors()
    {
        var straight = Leaf(P0, [3]);
        var opt = new Adam([straight], learningRate: 0.05);
        var six = RunTensorSteps(opt, straight, 0, 6);

        var first = Leaf(P0, [3]);
        var opt1 = new Adam([first], learningRate: 0.05);
        RunTensorSteps(opt1, first, 0, 3);
        var resumed = Leaf(Values(first), [3]);
        var opt2 = new Adam([resumed], learningRate: 0.05);
        opt2.LoadStateDict(opt1.StateDict());
        Assert.Equal(six, RunTensorSteps(opt2, resumed, 3, 3));
    }

    static double[] RunTensorSteps(Optimizer opt, Tensor p, int first, int steps)
    {
        for (int k = first; k < first + steps; k++)
        {
            p.Grad = T(GradAt(k));
            opt.Step();
        }
        return Values(p);
    }

    [Fact]
    public void GradClipWorksOnTensors()
    {
        var w = Leaf([3.0, 4.0], [2]);
        (w * w).Sum().Backward();   // gradient [6, 8], norm 10
        double norm = GradClip.ClipGradNorm([w], maxNorm: 5);
        Assert.Equal(10, norm, 12);
        TestUtil.Approx.Equal([3.0, 4.0], w.Grad!.ToArray<double>(), 1e-6, "clipped to norm 5");
    }

    [Fact]
    public void TensorsAnOptimizerCantUpdateAreRejectedNamingTheCaller()
    {
        var leaf = Leaf([1.0, 2.0], [2]);
        var nonLeaf = leaf * 2;
        var e1 = Assert.Throws<ArgumentException>(() => new Sgd([nonLeaf]));
        Assert.Contains("Sgd: can't optimize a non-leaf tensor", e1.Message);
        Assert.Contains("PlainTensorParameterTests.cs:", e1.Message);

        var ints = Tensor.FromArray([1L, 2L], [2]);
        var e2 = Assert.Throws<ArgumentException>(() => new Adam([ints]));
        Assert.Contains("must be floating", e2.Message);
        Assert.Contains("int64", e2.Message);
        Assert.Contains("PlainTensorParameterTests.cs:", e2.Message);

        var noGrad = Tensor.FromArray([1.0, 2.0], [2]);
        var e3 = Assert.Throws<ArgumentException>(() => new Sgd([noGrad]));
        Assert.Contains("does not require grad", e3.Message);
        Assert.Contains("PlainTensorParameterTests.cs:", e3.Message);

        var e4 = Assert.Throws<ArgumentException>(() => new Sgd().ApplyGradients([(Tensor.FromArray([1.0, 1.0], [2]), noGrad)]));
        Assert.Contains("Sgd.ApplyGradients: can't optimize", e4.Message);
        Assert.Contains("PlainTensorParameterTests.cs:", e4.Message);

        // A frozen Variable is still accepted (skipped by Step), as before.
        new Sgd([new Variable(Tensor.FromArray([1.0], [1]), trainable: false)]).Step();
    }
}
