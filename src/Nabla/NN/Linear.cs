namespace Nabla.NN;

/// <summary>
/// y = x·Wᵀ + b (torch.nn.Linear) with weight [out, in] and bias [out]. Both start as
/// U(-1/√in, 1/√in), PyTorch's default (kaiming_uniform with a = √5 for the weight).
/// </summary>
/// <example><code>
/// var fc = new Linear(4, 2, seed: 0);
/// var y = fc.Call(Tensor.Randn(8, 4));   // [8, 2]
/// </code></example>
public sealed class Linear : Module
{
    /// <summary>
    /// A linear layer. With <paramref name="seed"/> the initial values depend only on it; otherwise
    /// they come from the global generator (<see cref="Tensor.ManualSeed"/>).
    /// </summary>
    public Linear(int inFeatures, int outFeatures, bool bias = true, int? seed = null, DType dtype = DType.Float32)
    {
        if (inFeatures < 0 || outFeatures < 0)
            throw Engine.Errors.Arg("Linear", $"feature counts must not be negative, got in = {inFeatures}, out = {outFeatures}.");
        Init.CheckDType("Linear", dtype);
        (InFeatures, OutFeatures) = (inFeatures, outFeatures);
        double bound = Init.Bound(inFeatures);
        _weight = RegisterParameter("weight", new Variable(Init.Uniform([outFeatures, inFeatures], bound, dtype, seed, 0), name: "weight"));
        if (bias) Bias = RegisterParameter("bias", new Variable(Init.Uniform([outFeatures], bound, dtype, seed, 1), name: "bias"));
    }

    /// <summary>Input features.</summary>
    public int InFeatures { get; }

    /// <summary>Output features.</summary>
    public int OutFeatures { get; }

    /// <summary>
    /// The weight [out, in]. Setting it replaces the registered parameter (same shape and dtype), as PyTorch's
    /// <c>linear.weight = other</c>: GPT's weight tying is <c>lmHead.Weight = tokEmb.Weight</c> (Linear(d, vocab) and
    /// Embedding(vocab, d) both hold [vocab, d]); see <see cref="Module.ReplaceParameter"/>.
    /// </summary>
    public Variable Weight
    {
        get => _weight;
        set => _weight = ReplaceParameter("weight", value);
    }

    Variable _weight;

    /// <summary>The bias [out], or null when built with <c>bias: false</c>.</summary>
    public Variable? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.Linear(x, Weight, Bias);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"in_features={InFeatures}, out_features={OutFeatures}, bias={(Bias is null ? "False" : "True")}";
}
