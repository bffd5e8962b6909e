using Nabla.Data;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests;

/// <summary>The code samples of README.md, with the numbers the README states.</summary>
public class ReadmeExamplesTests
{
    /// <summary>The README's custom function (also compiled by Graphs/CompiledReadmeExamplesTests).</summary>
    internal sealed class MyExp : CustomFunction
    {
        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] x)
        {
            var y = x[0].Exp();
            ctx.SaveForBackward(y);
            return [y];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gy) => [gy[0] * ctx.SavedTensors[0]];
    }

    [Fact]
    public void DevicesSample()
    {
        var x = Tensor.Randn([4, 5], seed: 1);
        var fast = x.Softmax(-1);
        var exact = x.To(Device.Reference).Softmax(-1).To(Device.Cpu);
        double diff = (fast - exact).Abs().Max().Item<float>();
        Assert.InRange(diff, 0.0, 1e-7);     // float32 rounding only: probabilities below 1, ulp 6e-8
        Assert.Equal(Device.Reference, Tensor.Zeros([2, 3], device: Device.Reference).Device);
    }

    [Fact]
    public void AutodiffSamples()
    {
        var t = Tensor.Scalar(2.0f, requiresGrad: true);
        var z = t.Pow(2) + 3 * t;
        z.Backward();
        Assert.Equal(7f, t.Grad!.Item<float>());

        var x = new Variable(2.0f);
        var tape = new GradientTape();
        Tensor y;
        using (tape) { y = x * x + 3 * x; }
        Assert.Equal(7f, tape.Gradient(y, x)!.Item<float>());

        var a = Tensor.Scalar(3.0);
        using (var acc = new ForwardAccumulator(a, Tensor.Scalar(1.0)))
            Assert.Equal(27.0, acc.Jvp(a * a * a)!.Item<double>(), 12);

        Func<Tensor, Tensor> f = v => (v * v).Sum().Exp();
        var z0 = Tensor.FromArray(new[] { 0.1, 0.2 }, [2]);
        Assert.Equal([2], Autograd.Jacobian(f, z0).Shape.ToArray());
        var hess = Autograd.Hessian(f, z0);
        Assert.Equal([2, 2], hess.Shape.ToArray());
        var (_, hv) = Autograd.Hvp(f, z0, Tensor.Ones([2], DType.Float64));
        Assert.Equal(hess.Sum(1).ToArray<double>(), hv.ToArray<double>(), new ToleranceComparer(1e-12));

        var w = Tensor.FromArray(new[] { 0.5, -1.0 }, [2], requiresGrad: true);
        new MyExp().Apply(w).Sum().Backward();
        Assert.Equal(new[] { Math.Exp(0.5), Math.Exp(-1.0) }, w.Grad!.ToArray<double>(), new ToleranceComparer(1e-15));

        var log1pexp = Autograd.CustomGradient(v =>
        {
            var e = v.Exp();
            return ((1 + e).Log(), gy => gy * (1 - 1 / (1 + e)));
        });
        var big = Tensor.Scalar(100.0f, requiresGrad: true);
        log1pexp(big).Backward();
        Assert.Equal(1f, big.Grad!.Item<float>());
    }

    [Fact]
    public void TrainingSample()
    {
        var model = new Sequential(
            new Conv2d(1, 32, 3, padding: 1), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(32 * 14 * 14, 10));
        var optimizer = new Adam(model.Parameters(), learningRate: 1e-3);
        var (images, labels) = Mnist.Load(train: true, normalize: true);
        var loader = new DataLoader(new TensorDataset(images[..128], labels[..128]), batchSize: 64, shuffle: true, seed: 0);
        double first = double.NaN, last = double.NaN;
        for (int epoch = 0; epoch < 3; epoch++)
            foreach (var batch in loader)
            {
                optimizer.ZeroGrad();
                var loss = Functional.CrossEntropy(model.Call(batch[0]), batch[1]);
                loss.Backward();
                optimizer.Step();
                if (double.IsNaN(first)) first = loss.Item<float>();
                last = loss.Item<float>();
            }
        foreach (var batch in loader)
        {
            using var tape = new GradientTape();
            var loss = Functional.CrossEntropy(model.Call(batch[0]), batch[1]);
            var grads = tape.Gradient(loss, model.TrainableVariables);
            optimizer.ApplyGradients(grads.Zip(model.TrainableVariables));
            last = loss.Item<float>();
        }
        Assert.True(last < first / 2, $"loss {first} -> {last}");
    }

    sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance * Math.Max(1, Math.Abs(a));
        public int GetHashCode(double obj) => 0;
    }

    [Fact]
    public void InPlaceThroughAViewSample()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }, [2, 3], requiresGrad: true);
        var w = Tensor.FromArray(new[] { 0.5, -1.0, 2.0 }, [3], requiresGrad: true);
        var a = x.Clone();
        a[0].MulInPlace(w);
        Assert.Equal("CopySlices", a.GradFn!.Name);
        a.Sum().Backward();
        Assert.Equal(new[] { 0.5, -1.0, 2.0, 1, 1, 1 }, x.Grad!.ToArray<double>());   // [w; 1, 1, 1]
        Assert.Equal(new[] { 1.0, 2, 3 }, w.Grad!.ToArray<double>());                // x[0]
    }
}
