using Nabla.Optim;

namespace Nabla.Tests.Optim;

/// <summary>README's "Plain tensors as parameters" example, as printed there: it reaches the line it fits.</summary>
public class PlainTensorReadmeTests
{
    [Fact]
    public void TheReadmeRegressionFindsItsWeights()
    {
        var x = Tensor.Randn([32, 3], DType.Float64, seed: 1);
        var y = x.MatMul(Tensor.FromArray(new[] { 1.0, -2, 0.5 }, [3, 1])) + 0.3;
        var w = Tensor.Randn([3, 1], DType.Float64, seed: 0); w.RequiresGrad = true;
        var b = Tensor.Zeros([1], DType.Float64); b.RequiresGrad = true;
        var opt = new Sgd([w, b], learningRate: 0.1);
        long version = w.Version;
        for (int step = 0; step < 200; step++)
        {
            opt.ZeroGrad();
            var loss = (x.MatMul(w) + b - y).Square().Mean();
            loss.Backward();
            opt.Step();
        }
        Assert.Equal(version + 200, w.Version);   // updated in place, once per step
        var found = w.ToArray<double>();
        double[] expected = [1, -2, 0.5];
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], found[i], 1e-4);
        Assert.Equal(0.3, b.Item<double>(), 1e-4);
    }
}
