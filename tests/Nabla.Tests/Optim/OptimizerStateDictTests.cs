using Nabla.Optim;
using static Nabla.Tests.Optim.OptimTestUtil;

namespace Nabla.Tests.Optim;

/// <summary>StateDict / LoadStateDict: saving after 3 steps and continuing in a fresh optimizer equals 6 steps straight.</summary>
public class OptimizerStateDictTests
{
    public static IEnumerable<object[]> FactoryIndices() => OptimizerApiTests.FactoryIndices();

    static Variable CopyOf(Variable p) => new(p, name: p.Name);

    [Theory]
    [MemberData(nameof(FactoryIndices))]
    public void ThreeStepsSaveLoadThreeMoreEqualsSixStraight(int which)
    {
        var make = OptimizerApiTests.Factories[which];
        var straight = Param();
        var sixSteps = RunSteps(make([straight]), straight, 6);

        var first = Param();
        var opt1 = make([first]);
        RunSteps(opt1, first, 3);
        var saved = opt1.StateDict();
        RunSteps(opt1, first, 2, first: 3);   // training on must not change the saved copy

        var resumed = new Variable(T(sixSteps[2]), name: "w");
        var opt2 = make([resumed]);
        opt2.LoadStateDict(saved);
        var rest = RunSteps(opt2, resumed, 3, first: 3);
        Assert.Equal(sixSteps[5], rest[2]);
    }

    [Theory]
    [MemberData(nameof(FactoryIndices))]
    public void RoundTripThroughFlatTensorsAndTfStyleDeferredRestore(int which)
    {
        var make = OptimizerApiTests.Factories[which];
        var straight = Param();
        var sixSteps = RunSteps(make([straight]), straight, 6);

        // TF style: no constructor parameters; the state is saved as flat tensors (what a safetensors file holds).
        var v = Param();
        var opt1 = make(null);
        for (int k = 0; k < 3; k++) opt1.ApplyGradients([(T(GradAt(k)), v)]);
        var flat = opt1.StateDict().ToTensors();
        Assert.Contains("state.0.step", flat.Keys);
        Assert.Contains("param_groups.0.lr", flat.Keys);
        Assert.Equal(3.0, flat["state.0.step"].Item<double>());

        // A fresh TF-style optimizer has not seen the variable yet: the state waits for it.
        var resumed = new Variable(T(Values(v)), name: "w");
        var opt2 = make(null);
        opt2.LoadStateDict(OptimizerStateDict.FromTensors(flat));
        for (int k = 3; k < 6; k++) opt2.ApplyGradients([(T(GradAt(k)), resumed)]);
        Assert.Equal(sixSteps[5], Values(resumed));
    }

    [Fact]
    public void StateDictLooksLikePytorchs()
    {
        var (a, b) = (Param(name: "a"), Param([1.0, 2.0], "b"));
        var opt = new Adam([a], learningRate: 0.01);
        opt.AddParamGroup(new ParamGroup([b], learningRate: 0.5));
        a.Grad = T(GradAt(0));
        opt.Step();   // b has no gradient: no state for it
        var sd = opt.StateDict();
        Assert.Equal([0], sd.State.Keys);
        Assert.Equal(new[] { "exp_avg", "exp_avg_sq", "step" }, sd.State[0].Keys.Order());
        // exp_avg after one step: (1 - 0.9) * g
        TestUtil.Approx.Equal(GradAt(0).Select(g => 0.1 * g).ToArray(), Values(sd.State[0]["exp_avg"]), 1e-15, "exp_avg");
        Assert.Equal(2, sd.ParamGroups.Count);
        Assert.Equal([0], sd.ParamGroups[0].Params);
        Assert.Equal([1], sd.ParamGroups[1].Params);
        Assert.Equal(0.5, sd.ParamGroups[1].Options["lr"]);
        Assert.Equal(0.9, sd.ParamGroups[1].Options["beta1"]);
    }

    [Fact]
    public void LoadingRestoresHyperParametersPerGroup()
    {
        var a = Param();
        var opt = new Sgd([a], learningRate: 0.3, momentum: 0.5);
        var sd = opt.StateDict();
        var fresh = new Sgd([CopyOf(a)], learningRate: 0.1);
        fresh.LoadStateDict(sd);
        Assert.Equal(0.3, fresh.LearningRate);
        Assert.Equal(0.5, fresh.ParamGroups[0]["momentum"]);
    }

    [Fact]
    public void MismatchedStateIsRejectedWithClearErrors()
    {
        var a = Param();
        var opt = new Adam([a]);
        a.Grad = T(GradAt(0));
        opt.Step();
        var sd = opt.StateDict();

        var twoParams = new Adam([Param(), Param([1.0], "b")]);
        Assert.Contains("parameter(s)", Assert.Throws<ArgumentException>(() => twoParams.LoadStateDict(sd)).Message);

        var otherShape = new Adam([Param([1.0, 2.0])]);
        Assert.Contains("shape", Assert.Throws<ArgumentException>(() => otherShape.LoadStateDict(sd)).Message);

        var sgd = new Sgd([Param()]);
        var wrongType = Assert.Throws<ArgumentException>(() => sgd.LoadStateDict(sd));
        Assert.Contains("unknown option", wrongType.Message);

        var twoGroups = new Adam([Param()]);
        twoGroups.AddParamGroup(new ParamGroup([Param([1.0], "c")]));
        Assert.Contains("group", Assert.Throws<ArgumentException>(() => twoGroups.LoadStateDict(sd)).Message);
    }
}
