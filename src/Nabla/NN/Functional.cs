using Nabla.Engine;

namespace Nabla.NN;

/// <summary>
/// Layers, activations and losses as plain functions of tensors (PyTorch's <c>torch.nn.functional</c>,
/// usually imported as <c>F</c>). Everything is a composite of differentiable Tensor ops (plus the
/// linear im2col pair for convolution), so it works with Backward, tapes, forward mode and higher
/// derivatives. The <see cref="Module"/> layers call these.
/// </summary>
/// <example><code>
/// using F = Nabla.NN.Functional;
/// var h = F.Relu(F.Linear(x, w1, b1));
/// var loss = F.CrossEntropy(F.Linear(h, w2, b2), labels);
/// </code></example>
public static partial class Functional
{
    /// <summary>
    /// y = x·Wᵀ + b for x [..., in], weight [out, in], bias [out] (optional), as torch.nn.functional.linear.
    /// </summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 2)
            throw Errors.Arg("Linear", $"weight must be 2-d [out, in], got {Errors.Describe(weight)}.");
        if (input.Rank == 0 || input.Shape[-1] != weight.Shape[1])
            throw Errors.Arg("Linear", $"input {Errors.Describe(input)} must end in in_features = {weight.Shape[1]} (weight {Errors.Describe(weight)}).");
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != weight.Shape[0]))
            throw Errors.Arg("Linear", $"bias must be [{weight.Shape[0]}], got {Errors.Describe(bias)}.");
        // As PyTorch ("mat1 and mat2 must have the same dtype"): no silent upcast of a layer's output.
        if (input.DType != weight.DType)
            throw Errors.Arg("Linear", $"the input is {input.DType.TorchName()} but the weight is {weight.DType.TorchName()}; convert the input " +
                $"(x.To(DType.{weight.DType})) or make the layer in the input's dtype (new Linear(..., dtype: DType.{input.DType})).");
        var y = input.MatMul(weight.T);
        return bias is null ? y : y + bias;
    }

    /// <summary>
    /// Inverted dropout: in training, each element is zeroed with probability <paramref name="p"/> and the
    /// rest are scaled by 1/(1-p), so the expectation is unchanged; when not training (or p = 0) the
    /// input is returned as is. The mask comes from <see cref="Tensor.Rand(int[], DType, int?, bool, Device)"/>:
    /// with <paramref name="seed"/> it depends only on the seed, otherwise on the global generator.
    /// </summary>
    public static Tensor Dropout(Tensor input, double p = 0.5, bool training = true, int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!(p >= 0 && p <= 1)) throw Errors.Arg("Dropout", $"p must be a probability in [0, 1], got {p}.");
        if (!input.DType.IsFloating()) throw Errors.Arg("Dropout", $"needs a floating input, got {input.DType.TorchName()}.");
        if (!training || p == 0) return input;
        return Dropout(input, p, seed is int s ? Tensor.Rand(input.Shape.ToArray(), input.DType, s) : Tensor.Rand(input.Shape.ToArray(), input.DType));
    }

    /// <summary>Dropout with uniform draws from <paramref name="generator"/> (a seeded Dropout layer's own; null: the global one).</summary>
    internal static Tensor Dropout(Tensor input, double p, bool training, Generator? generator)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!input.DType.IsFloating()) throw Errors.Arg("Dropout", $"needs a floating input, got {input.DType.TorchName()}.");
        if (!training || p == 0) return input;
        return Dropout(input, p, Tensor.Rand(input.Shape.ToArray(), input.DType, generator ?? Generator.Default));
    }

    static Tensor Dropout(Tensor input, double p, Tensor uniform)
    {
        var keep = uniform.Ge(p);
        var scale = p == 1 ? 0.0 : 1.0 / (1.0 - p);
        return input * Tensor.Where(keep, Tensor.Scalar(scale, input.DType), Tensor.Scalar(0.0, input.DType));
    }

    /// <summary>Merges dims <paramref name="startDim"/>..<paramref name="endDim"/> (inclusive, negative from the end) into one, as torch.flatten.</summary>
    public static Tensor Flatten(Tensor input, int startDim = 1, int endDim = -1)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank == 0) return input.Reshape(1);
        int r = input.Rank;
        int s = startDim < 0 ? startDim + r : startDim, e = endDim < 0 ? endDim + r : endDim;
        if (s < 0 || s >= r || e < 0 || e >= r || s > e)
            throw Errors.Arg("Flatten", $"dims {startDim}..{endDim} are not a valid range for a {r}-d input {Errors.Describe(input)}.");
        var shape = input.Shape.ToArray();
        int merged = 1;
        for (int d = s; d <= e; d++) merged *= shape[d];
        return input.Reshape([.. shape[..s], merged, .. shape[(e + 1)..]]);
    }

    /// <summary>The error function elementwise (integers are promoted to float32); erf(±∞) = ±1, NaN stays NaN. Its derivative is (2/√π)·e^(-x²).</summary>
    public static Tensor Erf(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Erf();
    }

    /// <summary>max(x, 0) elementwise (see <see cref="Tensor.Relu"/>).</summary>
    public static Tensor Relu(Tensor input) => NotNull(input).Relu();

    /// <summary>The logistic function elementwise (see <see cref="Tensor.Sigmoid"/>).</summary>
    public static Tensor Sigmoid(Tensor input) => NotNull(input).Sigmoid();

    /// <summary>tanh elementwise.</summary>
    public static Tensor Tanh(Tensor input) => NotNull(input).Tanh();

    /// <summary>
    /// ELU elementwise, as torch.nn.functional.elu: x for x &gt; 0, <paramref name="alpha"/>·(eˣ - 1) otherwise
    /// (see <see cref="Tensor.Elu"/>).
    /// </summary>
    public static Tensor Elu(Tensor input, double alpha = 1.0) => NotNull(input).Elu(alpha);

    /// <summary>
    /// GELU: x·Φ(x) = 0.5·x·(1 + erf(x/√2)) by default (exact, differentiable to every order), or the tanh
    /// estimate with <see cref="GeluApproximation.Tanh"/>, as torch.nn.functional.gelu. NaN stays NaN.
    /// </summary>
    public static Tensor Gelu(Tensor input, GeluApproximation approximate = GeluApproximation.None)
    {
        var x = NotNull(input).DType.IsFloating() ? input : input.To(DType.Float32);
        if (approximate == GeluApproximation.Tanh)
        {
            const double k = 0.79788456080286536;   // √(2/π)
            return 0.5 * x * (1.0 + (k * (x + 0.044715 * x * x * x)).Tanh());
        }
        return x.Gelu();   // one fused pass; 0.5·x·(1 + erf(x/√2))
    }

    /// <summary>Softmax along <paramref name="dim"/> (stable; see <see cref="Tensor.Softmax"/>).</summary>
    public static Tensor Softmax(Tensor input, int dim) => NotNull(input).Softmax(dim);

    /// <summary>Log-softmax along <paramref name="dim"/> (stable for large logits; see <see cref="Tensor.LogSoftmax"/>).</summary>
    public static Tensor LogSoftmax(Tensor input, int dim) => NotNull(input).LogSoftmax(dim);

    static Tensor NotNull(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input;
    }
}
