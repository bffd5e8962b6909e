using Nabla.Optim;
using static Nabla.Tests.Optim.OptimTestUtil;

namespace Nabla.Tests.Optim;

/// <summary>
/// Each optimizer's first steps against the update equations of torch.optim's documentation, written
/// out per element in double precision (the comments give the equations), plus a few literal values.
/// </summary>
public class OptimizerStepTests
{
    [Fact]
    public void SgdPlainIsGradientDescent()
    {
        var p = Param();
        var got = RunSteps(new Sgd([p], learningRate: 0.1), p, 3);
        // p <- p - lr * g
        AssertSteps(Reference(3, (_, _, x, g) => x - 0.1 * g), got, "SGD");
        // Literal: 1 - 0.1*0.5 - 0.1*0.25 + 0.1*0.75 = 1.0
        Assert.Equal(1.0, got[2][0], 15);
    }

    [Fact]
    public void SgdMomentumDampeningAndWeightDecay()
    {
        var p = Param();
        var got = RunSteps(new Sgd([p], learningRate: 0.1, momentum: 0.9, dampening: 0.2, weightDecay: 0.01), p, 3);
        var buf = new double[3];
        // g <- g + wd*p ; b <- g on step 1, else mu*b + (1 - tau)*g ; p <- p - lr*b
        var want = Reference(3, (i, t, x, g) =>
        {
            g += 0.01 * x;
            buf[i] = t == 1 ? g : 0.9 * buf[i] + (1 - 0.2) * g;
            return x - 0.1 * buf[i];
        });
        AssertSteps(want, got, "SGD momentum");
        // Literal first step of element 0: g = 0.5 + 0.01*1 = 0.51, p = 1 - 0.051 = 0.949
        Assert.Equal(0.949, got[0][0], 15);
    }

    [Fact]
    public void SgdNesterovAndMaximize()
    {
        var p = Param();
        var got = RunSteps(new Sgd([p], learningRate: 0.05, momentum: 0.8, nesterov: true, maximize: true), p, 3);
        var buf = new double[3];
        // g <- -g (maximize) ; b <- g (first) or mu*b + g ; g <- g + mu*b ; p <- p - lr*g
        var want = Reference(3, (i, t, x, g) =>
        {
            g = -g;
            buf[i] = t == 1 ? g : 0.8 * buf[i] + g;
            return x - 0.05 * (g + 0.8 * buf[i]);
        });
        AssertSteps(want, got, "SGD nesterov maximize");
    }

    [Fact]
    public void AdamFirstStepMovesByAboutLearningRate()
    {
        var p = Param();
        var got = RunSteps(new Adam([p], learningRate: 0.1), p, 1);
        // Step 1: m = 0.1 g, v = 0.001 g^2, so m/(1-0.9) = g and sqrt(v/(1-0.999)) = |g|:
        // p <- p - lr * g / (|g| + eps); element 0: 1 - 0.1 * 0.5 / (0.5 + 1e-8)
        Assert.Equal(1 - 0.1 * 0.5 / (0.5 + 1e-8), got[0][0], 14);
        Assert.Equal(-2 + 0.1 * 1.0 / (1.0 + 1e-8), got[0][1], 14);
    }

    static List<double[]> AdamReference(int steps, double lr, double b1, double b2, double eps, double wd, bool amsgrad, bool decoupled)
    {
        double[] m = new double[3], v = new double[3], vmax = new double[3];
        // (AdamW: p <- p*(1 - lr*wd) first; Adam: g <- g + wd*p)
        // m <- b1 m + (1-b1) g ; v <- b2 v + (1-b2) g^2 ; vmax <- max(vmax, v) (amsgrad)
        // p <- p - lr/(1-b1^t) * m / (sqrt(v or vmax)/sqrt(1-b2^t) + eps)
        return Reference(steps, (i, t, x, g) =>
        {
            if (decoupled) x *= 1 - lr * wd;
            else g += wd * x;
            m[i] = b1 * m[i] + (1 - b1) * g;
            v[i] = b2 * v[i] + (1 - b2) * g * g;
            vmax[i] = Math.Max(vmax[i], v[i]);
            double second = amsgrad ? vmax[i] : v[i];
            return x - lr / (1 - Math.Pow(b1, t)) * m[i] / (Math.Sqrt(second) / Math.Sqrt(1 - Math.Pow(b2, t)) + eps);
        });
    }

    [Theory]
    [InlineData(false, 0.0)]
    [InlineData(true, 0.0)]
    [InlineData(false, 0.1)]
    [InlineData(true, 0.1)]
    public void AdamMatchesTheEquations(bool amsgrad, double wd)
    {
        var p = Param();
        var got = RunSteps(new Adam([p], learningRate: 0.01, beta1: 0.8, beta2: 0.9, eps: 1e-6, weightDecay: wd, amsgrad: amsgrad), p, 4);
        AssertSteps(AdamReference(4, 0.01, 0.8, 0.9, 1e-6, wd, amsgrad, decoupled: false), got, $"Adam amsgrad={amsgrad} wd={wd}");
    }

    [Fact]
    public void AmsgradDiffersFromAdamWhenTheSecondMomentShrinks()
    {
        // With beta2 = 0.9 the step-4 gradient (|g| small for element 1) makes v shrink, so amsgrad must differ.
        var plain = AdamReference(4, 0.01, 0.8, 0.9, 1e-6, 0, false, false);
        var ams = AdamReference(4, 0.01, 0.8, 0.9, 1e-6, 0, true, false);
        Assert.NotEqual(plain[3][1], ams[3][1]);
    }

    [Fact]
    public void AdamWDecouplesWeightDecay()
    {
        var p = Param();
        var opt = new AdamW([p], learningRate: 0.01, weightDecay: 0.5);
        Assert.Equal(0.5, opt.ParamGroups[0]["weight_decay"]);
        var got = RunSteps(opt, p, 3);
        AssertSteps(AdamReference(3, 0.01, 0.9, 0.999, 1e-8, 0.5, false, decoupled: true), got, "AdamW");
        // Default weight decay is 1e-2, as torch.optim.AdamW.
        Assert.Equal(1e-2, new AdamW().Defaults["weight_decay"]);
    }

    [Fact]
    public void AdamWAmsgradAndMaximize()
    {
        var p = Param();
        var got = RunSteps(new AdamW([p], learningRate: 0.02, beta2: 0.9, weightDecay: 0.1, amsgrad: true, maximize: true), p, 4);
        var neg = AdamReference(4, 0.02, 0.9, 0.9, 1e-8, 0.1, true, decoupled: true);
        // maximize negates the gradient: rerun the reference with negated gradients.
        double[] m = new double[3], v = new double[3], vmax = new double[3];
        var want = Reference(4, (i, t, x, g) =>
        {
            g = -g;
            x *= 1 - 0.02 * 0.1;
            m[i] = 0.9 * m[i] + 0.1 * g;
            v[i] = 0.9 * v[i] + 0.1 * g * g;
            vmax[i] = Math.Max(vmax[i], v[i]);
            return x - 0.02 / (1 - Math.Pow(0.9, t)) * m[i] / (Math.Sqrt(vmax[i]) / Math.Sqrt(1 - Math.Pow(0.9, t)) + 1e-8);
        });
        AssertSteps(want, got, "AdamW amsgrad maximize");
        Assert.NotEqual(neg[3][0], want[3][0]);
    }

    [Theory]
    [InlineData(false, 0.0, 0.0)]
    [InlineData(true, 0.0, 0.0)]
    [InlineData(false, 0.9, 0.0)]
    [InlineData(true, 0.9, 0.05)]
    public void RmsPropMatchesTheEquations(bool centered, double momentum, double wd)
    {
        var p = Param();
        var got = RunSteps(new RmsProp([p], learningRate: 0.01, alpha: 0.9, eps: 1e-6, weightDecay: wd, momentum: momentum, centered: centered), p, 3);
        double[] v = new double[3], mean = new double[3], buf = new double[3];
        // g <- g + wd p ; v <- a v + (1-a) g^2 ; centered: gbar <- a gbar + (1-a) g, s = sqrt(v - gbar^2) + eps
        // else s = sqrt(v) + eps ; momentum: b <- mu b + g/s, p <- p - lr b ; else p <- p - lr g/s
        var want = Reference(3, (i, t, x, g) =>
        {
            g += wd * x;
            v[i] = 0.9 * v[i] + 0.1 * g * g;
            double s;
            if (centered)
            {
                mean[i] = 0.9 * mean[i] + 0.1 * g;
                s = Math.Sqrt(v[i] - mean[i] * mean[i]) + 1e-6;
            }
            else s = Math.Sqrt(v[i]) + 1e-6;
            if (momentum > 0)
            {
                buf[i] = momentum * buf[i] + g / s;
                return x - 0.01 * buf[i];
            }
            return x - 0.01 * g / s;
        });
        AssertSteps(want, got, $"RMSprop centered={centered} momentum={momentum} wd={wd}");
    }

    [Fact]
    public void RmsPropFirstStepLiteral()
    {
        var p = Param();
        var got = RunSteps(new RmsProp([p], learningRate: 0.01), p, 1);
        // v = 0.01 * 0.25 = 0.0025, sqrt = 0.05: p = 1 - 0.01 * 0.5 / (0.05 + 1e-8)
        Assert.Equal(1 - 0.01 * 0.5 / (0.05 + 1e-8), got[0][0], 13);
    }

    [Theory]
    [InlineData(0.0, 0.0, 0.0)]
    [InlineData(0.5, 0.1, 0.2)]
    public void AdagradMatchesTheEquations(double lrDecay, double wd, double init)
    {
        var p = Param();
        var got = RunSteps(new Adagrad([p], learningRate: 0.1, lrDecay: lrDecay, weightDecay: wd, initialAccumulatorValue: init, eps: 1e-10), p, 3);
        var sum = new double[] { init, init, init };
        // g <- g + wd p ; clr = lr / (1 + (t-1) lr_decay) ; s <- s + g^2 ; p <- p - clr g / (sqrt(s) + eps)
        var want = Reference(3, (i, t, x, g) =>
        {
            g += wd * x;
            double clr = 0.1 / (1 + (t - 1) * lrDecay);
            sum[i] += g * g;
            return x - clr * g / (Math.Sqrt(sum[i]) + 1e-10);
        });
        AssertSteps(want, got, $"Adagrad lrDecay={lrDecay} wd={wd} init={init}");
    }

    [Fact]
    public void Float32ParametersStayFloat32AndAgreeWithFloat64()
    {
        var p32 = new Variable(Tensor.FromArray(new float[] { 1f, -2f, 0.5f }, [3]));
        var p64 = Param();
        var a = new Adam([p32], learningRate: 0.01);
        var b = new Adam([p64], learningRate: 0.01);
        for (int k = 0; k < 3; k++)
        {
            p32.Grad = T(GradAt(k)).To(DType.Float32);
            p64.Grad = T(GradAt(k));
            a.Step();
            b.Step();
        }
        Assert.Equal(DType.Float32, p32.DType);
        TestUtil.Approx.Equal(Values(p64), p32.To(DType.Float64).ToArray<double>(), 1e-6, "float32 Adam vs float64");
    }

    [Fact]
    public void DefaultsAreTorchs()
    {
        Assert.Equal(1e-3, new Sgd().LearningRate);
        Assert.Equal(1e-3, new Adam().LearningRate);
        Assert.Equal(0.9, new Adam().Defaults["beta1"]);
        Assert.Equal(0.999, new Adam().Defaults["beta2"]);
        Assert.Equal(1e-8, new Adam().Defaults["eps"]);
        Assert.Equal(1e-2, new RmsProp().LearningRate);
        Assert.Equal(0.99, new RmsProp().Defaults["alpha"]);
        Assert.Equal(1e-2, new Adagrad().LearningRate);
        Assert.Equal(1e-10, new Adagrad().Defaults["eps"]);
    }

    [Fact]
    public void BadHyperParametersThrow()
    {
        Assert.Throws<ArgumentException>(() => new Sgd(learningRate: -1));
        Assert.Throws<ArgumentException>(() => new Sgd(momentum: 0, nesterov: true));
        Assert.Throws<ArgumentException>(() => new Sgd(momentum: 0.9, dampening: 0.1, nesterov: true));
        Assert.Throws<ArgumentException>(() => new Adam(beta1: 1.0));
        Assert.Throws<ArgumentException>(() => new Adam(eps: -1));
        Assert.Throws<ArgumentException>(() => new RmsProp(alpha: -0.1));
        Assert.Throws<ArgumentException>(() => new Adagrad(lrDecay: -1));
        var e = Assert.Throws<ArgumentException>(() => new Sgd(Array.Empty<Variable>()));
        Assert.Contains("empty parameter list", e.Message);
    }
}
