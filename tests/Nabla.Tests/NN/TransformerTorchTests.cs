using Nabla.NN;
using Nabla.Tests.TestUtil;

namespace Nabla.Tests.NN;

/// <summary>
/// MultiheadAttention and the transformer layers against libtorch (tools/TorchFixtures/Transformer.cs): each fixture's
/// state dict loads strictly under PyTorch's names, and the outputs and the gradients of sum(output · coef) with respect
/// to the inputs and the parameters saved match libtorch's.
/// </summary>
public class TransformerTorchTests
{
    const double OutTol = 1e-5, GradTol = 3e-5;

    static readonly HashSet<string> NotState =
    [
        "query", "key", "value", "output", "weights", "coef", "coef_weights", "key_padding_mask", "attn_mask",
        "src", "tgt", "memory", "src_mask", "tgt_mask", "src_key_padding_mask", "memory_key_padding_mask",
    ];

    static Dictionary<string, Tensor> Load(Module m, string fixture)
    {
        var f = TorchFixture.Load(fixture);
        var state = f.Where(kv => !kv.Key.StartsWith("grad.", StringComparison.Ordinal) && !NotState.Contains(kv.Key))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        var result = m.LoadStateDict(state);   // strict: every name is PyTorch's
        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys);
        m.Eval();
        return f;
    }

    static Tensor In(Dictionary<string, Tensor> f, string name)
    {
        var x = f[name].Clone();
        x.RequiresGrad = true;
        return x;
    }

    static void CheckGrads(Module m, Dictionary<string, Tensor> f, int atLeast, params (string Name, Tensor Input)[] inputs)
    {
        foreach (var (name, x) in inputs) Approx.Equal(f["grad." + name], x.Grad!, GradTol, $"gradient of {name}");
        int compared = 0;
        foreach (var (name, p) in m.NamedParameters())
            if (f.TryGetValue("grad." + name, out var g))
            {
                Approx.Equal(g, p.Grad!, GradTol, $"gradient of {name}");
                compared++;
            }
        Assert.True(compared >= atLeast, $"only {compared} parameter gradients compared");
    }

    [Fact]
    public void MultiheadAttentionBatchFirstWithBothMasksAndWeights()
    {
        var mha = new MultiheadAttention(8, 2, batchFirst: true);
        var f = Load(mha, "mha_batch_first");
        var (q, k, v) = (In(f, "query"), In(f, "key"), In(f, "value"));
        var (y, w) = mha.Call(q, k, v, keyPaddingMask: f["key_padding_mask"], attnMask: f["attn_mask"]);
        Approx.Equal(f["output"], y, OutTol, "output");
        Approx.Equal(f["weights"], w!, OutTol, "weights");
        ((y * f["coef"]).Sum() + (w! * f["coef_weights"]).Sum()).Backward();
        CheckGrads(mha, f, 4, ("query", q), ("key", k), ("value", v));
        // The same output without the weights (the ScaledDotProductAttention path).
        var y2 = mha.Call(f["query"], f["key"], f["value"], keyPaddingMask: f["key_padding_mask"], needWeights: false, attnMask: f["attn_mask"]);
        Assert.Null(y2.Weights);
        Approx.Equal(f["output"], y2.Output, OutTol, "output without weights");
    }

    [Fact]
    public void MultiheadAttentionWithKdimAndBoolAttnMaskWithoutWeights()
    {
        var mha = new MultiheadAttention(8, 2, kdim: 6, vdim: 6);
        Assert.Null(mha.InProjWeight);
        var f = Load(mha, "mha_kdim");
        var (q, k, v) = (In(f, "query"), In(f, "key"), In(f, "value"));
        var (y, w) = mha.Call(q, k, v, needWeights: false, attnMask: f["attn_mask"]);
        Assert.Null(w);
        Approx.Equal(f["output"], y, OutTol, "output");
        (y * f["coef"]).Sum().Backward();
        CheckGrads(mha, f, 6, ("query", q), ("key", k), ("value", v));
    }

    [Theory]
    [InlineData("encoder_layer_relu", TransformerActivation.Relu)]
    [InlineData("encoder_layer_gelu", TransformerActivation.Gelu)]
    public void EncoderLayerPostNorm(string fixture, TransformerActivation activation)
    {
        var layer = new TransformerEncoderLayer(8, 2, 16, activation: activation);
        var f = Load(layer, fixture);
        var src = In(f, "src");
        var y = layer.Call(src, f["src_mask"], f["src_key_padding_mask"]);
        Approx.Equal(f["output"], y, OutTol, "output");
        (y * f["coef"]).Sum().Backward();
        CheckGrads(layer, f, 12, ("src", src));
    }

    [Fact]
    public void EncoderLayerNormFirstBatchFirst()
    {
        var layer = new TransformerEncoderLayer(8, 2, 16, normFirst: true, batchFirst: true);
        var f = Load(layer, "encoder_layer_norm_first");
        var src = In(f, "src");
        var y = layer.Call(src, srcKeyPaddingMask: f["src_key_padding_mask"]);
        Approx.Equal(f["output"], y, OutTol, "output");
        (y * f["coef"]).Sum().Backward();
        CheckGrads(layer, f, 12, ("src", src));
    }

    [Fact]
    public void DecoderLayerWithCausalTargetMaskAndMemoryPadding()
    {
        var layer = new TransformerDecoderLayer(8, 2, 16);
        var f = Load(layer, "decoder_layer");
        var (tgt, memory) = (In(f, "tgt"), In(f, "memory"));
        var y = layer.Call(tgt, memory, tgtMask: f["tgt_mask"], memoryKeyPaddingMask: f["memory_key_padding_mask"]);
        Approx.Equal(f["output"], y, OutTol, "output");
        (y * f["coef"]).Sum().Backward();
        CheckGrads(layer, f, 5, ("tgt", tgt), ("memory", memory));
        Approx.Equal(f["tgt_mask"], Transformer.GenerateSquareSubsequentMask(3), 0, "generate_square_subsequent_mask");
    }

    [Fact]
    public void SmallTransformerTwoPlusTwoLayers()
    {
        var model = new Transformer(16, 2, 2, 2, 32);
        var f = Load(model, "transformer_small");
        var (src, tgt) = (In(f, "src"), In(f, "tgt"));
        var kpm = f["src_key_padding_mask"];
        var y = model.Call(src, tgt, tgtMask: f["tgt_mask"], srcKeyPaddingMask: kpm, memoryKeyPaddingMask: kpm);
        Approx.Equal(f["output"], y, OutTol, "output");
        (y * f["coef"]).Sum().Backward();
        CheckGrads(model, f, 6, ("src", src), ("tgt", tgt));
    }
}
