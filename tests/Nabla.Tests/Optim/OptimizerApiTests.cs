using Nabla.Optim;
using static Nabla.Tests.Optim.OptimTestUtil;

namespace Nabla.Tests.Optim;

/// <summary>Both styles on one optimizer, parameter groups, ZeroGrad, warnings, in-place updates, convergence.</summary>
public class OptimizerApiTests
{
    /// <summary>Every optimizer, with its options switched on, made over the given parameters (or none).</summary>
    public static readonly Func<IEnumerable<Variable>?, Optimizer>[] Factories =
    [
        ps => new Sgd(ps, learningRate: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01),
        ps => new Sgd(ps, learningRate: 0.1, momentum: 0.9, nesterov: true),
        ps => new Adam(ps, learningRate: 0.01, weightDecay: 0.1, amsgrad: true),
        ps => new AdamW(ps, learningRate: 0.01, amsgrad: true),
        ps => new RmsProp(ps, learningRate: 0.01, momentum: 0.5, centered: true, weightDecay: 0.1),
        ps => new Adagrad(ps, learningRate: 0.1, lrDecay: 0.1, initialAccumulatorValue: 0.1),
        ps => new Adamax(ps, learningRate: 0.01, weightDecay: 0.1),
        ps => new NAdam(ps, learningRate: 0.01, weightDecay: 0.1, momentumDecay: 0.1),
        ps => new NAdam(ps, learningRate: 0.01, weightDecay: 0.1, decoupledWeightDecay: true),
        ps => new RAdam(ps, learningRate: 0.01, weightDecay: 0.1),   // the rectified branch from step 6 (rho_6 = 5.994)
        ps => new RAdam(ps, learningRate: 0.01, weightDecay: 0.1, decoupledWeightDecay: true),
        ps => new Adadelta(ps, learningRate: 1.0, rho: 0.8, eps: 1e-3, weightDecay: 0.1),
        ps => new ASGD(ps, learningRate: 0.05, lambd: 1e-2, t0: 2, weightDecay: 0.01),   // t0 2: averaging from step 3
        ps => new Rprop(ps, learningRate: 0.05, etas: (0.4, 1.3), stepSizes: (1e-3, 1)),
    ];

    public static IEnumerable<object[]> FactoryIndices() => Enumerable.Range(0, Factories.Length).Select(i => new object[] { i });

    static (Variable A, Variable B) TwoParams() =>
        (Param([1.0, -2.0, 0.5], "a"), new Variable(Tensor.FromArray([0.3, -0.7, 1.1, 2.0], [2, 2]), name: "b"));

    static Tensor GradB(int k) => Tensor.FromArray(GradAt(k + 1).Append(0.1 * k - 0.2).ToArray(), [2, 2]);

    [Theory]
    [MemberData(nameof(FactoryIndices))]
    public void TorchStyleAndTfStyleGiveBitwiseTheSameNumbers(int which)
    {
        var (a1, b1) = TwoParams();
        var (a2, b2) = TwoParams();
        var (a3, b3) = TwoParams();
        var torch = Factories[which]([a1, b1]);
        var tf = Factories[which](null);
        var tfWithParams = Factories[which]([a3, b3]);
        for (int k = 0; k < 4; k++)
        {
            a1.Grad = T(GradAt(k));
            b1.Grad = GradB(k);
            torch.Step();
            Tensor?[] grads = [T(GradAt(k)), GradB(k)];
            tf.ApplyGradients(grads.Zip(new[] { a2, b2 }));
            tfWithParams.ApplyGradients(grads.Zip(new[] { a3, b3 }));
        }
        Assert.Equal(Values(a1), Values(a2));
        Assert.Equal(Values(b1), Values(b2));
        Assert.Equal(Values(a1), Values(a3));
        Assert.Equal(Values(b1), Values(b3));
        Assert.NotEqual(new[] { 1.0, -2.0, 0.5 }, Values(a1));
        // The TF-style optimizer collected the variables in its first group, in order.
        Assert.Equal([a2, b2], tf.ParamGroups[0].Parameters);
    }

    [Fact]
    public void TapeGradientsZipWithVariables()
    {
        var w = Param([1.0, 2.0], "w");
        var opt = new Sgd(learningRate: 0.1);
        using (var tape = new GradientTape())
        {
            var loss = (w * w).Sum();   // gradient 2w
            var grads = tape.Gradient(loss, new Tensor[] { w });
            opt.ApplyGradients(grads.Zip(new[] { w }));
        }
        Assert.Equal([0.8, 1.6], Values(w));
    }

    [Fact]
    public void UpdatesAreInPlaceAndBumpTheVersion()
    {
        var p = Param();
        var storage = p.Storage;
        int before = p.Version;
        var y = (p * p).Sum();   // saves p for backward
        p.Grad = T(GradAt(0));
        new Sgd([p], learningRate: 0.1).Step();
        Assert.Same(storage, p.Storage);
        Assert.True(p.Version > before);
        Assert.True(p.IsLeaf && p.RequiresGrad);
        // The graph saved the old value, so backward through it must now fail.
        var e = Assert.ThrowsAny<InvalidOperationException>(() => y.Backward());
        Assert.Contains("AddInPlace", e.Message);
    }

    [Fact]
    public void ParamGroupsUseTheirOwnHyperParameters()
    {
        var (a, b) = TwoParams();
        var opt = new Sgd(learningRate: 0.1);
        var bare = opt.ParamGroups.Count;   // the empty TF-style group
        opt.AddParamGroup(new ParamGroup([a]));
        opt.AddParamGroup(new ParamGroup([b], learningRate: 0.01) { ["momentum"] = 0.5 });
        Assert.Equal(bare + 2, opt.ParamGroups.Count);
        Assert.Equal(0.1, opt.ParamGroups[^2].LearningRate);
        Assert.Equal(0, opt.ParamGroups[^2]["momentum"]);
        Assert.Equal(0.5, opt.ParamGroups[^1]["momentum"]);

        var ga = T(GradAt(0));
        var gb = GradB(0);
        a.Grad = ga; b.Grad = gb;
        opt.Step();
        // a: p - 0.1 g ; b: first momentum step takes b = g, so p - 0.01 g
        Assert.Equal(new[] { 1 - 0.1 * 0.5, -2 + 0.1 * 1.0, 0.5 - 0.1 * 2.0 }, Values(a));
        Assert.Equal(new[] { 0.3 - 0.01 * 0.25, -0.7 - 0.01 * 0.5, 1.1 + 0.01 * 1.5, 2.0 + 0.01 * 0.2 }, Values(b));

        // Changing one group's rate leaves the other alone; the optimizer's setter changes all.
        opt.ParamGroups[^1].LearningRate = 0.5;
        Assert.Equal(0.1, opt.ParamGroups[^2].LearningRate);
        opt.LearningRate = 0.2;
        Assert.All(opt.ParamGroups, g => Assert.Equal(0.2, g.LearningRate));
    }

    [Fact]
    public void ParamGroupMistakesThrow()
    {
        var (a, b) = TwoParams();
        var opt = new Adam([a]);
        var dup = Assert.Throws<ArgumentException>(() => opt.AddParamGroup(new ParamGroup([a, b])));
        Assert.Contains("already belongs", dup.Message);
        var unknown = Assert.Throws<ArgumentException>(() => opt.AddParamGroup(new ParamGroup([b]) { ["momentum"] = 0.9 }));
        Assert.Contains("'momentum'", unknown.Message);
        Assert.Contains("'beta1'", unknown.Message);
        Assert.Throws<ArgumentException>(() => opt.AddParamGroup(new ParamGroup([b, b])));
        Assert.Throws<ArgumentException>(() => opt.AddParamGroup(new ParamGroup([b]) { ["beta2"] = 1.5 }));
        Assert.Throws<ArgumentException>(() => opt.ParamGroups[0]["nesterov"] = 1);
    }

    [Fact]
    public void ZeroGradSetsToNoneOrZeros()
    {
        var (a, b) = TwoParams();
        var opt = new Sgd([a, b]);
        a.Grad = T(1, 2, 3);
        b.Grad = GradB(0);
        var kept = a.Grad;
        opt.ZeroGrad(setToNone: false);
        Assert.Same(kept, a.Grad);
        Assert.Equal(new double[3], Values(a.Grad!));
        Assert.Equal(new double[4], b.Grad!.Reshape(-1).ToArray<double>());
        opt.ZeroGrad();
        Assert.Null(a.Grad);
        Assert.Null(b.Grad);
    }

    [Fact]
    public void StepWithoutAGradientWarnsOnceNamingTheParameter()
    {
        var (a, b) = TwoParams();
        var frozen = new Variable(T(1.0), name: "frozen") { RequiresGrad = false };
        var opt = new Adam([a, b, frozen]);
        var warnings = new List<string>();
        opt.Warning += warnings.Add;
        var before = Values(b);
        for (int k = 0; k < 2; k++)
        {
            opt.ZeroGrad();
            (a * a).Sum().Backward();   // b is not used in the loss
            opt.Step();
        }
        var w = Assert.Single(warnings);
        Assert.Contains("parameter 1 'b'", w);
        Assert.Contains("[2, 2]", w);
        Assert.Contains("not used in the loss", w);
        Assert.Contains("ZeroGrad()", w);
        Assert.Equal(before, Values(b));
        Assert.NotEqual(new[] { 1.0, -2.0, 0.5 }, Values(a));
    }

    [Fact]
    public void WithoutAHandlerTheWarningReachesTheConsoleOncePerParameter()
    {
        var (a, b) = TwoParams();
        var opt = new Sgd([a, b], 0.1);
        var saved = Console.Error;
        var captured = new StringWriter();
        try
        {
            Console.SetError(captured);
            for (int k = 0; k < 3; k++)
            {
                opt.ZeroGrad();
                (a * a).Sum().Backward();
                opt.Step();
            }
        }
        finally { Console.SetError(saved); }
        var lines = captured.ToString().Split('\n').Where(l => l.Contains("'b'")).ToList();
        var line = Assert.Single(lines);
        Assert.StartsWith("warning: ", line);
        Assert.Contains("not used in the loss", line);
    }

    [Fact]
    public void ApplyGradientsWithSomeNullGradientsWarnsAndWithAllNullThrows()
    {
        var (a, b) = TwoParams();
        var opt = new Sgd(learningRate: 0.1);
        var warnings = new List<string>();
        opt.Warning += warnings.Add;
        opt.ApplyGradients([(T(GradAt(0)), a), (null, b)]);
        opt.ApplyGradients([(T(GradAt(0)), a), (null, b)]);
        var w = Assert.Single(warnings);
        Assert.Contains("'b'", w);
        Assert.Contains("null gradient", w);
        Assert.Equal(new[] { 0.3, -0.7, 1.1, 2.0 }, b.Reshape(-1).ToArray<double>());

        var e = Assert.Throws<ArgumentException>(() => opt.ApplyGradients([(null, a), (null, b)]));
        Assert.Contains("No gradients provided for any variable", e.Message);
        Assert.Contains("'a'", e.Message);
        var shape = Assert.Throws<ArgumentException>(() => opt.ApplyGradients([(T(1, 2), a)]));
        Assert.Contains("shape", shape.Message);
    }

    [Fact]
    public void ApplyGradientsConvertsTheGradientDtype()
    {
        var p = new Variable(Tensor.FromArray(new float[] { 1f, 2f }, [2]));
        new Sgd(learningRate: 0.5).ApplyGradients([(T(1.0, 2.0), p)]);
        Assert.Equal(DType.Float32, p.DType);
        Assert.Equal(new[] { 0.5f, 1f }, p.ToArray<float>());
    }

    [Fact]
    public void StepWithClosureReturnsTheLoss()
    {
        var p = Param([3.0], "x");
        var opt = new Sgd([p], learningRate: 0.25);
        var loss = opt.Step(() =>
        {
            opt.ZeroGrad();
            var l = (p * p).Sum();
            l.Backward();
            return l;
        });
        Assert.Equal(9.0, loss.Item<double>());
        Assert.Equal(3.0 - 0.25 * 6.0, p.Item<double>());
    }

    [Theory]
    [MemberData(nameof(FactoryIndices))]
    public void EveryOptimizerMinimizesAQuadratic(int which)
    {
        // f(p) = sum((p - c)^2 * s), minimum at c.
        var p = Param([5.0, -3.0, 0.0], "p");
        var c = T(1.0, 2.0, -0.5);
        var s = T(1.0, 0.5, 2.0);
        var opt = Factories[which]([p]);
        opt.LearningRate = opt is Sgd ? 0.05 : opt is Adagrad ? 1.0 : 0.1;
        // No weight decay (it moves the minimum; ASGD's lambd is one too) and no learning-rate decay (it stalls Adagrad).
        foreach (var key in new[] { "weight_decay", "lr_decay", "lambd" })
            if (opt.ParamGroups[0].Has(key)) opt.ParamGroups[0][key] = 0;
        for (int k = 0; k < 600; k++)
        {
            opt.ZeroGrad();
            ((p - c).Square() * s).Sum().Backward();
            opt.Step();
        }
        TestUtil.Approx.Equal([1.0, 2.0, -0.5], Values(p), 1e-3, $"{opt.GetType().Name} minimum");
    }
}
