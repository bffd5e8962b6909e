using Nabla.Optim;
using static Nabla.Tests.Optim.OptimTestUtil;

namespace Nabla.Tests.Optim;

/// <summary>
/// MultiStepLR, ConstantLR, LambdaLR, MultiplicativeLR, PolynomialLR, CyclicLR, CosineAnnealingWarmRestarts, SequentialLR,
/// ChainedScheduler and the per-group minLr / maxLr lists, against closed forms computed by hand (in the comments) or
/// written independently in the test.
/// </summary>
public class MoreSchedulerTests
{
    static Sgd Opt(double lr = 0.1) => new([Param()], learningRate: lr);

    /// <summary>The rate right after construction (epoch 0), then after each of <paramref name="steps"/> steps.</summary>
    static double[] Rates(LRScheduler s, int steps, int group = 0)
    {
        var lrs = new List<double> { s.Optimizer.ParamGroups[group].LearningRate };
        for (int e = 0; e < steps; e++)
        {
            s.Step();
            lrs.Add(s.Optimizer.ParamGroups[group].LearningRate);
            Assert.Equal(s.Optimizer.ParamGroups[group].LearningRate, s.LastLearningRates[group]);
        }
        return [.. lrs];
    }

    [Fact]
    public void MultiStepLRDecaysAtEachMilestoneAndTwiceForARepeatedOne()
    {
        // lr 1, gamma 0.5, milestones 2, 5, 5: x0.5 at epoch 2, x0.25 at epoch 5
        var got = Rates(new MultiStepLR(Opt(1.0), milestones: [2, 5, 5], gamma: 0.5), 6);
        Assert.Equal([1, 1, 0.5, 0.5, 0.5, 0.125, 0.125], got);
    }

    [Fact]
    public void ConstantLRScalesThenRestores()
    {
        // factor 0.5 for epochs 0..2, then lr 0.1 again
        var got = Rates(new ConstantLR(Opt(0.1), factor: 0.5, totalIters: 3), 5);
        TestUtil.Approx.Equal([0.05, 0.05, 0.05, 0.1, 0.1, 0.1], got, 1e-16, "ConstantLR");
    }

    [Fact]
    public void LambdaLRPerGroupAndMultiplicativeLR()
    {
        var opt = Opt(0.1);
        opt.AddParamGroup(new ParamGroup([Param(name: "b")], learningRate: 1.0));
        var s = new LambdaLR(opt, [e => Math.Pow(0.5, e), e => 1.0 / (e + 1)]);
        // lr_e = base * lambda(e): group 0 0.1 * 0.5^e, group 1 1/(e+1)
        TestUtil.Approx.Equal([0.1, 0.05, 0.025, 0.0125], Rates(s, 3, 0), 1e-16, "LambdaLR group 0");
        Assert.Equal(1.0 / 4, opt.ParamGroups[1].LearningRate, 15);

        var m = new MultiplicativeLR(Opt(1.0), e => e == 2 ? 0.5 : 0.9);
        // lr_e = lr_{e-1} * lambda(e) after epoch 0: 1, 0.9, 0.45, 0.405
        TestUtil.Approx.Equal([1, 0.9, 0.45, 0.405], Rates(m, 3), 1e-15, "MultiplicativeLR");

        var e1 = Assert.Throws<ArgumentException>(() => new LambdaLR(Opt(), [e => 1, e => 2]));
        Assert.Contains("expected 1 lambda(s)", e1.Message);
        Assert.Contains("MoreSchedulerTests.cs:", e1.Message);
    }

    [Fact]
    public void PolynomialLRReachesZeroAndStays()
    {
        // (1 - e/4)^2: 1, 0.5625, 0.25, 0.0625, 0, then 0
        var got = Rates(new PolynomialLR(Opt(1.0), totalIters: 4, power: 2), 6);
        TestUtil.Approx.Equal([1, 0.5625, 0.25, 0.0625, 0, 0, 0], got, 1e-15, "PolynomialLR");
    }

    /// <summary>CyclicLR's closed form, written out: scale by mode, position in the triangle.</summary>
    static double CyclicReference(int e, double baseLr, double maxLr, int up, int down, Func<double, double> scale, bool byCycle)
    {
        double total = up + down, cycle = Math.Floor(1 + e / total), x = 1 + e / total - cycle, r = up / total;
        double s = x <= r ? x / r : (x - 1) / (r - 1);
        return baseLr + (maxLr - baseLr) * s * scale(byCycle ? cycle : e);
    }

    [Fact]
    public void CyclicLRTriangularModes()
    {
        // Triangular, up 2, down 2: 0.1, 0.55, 1.0, 0.55, 0.1, 0.55, ...
        var tri = Rates(new CyclicLR(Opt(), baseLr: 0.1, maxLr: 1.0, stepSizeUp: 2, cycleMomentum: false), 8);
        TestUtil.Approx.Equal([0.1, 0.55, 1.0, 0.55, 0.1, 0.55, 1.0, 0.55, 0.1], tri, 1e-15, "triangular");

        // Triangular2 halves the amplitude each cycle: the second peak is 0.1 + 0.9/2 = 0.55
        var tri2 = Rates(new CyclicLR(Opt(), baseLr: 0.1, maxLr: 1.0, stepSizeUp: 2, mode: CyclicMode.Triangular2, cycleMomentum: false), 8);
        Assert.Equal(0.55, tri2[6], 15);
        TestUtil.Approx.Equal(Enumerable.Range(0, 9).Select(e => CyclicReference(e, 0.1, 1.0, 2, 2, c => 1 / Math.Pow(2, c - 1), true)).ToArray(),
            tri2, 1e-15, "triangular2");

        // ExpRange with up 3, down 1: scaled by gamma^iteration
        var exp = Rates(new CyclicLR(Opt(), baseLr: 0.1, maxLr: 1.0, stepSizeUp: 3, stepSizeDown: 1, mode: CyclicMode.ExpRange, gamma: 0.9,
            cycleMomentum: false), 9);
        TestUtil.Approx.Equal(Enumerable.Range(0, 10).Select(e => CyclicReference(e, 0.1, 1.0, 3, 1, i => Math.Pow(0.9, i), false)).ToArray(),
            exp, 1e-15, "exp_range");
        // e = 2: cycle 1, x = 0.5, two thirds of the way up (ratio 0.75), amplitude times 0.9^2
        Assert.Equal(0.1 + 0.9 * (2.0 / 3) * 0.81, exp[2], 14);

        // A custom scale function by iteration
        var custom = Rates(new CyclicLR(Opt(), baseLr: 0.1, maxLr: 1.0, stepSizeUp: 2, scaleFn: i => 1 / (1 + i),
            scaleMode: CyclicScaleMode.Iterations, cycleMomentum: false), 4);
        Assert.Equal(0.1 + 0.9 * 1 / 3.0, custom[2], 15);
    }

    [Fact]
    public void CyclicLRCyclesMomentumOrBeta1AgainstTheRateAndTakesPerGroupRates()
    {
        var sgd = Opt();
        var s = new CyclicLR(sgd, baseLr: 0.1, maxLr: 1.0, stepSizeUp: 2);
        // Momentum starts at max 0.9, falls to 0.8 at the peak rate
        Assert.Equal(0.9, sgd.ParamGroups[0]["momentum"], 15);
        s.Step();
        Assert.Equal(0.85, sgd.ParamGroups[0]["momentum"], 15);
        s.Step();
        Assert.Equal(0.8, sgd.ParamGroups[0]["momentum"], 15);

        var adam = new Adam([Param()]);
        adam.AddParamGroup(new ParamGroup([Param(name: "b")]));
        var a = new CyclicLR(adam, baseLr: [0.01, 0.1], maxLr: [0.02, 1.0], stepSizeUp: 1, baseMomentum: 0.7, maxMomentum: 0.95);
        a.Step();
        Assert.Equal([0.02, 1.0], a.LastLearningRates);
        Assert.Equal(0.7, adam.ParamGroups[1]["beta1"], 15);
        Assert.Equal(0.999, adam.ParamGroups[1]["beta2"]);

        var none = Assert.Throws<ArgumentException>(() => new CyclicLR(new Adagrad([Param()]), 0.1, 1.0));
        Assert.Contains("cycleMomentum: false", none.Message);
        var count = Assert.Throws<ArgumentException>(() => new CyclicLR(Opt(), [0.1, 0.2], [1.0, 2.0], cycleMomentum: false));
        Assert.Contains("expected 1 values for baseLr", count.Message);
        Assert.Contains("MoreSchedulerTests.cs:", count.Message);
    }

    [Fact]
    public void WarmRestartsLengthenPeriodsAndTakeFractionalEpochs()
    {
        var opt = Opt(1.0);
        var s = new CosineAnnealingWarmRestarts(opt, t0: 2, tMult: 2);
        // Periods 2, 4, 8: restarts at epochs 2 and 6; lr = (1 + cos(pi T_cur/T_i))/2
        double C(double cur, double len) => (1 + Math.Cos(Math.PI * cur / len)) / 2;
        var got = Rates(s, 7);
        TestUtil.Approx.Equal([1, C(1, 2), 1, C(1, 4), C(2, 4), C(3, 4), 1, C(1, 8)], got, 1e-15, "SGDR");
        Assert.Equal(0.5, got[1], 15);

        // Epoch 2.5 lies 0.5 into the second period (length 4); epoch 6 starts the third (length 8)
        s.Step(2.5);
        Assert.Equal(C(0.5, 4), opt.LearningRate, 15);
        Assert.Equal((0.5, 4.0), (s.TCur, s.TI));
        Assert.Equal(2, s.LastEpoch);
        s.Step(6.0);
        Assert.Equal((0.0, 8.0), (s.TCur, s.TI));

        // tMult 1 with etaMin: epoch 3.5 is 1.5 into a period of 2
        var flat = new CosineAnnealingWarmRestarts(Opt(1.0), t0: 2, etaMin: 0.1);
        flat.Step(3.5);
        Assert.Equal(0.1 + 0.9 * C(1.5, 2), flat.Optimizer.LearningRate, 15);

        // Save mid-period, load into a fresh schedule, continue the same
        var sd = s.StateDict();
        var copy = new CosineAnnealingWarmRestarts(Opt(1.0), t0: 2, tMult: 2);
        copy.LoadStateDict(sd);
        s.Step(); copy.Step();
        Assert.Equal(s.LastLearningRates, copy.LastLearningRates);
        Assert.Equal(C(1, 8), copy.LastLearningRates[0], 15);

        Assert.Contains("t0 must be", Assert.Throws<ArgumentException>(() => new CosineAnnealingWarmRestarts(Opt(), t0: 0)).Message);
        Assert.Contains("tMult must be", Assert.Throws<ArgumentException>(() => new CosineAnnealingWarmRestarts(Opt(), t0: 1, tMult: 0)).Message);
        Assert.Contains("MoreSchedulerTests.cs:", Assert.Throws<ArgumentException>(() => s.Step(-1.0)).Message);
    }

    [Fact]
    public void SequentialLRSwitchesAtTheMilestoneAndStartsTheNextScheduleOver()
    {
        // PyTorch's documented example: lr 0.05, ConstantLR(0.1, 20 epochs) then ExponentialLR(0.9) from epoch 20:
        // 0.005 for epochs 0..19, 0.05 at 20, 0.045 at 21, 0.0405 at 22.
        var opt = Opt(0.05);
        var warm = new ConstantLR(opt, factor: 0.1, totalIters: 20);
        var decay = new ExponentialLR(opt, gamma: 0.9);
        var s = new SequentialLR(opt, [warm, decay], milestones: [20]);
        var got = Rates(s, 22);
        for (int e = 0; e < 20; e++) Assert.Equal(0.005, got[e], 15);
        TestUtil.Approx.Equal([0.05, 0.045, 0.0405], got[20..], 1e-15, "after the milestone");
        Assert.Equal(22, s.LastEpoch);

        // Warm-up then cosine, and a third schedule: the rates restart from the base rate at each milestone.
        var opt2 = Opt(1.0);
        var s2 = new SequentialLR(opt2, [new LinearLR(opt2, startFactor: 0.5, totalIters: 2), new CosineAnnealingLR(opt2, tMax: 2),
            new StepLR(opt2, stepSize: 1, gamma: 0.5)], milestones: [2, 4]);
        // LinearLR: 0.5, 0.75 ; cosine from 1 at epoch 2: 1, 0.5 ; StepLR from 1 at epoch 4: 1, 0.5
        TestUtil.Approx.Equal([0.5, 0.75, 1, 0.5, 1, 0.5], Rates(s2, 5), 1e-15, "three schedules");

        var bad = Assert.Throws<ArgumentException>(() => new SequentialLR(opt, [warm, decay], milestones: [1, 2]));
        Assert.Contains("expected 1 milestone(s)", bad.Message);
        Assert.Contains("MoreSchedulerTests.cs:", bad.Message);
        Assert.Contains("another optimizer", Assert.Throws<ArgumentException>(() => new SequentialLR(opt, [warm, new StepLR(Opt(), 1)], [2])).Message);
    }

    [Fact]
    public void ChainedSchedulerStepsEveryScheduleInOrder()
    {
        // lr 1: ConstantLR(0.1, 2) and ExponentialLR(0.9) at once: epoch 0 0.1 ; 1: 0.1*0.9 ; 2: x10 (ConstantLR ends) x0.9 = 0.81 ; 3: 0.729
        var opt = Opt(1.0);
        var s = new ChainedScheduler([new ConstantLR(opt, factor: 0.1, totalIters: 2), new ExponentialLR(opt, gamma: 0.9)]);
        TestUtil.Approx.Equal([0.1, 0.09, 0.81, 0.729, 0.6561], Rates(s, 4), 1e-15, "ChainedScheduler");

        // Its state holds the inner schedules'; a fresh chain loaded from it continues the same.
        var sd = s.StateDict();
        Assert.Contains("schedulers.1.last_epoch", sd.Keys);
        var opt2 = Opt(1.0);
        var s2 = new ChainedScheduler([new ConstantLR(opt2, factor: 0.1, totalIters: 2), new ExponentialLR(opt2, gamma: 0.9)], opt2);
        s2.LoadStateDict(sd);
        opt2.LearningRate = opt.LearningRate;   // the rates themselves come back with the optimizer's state
        s.Step(); s2.Step();
        Assert.Equal(opt.LearningRate, opt2.LearningRate);
    }

    [Fact]
    public void PlateauFloorsPerGroupAndOneCyclePeaksPerGroup()
    {
        var opt = Opt(1.0);
        opt.AddParamGroup(new ParamGroup([Param(name: "b")], learningRate: 1.0));
        var p = new ReduceLROnPlateau(opt, minLr: [0.3, 0.05], factor: 0.5, patience: 0);
        p.Step(1.0);   // best
        for (int k = 0; k < 3; k++) p.Step(2.0);   // three bad epochs: 0.5, 0.25 -> floor, ...
        // group 0: 1 -> 0.5 -> max(0.25, 0.3) = 0.3 -> 0.3 ; group 1: 0.5, 0.25, 0.125
        Assert.Equal([0.3, 0.125], p.LastLearningRates);
        Assert.Equal([0.3, 0.05], p.MinLearningRates);
        var e = Assert.Throws<ArgumentException>(() => new ReduceLROnPlateau(opt, minLr: [0.1]));
        Assert.Contains("expected 2 values for minLr", e.Message);
        Assert.Contains("MoreSchedulerTests.cs:", e.Message);

        var opt2 = Opt(1.0);
        opt2.AddParamGroup(new ParamGroup([Param(name: "b")]));
        var oc = new OneCycleLR(opt2, maxLr: [1.0, 0.5], totalSteps: 10, cycleMomentum: false);
        // Each group starts at its maxLr/25 and peaks at its maxLr at step 0.3*10 - 1 = 2
        TestUtil.Approx.Equal([0.04, 0.02], [.. oc.LastLearningRates], 1e-14, "OneCycleLR start");
        oc.Step(); oc.Step();
        TestUtil.Approx.Equal([1.0, 0.5], [.. oc.LastLearningRates], 1e-14, "OneCycleLR peak");
        Assert.Contains("expected 2 values for maxLr", Assert.Throws<ArgumentException>(() => new OneCycleLR(opt2, [1.0], 10)).Message);
    }

    [Fact]
    public void BadOptionsThrowNamingTheCaller()
    {
        Action[] bad =
        [
            () => new MultiStepLR(Opt(), [-1]), () => new ConstantLR(Opt(), factor: 1.5), () => new ConstantLR(Opt(), totalIters: -1),
            () => new PolynomialLR(Opt(), totalIters: 0), () => new CyclicLR(Opt(), 0.1, 1.0, stepSizeUp: 0, cycleMomentum: false),
        ];
        foreach (var make in bad)
            Assert.Contains("MoreSchedulerTests.cs:", Assert.Throws<ArgumentException>(make).Message);
    }
}
