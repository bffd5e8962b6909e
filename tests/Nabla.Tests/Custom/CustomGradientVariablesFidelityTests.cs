namespace Nabla.Tests.Custom;

/// <summary>
/// TensorFlow's tf.custom_gradient for functions that read trainable variables: the gradient function gets
/// the variables read (those not passed as inputs) and returns their gradients, which tapes and Backward use;
/// the plain kind of gradient function is an error then. Cases from TF's docs and gradients_test.
/// </summary>
public class CustomGradientVariablesFidelityTests
{
    [Fact]
    public void TfDocsLinearPolyUsesVariableGradientsOnTape()
    {
        // TF's docs: weights = [1, 1]; poly = weights[1] x + weights[0]; the gradient function returns
        // dpoly · weights[1] for x and Σ dpoly · [x¹, x⁰] for weights: [6, 3] at x = [1, 2, 3].
        var weights = new Variable(Tensor.Ones([2], DType.Float64));
        IReadOnlyList<Variable>? seen = null;
        var linearPoly = Autograd.CustomGradient((Tensor x) =>
        {
            var poly = weights[1] * x + weights[0];
            return (poly, (dpoly, variables) =>
            {
                seen = variables;
                var dw = Tensor.Stack([(dpoly * x).Sum(), dpoly.Sum()]);
                return (dpoly * weights[1], [dw]);
            });
        });
        var x = Tensor.FromArray([1.0, 2.0, 3.0], [3]);
        using var tape = new GradientTape(persistent: true);
        tape.Watch(x);
        var poly = linearPoly(x);
        Assert.Equal([2.0, 3.0, 4.0], poly.ToDoubleArray());
        Assert.Equal([1.0, 1.0, 1.0], tape.Gradient(poly, x)!.ToDoubleArray());
        Assert.Equal([6.0, 3.0], tape.Gradient(poly, weights)!.ToDoubleArray());
        Assert.Same(weights, Assert.Single(seen!));
    }

    [Fact]
    public void TfGradientsTestCapturedVariableGetsItsCustomGradient()
    {
        // TF's gradients_test: x_captured = 3 read inside, x = 6 passed in; y = x · x_captured with the
        // gradient 4 · x_captured · dy for x and 5 · x · dy for x_captured. Only x_captured is in 'variables'.
        var xCaptured = new Variable(3.0);
        IReadOnlyList<Variable>? seen = null;
        var funcMult = Autograd.CustomGradient((Tensor x) =>
            (x * xCaptured, (dy, variables) =>
            {
                seen = variables;
                return (4.0 * xCaptured * dy, [5.0 * x * dy]);
            }));
        var x = new Variable(6.0);
        using var g = new GradientTape(persistent: true);
        var y = funcMult(x);
        Assert.Equal(18.0, y.Item<double>());
        Assert.Equal(12.0, g.Gradient(y, x)!.Item<double>());
        Assert.Equal(30.0, g.Gradient(y, xCaptured)!.Item<double>());
        Assert.Same(xCaptured, Assert.Single(seen!));
    }

    [Fact]
    public void VariableGradientsReachGradThroughBackward()
    {
        // The true gradient this time: y = Σ w ⊙ sin(x); ∂/∂x = w cos x, ∂/∂w = sin x, checked by differences.
        double[] xs = [0.3, -1.2], ws = [2.0, -0.5];
        var w = new Variable(Tensor.FromArray(ws, [2]));
        var f = Autograd.CustomGradient((Tensor[] inputs) =>
        {
            var s = inputs[0].Sin();
            return ((w * s).Sum(), (dy, variables) => ([dy * w * inputs[0].Cos()], [dy * s]));
        });
        var x = Tensor.FromArray(xs, [2], requiresGrad: true);
        f([x]).Backward();
        var fdX = Fd.Gradient(t => (Tensor.FromArray(ws, [2]) * t.Sin()).Sum(), xs, [2]);
        var fdW = Fd.Gradient(t => (t * Tensor.FromArray(xs, [2]).Sin()).Sum(), ws, [2]);
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(fdX[i], x.Grad!.ToDoubleArray()[i], 8);
            Assert.Equal(fdW[i], w.Grad!.ToDoubleArray()[i], 8);
        }
    }

    [Fact]
    public void PlainGradientFunctionWithVariableThrowsLikeTf()
    {
        var w = new Variable(Tensor.FromArray([1.0, 2.0], [2]), name: "dense/kernel");
        var f = Autograd.CustomGradient((Tensor x) => (x * w, dy => dy * w));
        var e = Assert.Throws<ArgumentException>(() => f(Tensor.FromArray([1.0, 1.0], [2])));
        Assert.Contains("CustomGradient", e.Message);
        Assert.Contains("'dense/kernel'", e.Message);
        Assert.Contains("variables", e.Message);
    }

    [Fact]
    public void VariablePassedAsInputIsNotInVariablesList()
    {
        var v = new Variable(2.0);
        IReadOnlyList<Variable>? seen = null;
        var square = Autograd.CustomGradient((Tensor x) => (x * x, (dy, variables) =>
        {
            seen = variables;
            return (2.0 * x * dy, []);
        }));
        using var tape = new GradientTape();
        var y = square(v);
        Assert.Equal(4.0, tape.Gradient(y, v)!.Item<double>());
        Assert.Empty(seen!);
    }

    [Fact]
    public void NonTrainableVariableIsNotAVariableToDifferentiate()
    {
        var scale = new Variable(Tensor.Scalar(3.0), trainable: false);
        var f = Autograd.CustomGradient((Tensor x) => (x * scale, dy => dy * scale));
        var x = Tensor.Scalar(2.0, requiresGrad: true);
        Assert.Equal(3.0, Autograd.Grad(f(x), x)!.Item<double>());
    }

    [Fact]
    public void WrongNumberOfVariableGradientsThrows()
    {
        var w = new Variable(2.0);
        var f = Autograd.CustomGradient((Tensor x) => (x * w, (dy, variables) => (dy * w, [])));
        var x = Tensor.Scalar(1.0, requiresGrad: true);
        var e = Assert.Throws<InvalidOperationException>(() => Autograd.Grad(f(x), x));
        Assert.Contains("CustomGradient", e.Message);
        Assert.Contains("0 variable gradients", e.Message);
        Assert.Contains("1 trainable variables", e.Message);
    }

    [Fact]
    public void VariableGradientOfWrongShapeThrows()
    {
        var w = new Variable(Tensor.FromArray([1.0, 2.0], [2]));
        var f = Autograd.CustomGradient((Tensor x) => ((x * w).Sum(), (dy, variables) => (dy * w, new Tensor?[] { dy })));
        var x = Tensor.FromArray([1.0, 1.0], [2], requiresGrad: true);
        var e = Assert.Throws<InvalidOperationException>(() => Autograd.Grad([f(x)], [x, w]));
        Assert.Contains("input 1", e.Message);
        Assert.Contains("[2]", e.Message);
    }
}
