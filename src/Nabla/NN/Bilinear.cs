namespace Nabla.NN;

/// <summary>
/// torch.nn.Bilinear: y = x1ᵀ·A·x2 + b per output feature, with weight [out, in1, in2] and bias [out], both starting as
/// U(-1/√in1, 1/√in1) (PyTorch's init). Called with two inputs: <see cref="Call(Tensor, Tensor)"/>.
/// </summary>
/// <example><code>
/// var m = new Bilinear(20, 30, 40, seed: 0);
/// var y = m.Call(Tensor.Randn(128, 20), Tensor.Randn(128, 30));   // [128, 40]
/// </code></example>
public sealed class Bilinear : Module
{
    /// <summary>A bilinear layer. With <paramref name="seed"/> the initial values depend only on it.</summary>
    public Bilinear(int in1Features, int in2Features, int outFeatures, bool bias = true, int? seed = null, DType dtype = DType.Float32)
    {
        if (in1Features < 0 || in2Features < 0 || outFeatures < 0)
            throw Engine.Errors.Arg("Bilinear", $"feature counts must not be negative, got in1 = {in1Features}, in2 = {in2Features}, out = {outFeatures}.");
        Init.CheckDType("Bilinear", dtype);
        (In1Features, In2Features, OutFeatures) = (in1Features, in2Features, outFeatures);
        double bound = Init.Bound(in1Features);
        Weight = RegisterParameter("weight", new Variable(Init.Uniform([outFeatures, in1Features, in2Features], bound, dtype, seed, 0), name: "weight"));
        if (bias) Bias = RegisterParameter("bias", new Variable(Init.Uniform([outFeatures], bound, dtype, seed, 1), name: "bias"));
    }

    /// <summary>Features of the first input.</summary>
    public int In1Features { get; }

    /// <summary>Features of the second input.</summary>
    public int In2Features { get; }

    /// <summary>Output features.</summary>
    public int OutFeatures { get; }

    /// <summary>The weight [out, in1, in2].</summary>
    public Variable Weight { get; }

    /// <summary>The bias [out], or null when built with <c>bias: false</c>.</summary>
    public Variable? Bias { get; }

    /// <summary>The layer on its two inputs [*, in1] and [*, in2]: [*, out].</summary>
    public Tensor Call(Tensor input1, Tensor input2) => Invoke([input1, input2], a => Functional.Bilinear(a[0]!, a[1]!, Weight, Bias));

    /// <summary>Not usable: a bilinear layer takes two inputs; use <see cref="Call(Tensor, Tensor)"/>.</summary>
    public override Tensor Forward(Tensor x) =>
        throw Engine.Errors.Arg("Bilinear", "takes two inputs; call it as bilinear.Call(input1, input2).");

    /// <inheritdoc/>
    protected override string ExtraRepr =>
        $"in1_features={In1Features}, in2_features={In2Features}, out_features={OutFeatures}, bias={(Bias is null ? "False" : "True")}";
}
