using Nabla.NN;
using Nabla.Optim;
using Nabla.Tests.TestUtil;

namespace Nabla.Tests.NN;

/// <summary>Sinusoidal and learned positional embeddings, and weight tying (a GPT head sharing the token embedding).</summary>
public class PositionalEmbeddingTests
{
    [Fact]
    public void SinusoidalTableIsAttentionIsAllYouNeeds()
    {
        var pe = new SinusoidalPositionalEmbedding(4);
        // d = 4: wavelengths 10000^(0/4) = 1 and 10000^(2/4) = 100.
        var t = pe.Table(3, dtype: DType.Float64).ToArray<double>();
        double[] expected = [0, 1, 0, 1, Math.Sin(1), Math.Cos(1), Math.Sin(0.01), Math.Cos(0.01), Math.Sin(2), Math.Cos(2), Math.Sin(0.02), Math.Cos(0.02)];
        Approx.Equal(expected, t, 1e-15, "table");
        Approx.Equal(pe.Table(5).Narrow(0, 3, 2), pe.Table(2, offset: 3), 0, "offset");
        Assert.Empty(pe.StateDict());   // computed, not saved
        var x = Tensor.Randn([2, 3, 4], seed: 0);
        Approx.Equal(x + pe.Table(3), pe.Call(x), 0, "batch first adds rows 0..T-1");
        Approx.Equal(x + pe.Table(3, offset: 7), pe.Call(x, 7), 0, "from an offset");
        var seqFirst = new SinusoidalPositionalEmbedding(4, batchFirst: false);
        var xs = Tensor.Randn([3, 2, 4], seed: 1);   // [T, N, d]
        Approx.Equal(xs + pe.Table(3).Unsqueeze(1), seqFirst.Call(xs), 0, "sequence first");
        var e = Assert.Throws<ArgumentException>(() => new SinusoidalPositionalEmbedding(5));
        Assert.Contains("even", e.Message);
        Assert.Contains("PositionalEmbeddingTests.cs:", e.Message);
    }

    [Fact]
    public void LearnedTableAddsRowsAndStopsAtMaxLen()
    {
        var wpe = new LearnedPositionalEmbedding(6, 4, seed: 1);
        Assert.Equal(["weight"], wpe.StateDict().Keys.ToArray());
        Assert.Equal([6, 4], wpe.Weight.Shape.ToArray());
        var x = Tensor.Randn([2, 3, 4], seed: 2);
        Approx.Equal(x + wpe.Weight.Narrow(0, 2, 3), wpe.Call(x, 2), 0, "rows 2..4");
        wpe.Call(x, 3).Sum().Backward();
        var g = wpe.Weight.Grad!.ToArray<float>();
        for (int row = 0; row < 6; row++)
            for (int j = 0; j < 4; j++)
                Assert.Equal(row >= 3 ? 2f : 0f, g[row * 4 + j]);   // the rows used, once per batch element
        var e = Assert.Throws<ArgumentException>(() => wpe.Call(x, 4));
        Assert.Contains("LearnedPositionalEmbedding", e.Message);
        Assert.Contains("past maxLen = 6", e.Message);
        Assert.Contains("PositionalEmbeddingTests.cs:", e.Message);
    }

    sealed class TinyLm : Module
    {
        public readonly Embedding TokEmb;
        public readonly Linear LmHead;

        public TinyLm(bool tie)
        {
            TokEmb = RegisterModule("tok_emb", new Embedding(5, 3, seed: 1));
            LmHead = RegisterModule("lm_head", new Linear(3, 5, bias: false, seed: 2));
            if (tie) LmHead.Weight = TokEmb.Weight;
        }

        public override Tensor Forward(Tensor ids) => LmHead.Call(TokEmb.Call(ids).Tanh());
    }

    [Fact]
    public void TiedWeightsAreOneParameterWithTheSumOfBothGradients()
    {
        var ids = Tensor.FromArray(new long[] { 0, 3, 3, 1 }, [4]);
        var coef = Tensor.Randn([4, 5], seed: 3);
        var tied = new TinyLm(tie: true);
        Assert.Same(tied.TokEmb.Weight, tied.LmHead.Weight);
        Assert.Single(tied.Parameters());
        Assert.Equal(["tok_emb.weight"], tied.NamedParameters().Select(p => p.Name).ToArray());
        Assert.Equal(["tok_emb.weight", "lm_head.weight"], tied.StateDict().Keys.ToArray());   // as PyTorch's state_dict

        // The same model untied, both tables holding the tied values: the tied gradient is the sum of the two.
        var untied = new TinyLm(tie: false);
        using (Autograd.NoGrad()) untied.LmHead.Weight.CopyFrom(untied.TokEmb.Weight);
        (untied.Call(ids) * coef).Sum().Backward();
        var w0 = tied.TokEmb.Weight.Clone();
        (tied.Call(ids) * coef).Sum().Backward();
        var sum = untied.TokEmb.Weight.Grad! + untied.LmHead.Weight.Grad!;
        Approx.Equal(sum, tied.TokEmb.Weight.Grad!, 1e-6, "tied gradient");
        // An optimizer steps it once.
        var opt = new Sgd(tied.Parameters(), learningRate: 0.1);
        opt.Step();
        Approx.Equal(w0 - 0.1 * sum, tied.LmHead.Weight, 1e-6, "one SGD step");
    }

    [Fact]
    public void TyingChecksShapesAndATiedPairLoadsFromEitherName()
    {
        var e = Assert.Throws<ArgumentException>(() => new Linear(3, 4).Weight = new Embedding(5, 3).Weight);
        Assert.Contains("Linear.Weight", e.Message);
        Assert.Contains("PositionalEmbeddingTests.cs:", e.Message);

        // safetensors' save_model keeps one name of a tied pair: loading it strictly fills both uses.
        var source = new TinyLm(tie: true);
        var target = new TinyLm(tie: true);
        var saved = new Dictionary<string, Tensor> { ["tok_emb.weight"] = source.TokEmb.Weight.Detach().Clone() };
        var result = target.LoadStateDict(saved);
        Assert.Empty(result.MissingKeys);
        Assert.Equal(source.TokEmb.Weight.ToArray<float>(), target.LmHead.Weight.ToArray<float>());
        var onlyHead = new Dictionary<string, Tensor> { ["lm_head.weight"] = Tensor.Ones([5, 3]) };
        target.LoadStateDict(onlyHead);
        Assert.All(target.TokEmb.Weight.ToArray<float>(), x => Assert.Equal(1f, x));
        // Untied, each name is needed.
        var ex = Assert.Throws<ArgumentException>(() => new TinyLm(tie: false).LoadStateDict(saved));
        Assert.Contains("\"lm_head.weight\"", ex.Message);
        // A full PyTorch state_dict (both names) loads too.
        Assert.Empty(new TinyLm(tie: true).LoadStateDict(source.StateDict()).MissingKeys);
    }

    /// <summary>A GPT-style model: token embedding tied to the head, learned positions, one causal pre-norm block.</summary>
    sealed class TinyGpt : Module
    {
        readonly Embedding _tok;
        readonly LearnedPositionalEmbedding _pos;
        readonly TransformerEncoderLayer _block;
        readonly LayerNorm _norm;
        readonly Linear _head;

        public TinyGpt()
        {
            _tok = RegisterModule("wte", new Embedding(7, 16, seed: 1));
            _pos = RegisterModule("wpe", new LearnedPositionalEmbedding(8, 16, seed: 2));
            _block = RegisterModule("h", new TransformerEncoderLayer(16, 2, 32, dropout: 0, activation: TransformerActivation.Gelu, batchFirst: true, normFirst: true, seed: 3));
            _norm = RegisterModule("ln_f", new LayerNorm(16));
            _head = RegisterModule("lm_head", new Linear(16, 7, bias: false, seed: 4));
            _head.Weight = _tok.Weight;
        }

        public override Tensor Forward(Tensor ids) => _head.Call(_norm.Call(_block.Call(_pos.Call(_tok.Call(ids) * 0.3), isCausal: true)));
    }

    [Fact]
    public void TiedGptStyleModelLearnsToPredictTheNextToken()
    {
        var model = new TinyGpt();
        Assert.Equal(model.Parameters().Count(), model.StateDict().Count - 1);   // lm_head.weight is wte.weight
        var seq = new long[] { 1, 4, 2, 6, 3, 5, 0, 2 };
        var ids = Tensor.FromArray(seq[..7], [1, 7]);
        var next = Tensor.FromArray(seq[1..], [7]);
        var opt = new Adam(model.Parameters(), learningRate: 0.03);
        double first = 0, last = 0;
        for (int step = 0; step < 40; step++)
        {
            opt.ZeroGrad();
            var loss = Functional.CrossEntropy(model.Call(ids).Reshape(7, 7), next);
            loss.Backward();
            opt.Step();
            last = loss.ToDoubleArray()[0];
            if (step == 0) first = last;
        }
        Assert.True(last < 0.2 * first, $"loss went from {first} to {last}");
    }
}
