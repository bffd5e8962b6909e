using Nabla.Optim;
using static Nabla.Tests.Optim.OptimTestUtil;

namespace Nabla.Tests.Optim;

/// <summary>Learning-rate schedules over several epochs against PyTorch's closed forms, computed by hand.</summary>
public class SchedulerTests
{
    static Sgd Opt(double lr = 0.1) => new([Param()], learningRate: lr);

    /// <summary>The rate right after construction (epoch 0), then after each of <paramref name="steps"/> steps.</summary>
    static double[] Rates(LRScheduler s, int steps)
    {
        var lrs = new List<double> { s.Optimizer.LearningRate };
        Assert.Equal(s.Optimizer.LearningRate, s.LastLearningRates[0]);
        for (int e = 0; e < steps; e++)
        {
            s.Step();
            lrs.Add(s.Optimizer.LearningRate);
            Assert.Equal(e + 1, s.LastEpoch);
        }
        return [.. lrs];
    }

    [Fact]
    public void StepLRHalvesEveryTwoEpochs()
    {
        // lr_e = 0.1 * 0.5^floor(e/2)
        var got = Rates(new StepLR(Opt(), stepSize: 2, gamma: 0.5), 6);
        TestUtil.Approx.Equal([0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125], got, 1e-15, "StepLR");
    }

    [Fact]
    public void ExponentialLR()
    {
        // lr_e = 0.1 * 0.9^e
        var got = Rates(new ExponentialLR(Opt(), gamma: 0.9), 5);
        TestUtil.Approx.Equal([0.1, 0.09, 0.081, 0.0729, 0.06561, 0.059049], got, 1e-15, "ExponentialLR");
    }

    [Fact]
    public void CosineAnnealingFollowsTheCosineAndRisesAfterTMax()
    {
        // lr_e = 0.01 + (0.1 - 0.01) * (1 + cos(pi e / 4)) / 2 ; past T_max the recursive form keeps following the cosine.
        var got = Rates(new CosineAnnealingLR(Opt(), tMax: 4, etaMin: 0.01), 8);
        var want = Enumerable.Range(0, 9).Select(e => 0.01 + 0.09 * (1 + Math.Cos(Math.PI * e / 4)) / 2).ToArray();
        TestUtil.Approx.Equal(want, got, 1e-14, "CosineAnnealingLR");
        // Literal: e = 2 is half way, (0.1 + 0.01) / 2 = 0.055; e = 4 is eta_min.
        Assert.Equal(0.055, got[2], 15);
        Assert.Equal(0.01, got[4], 15);
    }

    [Fact]
    public void LinearWarmupReachesTheBaseRateAndStays()
    {
        // factor_e = 0.25 + (1 - 0.25) * min(e, 4) / 4 -> 0.25, 0.4375, 0.625, 0.8125, 1, 1, 1
        var got = Rates(new LinearLR(Opt(), startFactor: 0.25, endFactor: 1.0, totalIters: 4), 6);
        TestUtil.Approx.Equal([0.025, 0.04375, 0.0625, 0.08125, 0.1, 0.1, 0.1], got, 1e-15, "LinearLR");
    }

    [Fact]
    public void OneCycleWithPytorchsDefaults()
    {
        var opt = Opt(lr: 123);   // OneCycle ignores the optimizer's own rate
        var got = Rates(new OneCycleLR(opt, maxLr: 1.0, totalSteps: 10), 9);
        // initial = 1/25 = 0.04, min = 0.04/1e4 = 4e-6 ; warm-up ends at step 0.3*10 - 1 = 2, the last step is 9.
        // Cosine: lr = end + (start - end)/2 * (1 + cos(pi * pct)).
        double Cos(double start, double end, double pct) => end + (start - end) / 2 * (1 + Math.Cos(Math.PI * pct));
        var want = Enumerable.Range(0, 10).Select(s => s <= 2 ? Cos(0.04, 1.0, s / 2.0) : Cos(1.0, 4e-6, (s - 2) / 7.0)).ToArray();
        TestUtil.Approx.Equal(want, got, 1e-14, "OneCycleLR");
        Assert.Equal(0.04, got[0], 15);
        Assert.Equal(0.52, got[1], 15);
        Assert.Equal(1.0, got[2], 15);
        Assert.Equal(4e-6, got[9], 15);
    }

    [Fact]
    public void OneCycleCyclesMomentumOrBeta1()
    {
        var sgd = Opt();
        var s = new OneCycleLR(sgd, maxLr: 1.0, totalSteps: 10);
        // Momentum goes 0.95 -> 0.85 while the rate rises, then back to 0.95.
        Assert.Equal(0.95, sgd.ParamGroups[0]["momentum"], 15);
        s.Step();
        Assert.Equal(0.85 + 0.05 * (1 + Math.Cos(Math.PI * 0.5)), sgd.ParamGroups[0]["momentum"], 15);
        s.Step();
        Assert.Equal(0.85, sgd.ParamGroups[0]["momentum"], 15);

        var adam = new Adam([Param()]);
        new OneCycleLR(adam, maxLr: 0.01, totalSteps: 10).Step();
        Assert.Equal(0.90, adam.ParamGroups[0]["beta1"], 15);
        Assert.Equal(0.999, adam.ParamGroups[0]["beta2"]);

        Assert.Throws<ArgumentException>(() => new OneCycleLR(new Adagrad([Param()]), maxLr: 0.1, totalSteps: 10));
        var noMomentum = new Adagrad([Param()]);
        new OneCycleLR(noMomentum, maxLr: 0.1, totalSteps: 10, cycleMomentum: false);
        Assert.Equal(0.004, noMomentum.LearningRate, 15);
    }

    [Fact]
    public void OneCycleLinearThreePhase()
    {
        // total 10, pct 0.3: phase ends at 2, 4, 9 ; linear: start + (end - start) * pct
        var got = Rates(new OneCycleLR(Opt(), maxLr: 1.0, totalSteps: 10, annealStrategy: AnnealStrategy.Linear,
            cycleMomentum: false, threePhase: true), 9);
        TestUtil.Approx.Equal([0.04, 0.52, 1.0, 0.52, 0.04, 0.04 - 0.2 * (0.04 - 4e-6), 0.04 - 0.4 * (0.04 - 4e-6),
            0.04 - 0.6 * (0.04 - 4e-6), 0.04 - 0.8 * (0.04 - 4e-6), 4e-6], got, 1e-14, "OneCycleLR three-phase");
    }

    [Fact]
    public void OneCycleRefusesToStepPastTheEnd()
    {
        var s = new OneCycleLR(Opt(), maxLr: 1.0, totalSteps: 3);
        s.Step(); s.Step(); s.Step();
        var e = Assert.Throws<InvalidOperationException>(s.Step);
        Assert.Contains("totalSteps is 3", e.Message);
    }

    [Fact]
    public void SchedulesSetEveryGroupFromItsOwnRate()
    {
        var opt = Opt(0.1);
        opt.AddParamGroup(new ParamGroup([Param(name: "b")], learningRate: 1.0));
        var s = new ExponentialLR(opt, gamma: 0.5);
        s.Step();
        Assert.Equal(0.05, opt.ParamGroups[0].LearningRate, 15);
        Assert.Equal(0.5, opt.ParamGroups[1].LearningRate, 15);
        Assert.Equal(new[] { 0.05, 0.5 }, s.LastLearningRates);
    }

    [Fact]
    public void ChainedWarmupThenStepComposeAsInPytorch()
    {
        // Two schedules on one optimizer multiply: LinearLR's factor times StepLR's decay.
        var opt = Opt(1.0);
        var warm = new LinearLR(opt, startFactor: 0.5, totalIters: 2);
        var decay = new StepLR(opt, stepSize: 1, gamma: 0.5);
        var got = new List<double> { opt.LearningRate };
        for (int e = 0; e < 3; e++) { warm.Step(); decay.Step(); got.Add(opt.LearningRate); }
        // e=0: 0.5 ; e=1: 0.75*0.5 ; e=2: 1*0.25 ; e=3: 1*0.125
        TestUtil.Approx.Equal([0.5, 0.375, 0.25, 0.125], [.. got], 1e-15, "chained");
    }

    [Fact]
    public void ChainedSchedulesTakeTheRateFromBeforeTheFirstScheduleAsBase()
    {
        // PyTorch's base_lrs come from the group's initial_lr, set by the first schedule: the cosine made
        // after LinearLR already halved the rate still anneals from 1.0, so its step up at e=3 is
        // (1.0 - 0)(1 - cos(pi/2))/2 = 0.5, not 0.25.
        var opt = Opt(1.0);
        var warm = new LinearLR(opt, startFactor: 0.5, endFactor: 1.0, totalIters: 2);
        var cosine = new CosineAnnealingLR(opt, tMax: 2);
        Assert.Equal([1.0], cosine.BaseLearningRates);
        Assert.Equal(1.0, opt.ParamGroups[0].InitialLearningRate);
        var got = new List<double> { opt.LearningRate };
        for (int e = 0; e < 4; e++) { warm.Step(); cosine.Step(); got.Add(opt.LearningRate); }
        TestUtil.Approx.Equal([0.5, 0.375, 0, 0.5, 1.0], [.. got], 1e-15, "LinearLR then CosineAnnealingLR");
    }

    [Fact]
    public void OneCycleSetsTheGroupsInitialRateToItsStart()
    {
        var opt = Opt(123);
        var s = new OneCycleLR(opt, maxLr: 1.0, totalSteps: 10);
        Assert.Equal(0.04, opt.ParamGroups[0].InitialLearningRate!.Value, 15);
        Assert.Equal(0.04, s.BaseLearningRates[0], 15);
    }

    [Fact]
    public void ReduceOnPlateauWithPatienceAndCooldown()
    {
        var opt = Opt(1.0);
        var s = new ReduceLROnPlateau(opt, PlateauMode.Min, factor: 0.5, patience: 2, cooldown: 1);
        double[] metrics = [10, 9, 9, 9, 9, 8, 8, 8, 8, 8];
        var got = new List<double>();
        foreach (var m in metrics) { s.Step(m); got.Add(opt.LearningRate); }
        // Epoch 5 is the third bad epoch in a row (> patience 2): cut. Epoch 6 improves (cooldown ends),
        // 7, 8, 9 are bad: cut at 9. Epoch 10 is in cooldown.
        Assert.Equal([1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25], got);
        Assert.Equal(8, s.Best);
        Assert.Equal(10, s.LastEpoch);
    }

    [Fact]
    public void ReduceOnPlateauMaxModeMinLrAndThreshold()
    {
        var opt = Opt(1.0);
        var s = new ReduceLROnPlateau(opt, PlateauMode.Max, factor: 0.1, patience: 0, minLr: 0.05);
        var got = new List<double>();
        foreach (var m in new[] { 1.0, 0.5, 0.4, 0.3 }) { s.Step(m); got.Add(opt.LearningRate); }
        // 1.0 sets the best; every later epoch is worse: 0.1, then max(0.01, 0.05) = 0.05, then no change.
        Assert.Equal([1.0, 0.1, 0.05, 0.05], got);

        // Relative threshold: 0.99995 is not below 1 * (1 - 1e-4), so it is a bad epoch; abs mode with 0.1 also.
        var rel = new ReduceLROnPlateau(Opt(1.0), patience: 5);
        rel.Step(1.0); rel.Step(0.99995);
        Assert.Equal(1, rel.NumBadEpochs);
        var abs = new ReduceLROnPlateau(Opt(1.0), patience: 5, threshold: 0.1, thresholdMode: ThresholdMode.Abs);
        abs.Step(1.0); abs.Step(0.95); abs.Step(0.85);
        Assert.Equal(0, abs.NumBadEpochs);
        Assert.Equal(0.85, abs.Best);
        Assert.Throws<ArgumentException>(() => new ReduceLROnPlateau(Opt(), factor: 1.0));
    }
}

/// <summary>Resuming schedules from their state dicts continues exactly.</summary>
public class SchedulerResumeTests
{
    [Fact]
    public void ResumedCosineAndPlateauContinueLikeTheStraightRun()
    {
        static Sgd Opt() => new([OptimTestUtil.Param()], learningRate: 0.1);
        var straightOpt = Opt();
        var straight = new CosineAnnealingLR(straightOpt, tMax: 6, etaMin: 0.001);
        for (int e = 0; e < 5; e++) straight.Step();

        var firstOpt = Opt();
        var first = new CosineAnnealingLR(firstOpt, tMax: 6, etaMin: 0.001);
        for (int e = 0; e < 2; e++) first.Step();
        var (optState, schedState) = (firstOpt.StateDict(), first.StateDict());

        var againOpt = Opt();
        var again = new CosineAnnealingLR(againOpt, tMax: 6, etaMin: 0.001);
        againOpt.LoadStateDict(optState);
        again.LoadStateDict(schedState);
        for (int e = 0; e < 3; e++) again.Step();
        Assert.Equal(straightOpt.LearningRate, againOpt.LearningRate);
        Assert.Equal(5, again.LastEpoch);

        var p1 = new ReduceLROnPlateau(Opt(), patience: 1);
        p1.Step(1.0); p1.Step(2.0);
        var p2 = new ReduceLROnPlateau(Opt(), patience: 1);
        p2.LoadStateDict(p1.StateDict());
        Assert.Equal((1.0, 1, 2), (p2.Best, p2.NumBadEpochs, p2.LastEpoch));
        p2.Step(2.0);   // second bad epoch in a row: cut
        Assert.Equal(0.01, p2.Optimizer.LearningRate, 15);
    }
}
