using Nabla.Optim;
using static Nabla.Tests.Optim.OptimTestUtil;

namespace Nabla.Tests.Optim;

/// <summary>
/// Adamax, NAdam, RAdam, Adadelta, ASGD and Rprop: hand-computed first steps and eight-step trajectories against
/// torch.optim's documented algorithms written out per element in double precision (the comments give the
/// equations). Both styles, state-dict round trips and convergence run for them in OptimizerApiTests' and
/// OptimizerStateDictTests' theories (their Factories list).
/// </summary>
public class MoreOptimizersTests
{
    const int Steps = 8;

    [Theory]
    [InlineData(0.0, false)]
    [InlineData(0.1, true)]
    public void AdamaxMatchesTheEquations(double wd, bool maximize)
    {
        var p = Param();
        var got = RunSteps(new Adamax([p], learningRate: 0.01, beta1: 0.8, beta2: 0.95, eps: 1e-3, weightDecay: wd, maximize: maximize), p, Steps);
        double[] m = new double[3], u = new double[3];
        // g = ±g + wd p ; m = b1 m + (1-b1) g ; u = max(b2 u, |g| + eps) ; p -= lr/(1-b1^t) * m/u
        var want = Reference(Steps, (i, t, x, g) =>
        {
            g = (maximize ? -g : g) + wd * x;
            m[i] = 0.8 * m[i] + 0.2 * g;
            u[i] = Math.Max(0.95 * u[i], Math.Abs(g) + 1e-3);
            return x - 0.01 / (1 - Math.Pow(0.8, t)) * m[i] / u[i];
        });
        AssertSteps(want, got, "Adamax");
    }

    [Fact]
    public void AdamaxFirstStepLiteral()
    {
        var p = Param();
        var got = RunSteps(new Adamax([p]), p, 1);
        // Step 1, element 0 (g 0.5): m = 0.1*0.5 = 0.05, u = 0.5 + 1e-8, p = 1 - 2e-3/0.1 * 0.05/(0.5 + 1e-8)
        Assert.Equal(1 - 0.02 * 0.05 / (0.5 + 1e-8), got[0][0], 15);
        // Element 1 (g -1): p = -2 + 0.02 * 0.1/(1 + 1e-8)
        Assert.Equal(-2 + 0.02 * 0.1 / (1 + 1e-8), got[0][1], 15);
    }

    [Theory]
    [InlineData(0.0, false, false)]
    [InlineData(0.1, false, false)]
    [InlineData(0.1, true, true)]
    public void NAdamMatchesTheEquations(double wd, bool decoupled, bool maximize)
    {
        var p = Param();
        var got = RunSteps(new NAdam([p], learningRate: 0.02, beta1: 0.85, beta2: 0.9, eps: 1e-6, weightDecay: wd,
            momentumDecay: 0.2, decoupledWeightDecay: decoupled, maximize: maximize), p, Steps);
        double[] m = new double[3], v = new double[3], prod = [1, 1, 1];
        // mu_t = b1 (1 - 0.5*0.96^(t psi)) ; prod *= mu_t ; m, v as Adam ; d = sqrt(v/(1-b2^t)) + eps
        // p -= lr (1-mu_t)/(1-prod) g/d + lr mu_{t+1}/(1 - prod mu_{t+1}) m/d
        var want = Reference(Steps, (i, t, x, g) =>
        {
            const double lr = 0.02, b1 = 0.85, b2 = 0.9, psi = 0.2;
            g = maximize ? -g : g;
            if (decoupled) x *= 1 - lr * wd;
            else g += wd * x;
            double mu = b1 * (1 - 0.5 * Math.Pow(0.96, t * psi)), muNext = b1 * (1 - 0.5 * Math.Pow(0.96, (t + 1) * psi));
            prod[i] *= mu;
            m[i] = b1 * m[i] + (1 - b1) * g;
            v[i] = b2 * v[i] + (1 - b2) * g * g;
            double d = Math.Sqrt(v[i] / (1 - Math.Pow(b2, t))) + 1e-6;
            return x - lr * (1 - mu) / (1 - prod[i]) * g / d - lr * muNext / (1 - prod[i] * muNext) * m[i] / d;
        });
        AssertSteps(want, got, "NAdam", 1e-13);
    }

    [Fact]
    public void NAdamFirstStepLiteral()
    {
        var p = Param();
        var got = RunSteps(new NAdam([p], learningRate: 0.1), p, 1);
        // t = 1: m = 0.1 g, v = 0.001 g^2, so sqrt(v/(1-0.999)) = |g|; with mu1, mu2 (psi 4e-3):
        // p = p - 0.1 (1-mu1)/(1-mu1) g/(|g|+eps) - 0.1 mu2/(1-mu1 mu2) * 0.1 g/(|g|+eps)
        double mu1 = 0.9 * (1 - 0.5 * Math.Pow(0.96, 0.004)), mu2 = 0.9 * (1 - 0.5 * Math.Pow(0.96, 0.008));
        double s = 0.5 / (0.5 + 1e-8);
        Assert.Equal(1 - 0.1 * s - 0.1 * mu2 / (1 - mu1 * mu2) * 0.1 * s, got[0][0], 14);
    }

    [Theory]
    [InlineData(0.0, false, 0.999)]
    [InlineData(0.1, false, 0.9)]
    [InlineData(0.1, true, 0.9)]
    public void RAdamMatchesTheEquations(double wd, bool decoupled, double beta2)
    {
        var p = Param();
        var got = RunSteps(new RAdam([p], learningRate: 0.02, beta1: 0.8, beta2: beta2, eps: 1e-6, weightDecay: wd,
            decoupledWeightDecay: decoupled), p, Steps);
        double[] m = new double[3], v = new double[3];
        int rectified = 0;
        // m, v as Adam ; mhat = m/(1-b1^t) ; rho_inf = 2/(1-b2) - 1 ; rho_t = rho_inf - 2 t b2^t/(1-b2^t)
        // rho_t > 5: r = sqrt((rho_t-4)(rho_t-2) rho_inf/((rho_inf-4)(rho_inf-2) rho_t)), p -= lr mhat r sqrt(1-b2^t)/(sqrt v + eps)
        // else p -= lr mhat
        var want = Reference(Steps, (i, t, x, g) =>
        {
            const double lr = 0.02, b1 = 0.8;
            if (decoupled) x *= 1 - lr * wd;
            else g += wd * x;
            m[i] = b1 * m[i] + (1 - b1) * g;
            v[i] = beta2 * v[i] + (1 - beta2) * g * g;
            double mhat = m[i] / (1 - Math.Pow(b1, t));
            double rhoInf = 2 / (1 - beta2) - 1, rhoT = rhoInf - 2 * t * Math.Pow(beta2, t) / (1 - Math.Pow(beta2, t));
            if (!(rhoT > 5)) return x - lr * mhat;
            if (i == 0) rectified++;
            double r = Math.Sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
            return x - lr * mhat * r * Math.Sqrt(1 - Math.Pow(beta2, t)) / (Math.Sqrt(v[i]) + 1e-6);
        });
        AssertSteps(want, got, "RAdam", 1e-13);
        // Both reach the rectified branch at step 6 (rho_6 = 5.994 for beta2 0.999, 5.390 for 0.9; rho_5 = 4.996, 4.581).
        Assert.Equal(3, rectified);
    }

    [Fact]
    public void RAdamFirstStepIsMomentumSgd()
    {
        var p = Param();
        var got = RunSteps(new RAdam([p], learningRate: 0.01), p, 1);
        // t = 1: rho_1 = 1999 - 2*0.999/0.001 = 1 <= 5, so p -= lr * m/(1-b1) = lr * g: 1 - 0.01*0.5
        Assert.Equal(0.995, got[0][0], 15);
        Assert.Equal(-1.99, got[0][1], 15);
    }

    [Theory]
    [InlineData(0.0, false)]
    [InlineData(0.1, true)]
    public void AdadeltaMatchesTheEquations(double wd, bool maximize)
    {
        var p = Param();
        var got = RunSteps(new Adadelta([p], learningRate: 0.5, rho: 0.8, eps: 1e-4, weightDecay: wd, maximize: maximize), p, Steps);
        double[] v = new double[3], u = new double[3];
        // v = rho v + (1-rho) g^2 ; delta = sqrt(u+eps)/sqrt(v+eps) g ; u = rho u + (1-rho) delta^2 ; p -= lr delta
        var want = Reference(Steps, (i, t, x, g) =>
        {
            g = (maximize ? -g : g) + wd * x;
            v[i] = 0.8 * v[i] + 0.2 * g * g;
            double delta = Math.Sqrt(u[i] + 1e-4) / Math.Sqrt(v[i] + 1e-4) * g;
            u[i] = 0.8 * u[i] + 0.2 * delta * delta;
            return x - 0.5 * delta;
        });
        AssertSteps(want, got, "Adadelta");
    }

    [Fact]
    public void AdadeltaFirstStepLiteral()
    {
        var p = Param();
        var got = RunSteps(new Adadelta([p]), p, 1);
        // Defaults lr 1, rho 0.9, eps 1e-6; element 0 (g 0.5): v = 0.1*0.25 = 0.025, delta = sqrt(1e-6)/sqrt(0.025 + 1e-6)*0.5
        Assert.Equal(1 - 1e-3 / Math.Sqrt(0.025001) * 0.5, got[0][0], 15);
    }

    [Theory]
    [InlineData(0.0, 1e6)]
    [InlineData(0.01, 2)]
    public void AsgdMatchesTheEquationsAndAverages(double wd, double t0)
    {
        var p = Param();
        var opt = new ASGD([p], learningRate: 0.05, lambd: 0.01, alpha: 0.6, t0: t0, weightDecay: wd);
        Assert.Null(opt.Average(p));
        var got = RunSteps(opt, p, Steps);
        double[] ax = new double[3];
        double eta = 0.05, mu = 1;
        // p *= 1 - lambd eta ; p -= eta g ; ax = p (mu = 1) else ax += mu (p - ax)
        // then eta = lr/(1 + lambd lr t)^alpha, mu = 1/max(1, t - t0) (eta, mu shared by the elements: updated after the last)
        var want = Reference(Steps, (i, t, x, g) =>
        {
            g += wd * x;
            x *= 1 - 0.01 * eta;
            x -= eta * g;
            ax[i] = mu == 1 ? x : ax[i] + mu * (x - ax[i]);
            if (i == 2) (eta, mu) = (0.05 / Math.Pow(1 + 0.01 * 0.05 * t, 0.6), 1 / Math.Max(1, t - t0));
            return x;
        });
        AssertSteps(want, got, "ASGD");
        TestUtil.Approx.Equal(ax, Values(opt.Average(p)!), 1e-14, "ASGD average");
        if (t0 == 2) Assert.NotEqual(Values(p), Values(opt.Average(p)!));   // averaging started at step 4
        // The state dict names PyTorch's keys.
        var keys = opt.StateDict().State[0].Keys.Order().ToArray();
        Assert.Equal(["ax", "eta", "mu", "step"], keys);
    }

    [Fact]
    public void RpropAdaptsEachStepSizeBySign()
    {
        var p = Param();
        var got = RunSteps(new Rprop([p], learningRate: 0.01), p, 3);
        // Step 1: no previous sign, p -= sign(g)*0.01: [0.99, -1.99, 0.49]
        TestUtil.Approx.Equal([0.99, -1.99, 0.49], got[0], 1e-15, "Rprop step 1");
        // Step 2, g [0.25, 0.5, -1.5]: element 0 keeps its sign (step 0.012), 1 and 2 flip (step 0.005, no move)
        TestUtil.Approx.Equal([0.99 - 0.012, -1.99, 0.49], got[1], 1e-15, "Rprop step 2");
        // Step 3, g [-0.75, 0.1, 1.0]: element 0 flips (step 0.006, no move); 1 and 2 see no previous sign (step 0.005 kept)
        TestUtil.Approx.Equal([0.978, -1.99 - 0.005, 0.49 - 0.005], got[2], 1e-15, "Rprop step 3");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RpropMatchesTheEquations(bool maximize)
    {
        var p = Param();
        var got = RunSteps(new Rprop([p], learningRate: 0.05, etas: (0.4, 1.3), stepSizes: (0.03, 0.07), maximize: maximize), p, Steps);
        double[] prev = new double[3], step = [0.05, 0.05, 0.05];
        // s = sign(g prev) ; step = clamp(step*(1.3 | 0.4 | 1), 0.03, 0.07) ; g = 0 where s < 0 ; p -= sign(g) step ; prev = g
        var want = Reference(Steps, (i, t, x, g) =>
        {
            g = maximize ? -g : g;
            double s = Math.Sign(g * prev[i]);
            step[i] = Math.Clamp(step[i] * (s > 0 ? 1.3 : s < 0 ? 0.4 : 1), 0.03, 0.07);
            if (s < 0) g = 0;
            prev[i] = g;
            return x - Math.Sign(g) * step[i];
        });
        AssertSteps(want, got, "Rprop");
    }

    [Fact]
    public void Float32ParametersStayFloat32AndAgreeWithFloat64()
    {
        Func<IEnumerable<Tensor>, Optimizer>[] makers =
        [
            ps => new Adamax(ps, 0.01), ps => new NAdam(ps, 0.01), ps => new RAdam(ps, 0.01, beta2: 0.9),
            ps => new Adadelta(ps), ps => new ASGD(ps, 0.05, t0: 2), ps => new Rprop(ps, 0.01),
        ];
        foreach (var make in makers)
        {
            var p32 = new Variable(Tensor.FromArray(new float[] { 1f, -2f, 0.5f }, [3]));
            var p64 = Param();
            var a = make([p32]);
            var b = make([p64]);
            for (int k = 0; k < 8; k++)
            {
                p32.Grad = T(GradAt(k)).To(DType.Float32);
                p64.Grad = T(GradAt(k));
                a.Step();
                b.Step();
            }
            Assert.Equal(DType.Float32, p32.DType);
            TestUtil.Approx.Equal(Values(p64), p32.To(DType.Float64).ToArray<double>(), 1e-5, $"float32 {a.GetType().Name} vs float64");
        }
    }

    [Fact]
    public void DefaultsAreTorchs()
    {
        Assert.Equal(2e-3, new Adamax().LearningRate);
        Assert.Equal(2e-3, new NAdam().LearningRate);
        Assert.Equal(4e-3, new NAdam().Defaults["momentum_decay"]);
        Assert.Equal(1e-3, new RAdam().LearningRate);
        Assert.Equal((1.0, 0.9, 1e-6), (new Adadelta().LearningRate, new Adadelta().Defaults["rho"], new Adadelta().Defaults["eps"]));
        var asgd = new ASGD().Defaults;
        Assert.Equal((1e-2, 1e-4, 0.75, 1e6), (asgd["lr"], asgd["lambd"], asgd["alpha"], asgd["t0"]));
        var rprop = new Rprop().Defaults;
        Assert.Equal((1e-2, 0.5, 1.2, 1e-6, 50.0), (rprop["lr"], rprop["eta_minus"], rprop["eta_plus"], rprop["step_size_min"], rprop["step_size_max"]));
    }

    [Fact]
    public void BadOptionsThrowNamingTheCaller()
    {
        Action[] bad =
        [
            () => new Adamax(beta2: 1.0), () => new Adamax(learningRate: -1), () => new NAdam(momentumDecay: -1),
            () => new NAdam(beta1: -0.1), () => new RAdam(eps: -1), () => new Adadelta(rho: 1.5), () => new Adadelta(weightDecay: -1),
            () => new ASGD(lambd: -1), () => new ASGD(t0: -1), () => new Rprop(etas: (1.1, 1.2)), () => new Rprop(etas: (0.5, 0.9)),
            () => new Rprop(stepSizes: (1, 0.5)),
        ];
        foreach (var make in bad)
        {
            var e = Assert.Throws<ArgumentException>(make);
            Assert.Contains("MoreOptimizersTests.cs:", e.Message);
        }
        var etas = Assert.Throws<ArgumentException>(() => new Rprop(etas: (1.1, 1.2)));
        Assert.Contains("Rprop: invalid etas (1.1, 1.2)", etas.Message);
    }
}
