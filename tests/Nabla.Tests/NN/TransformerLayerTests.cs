using Nabla.NN;
using Nabla.Tests.TestUtil;

namespace Nabla.Tests.NN;

/// <summary>Transformer layers and stacks by hand: names, clones, masks, errors, compiled against eager.</summary>
public class TransformerLayerTests
{
    [Fact]
    public void EncoderLayerHasPyTorchsChildNames()
    {
        var layer = new TransformerEncoderLayer(8, 2, 16, seed: 0);
        Assert.Equal(["self_attn", "linear1", "dropout", "linear2", "norm1", "norm2", "dropout1", "dropout2"], layer.NamedChildren().Select(c => c.Name).ToArray());
        var dec = new TransformerDecoderLayer(8, 2, 16, seed: 0);
        Assert.Equal(["self_attn", "multihead_attn", "linear1", "dropout", "linear2", "norm1", "norm2", "norm3", "dropout1", "dropout2", "dropout3"],
            dec.NamedChildren().Select(c => c.Name).ToArray());
        var noBias = new TransformerEncoderLayer(8, 2, 16, bias: false, seed: 0);
        Assert.DoesNotContain(noBias.StateDict().Keys, k => k.EndsWith("bias", StringComparison.Ordinal));
        Assert.Contains("norm1.weight", noBias.StateDict().Keys);
    }

    [Fact]
    public void StacksCopyTheTemplateAsPyTorchDoes()
    {
        var template = new TransformerEncoderLayer(8, 2, 16, seed: 1);
        var enc = new TransformerEncoder(template, 3, new LayerNorm(8));
        Assert.Contains("layers.2.self_attn.in_proj_weight", enc.StateDict().Keys);
        Assert.Contains("norm.weight", enc.StateDict().Keys);
        Assert.DoesNotContain(enc.Parameters(), p => template.Parameters().Any(t => ReferenceEquals(t, p)));   // copies, not the template's
        var l0 = (TransformerEncoderLayer)enc.Layers[0];
        var l2 = (TransformerEncoderLayer)enc.Layers[2];
        Assert.NotSame(l0.Linear1.Weight, l2.Linear1.Weight);
        Assert.Equal(template.Linear1.Weight.ToArray<float>(), l2.Linear1.Weight.ToArray<float>());   // deepcopy: same start
        var byFactory = new TransformerEncoder(i => new TransformerEncoderLayer(8, 2, 16, seed: 10 + i), 2);
        Assert.Null(byFactory.Norm);
        Assert.NotEqual(((TransformerEncoderLayer)byFactory.Layers[0]).Linear1.Weight.ToArray<float>(),
            ((TransformerEncoderLayer)byFactory.Layers[1]).Linear1.Weight.ToArray<float>());

        // The stack is its layers in turn, then the norm.
        enc.Eval();
        var x = Tensor.Randn([5, 2, 8], seed: 2);
        var kpm = Tensor.FromArray(new[] { false, false, false, true, true, false, false, false, false, false }, [2, 5]);
        var h = x;
        foreach (var layer in enc.Layers) h = ((TransformerEncoderLayer)layer).Call(h, srcKeyPaddingMask: kpm);
        Approx.Equal(enc.Norm!.Call(h), enc.Call(x, srcKeyPaddingMask: kpm), 1e-6, "stack");
    }

    [Fact]
    public void TrainingDropoutIsSeededAndOffInEval()
    {
        var x = Tensor.Randn([5, 2, 8], seed: 20);
        TransformerEncoderLayer Make() => new(8, 2, 16, dropout: 0.5, seed: 21);
        var (a, b) = (Make(), Make());
        var ya = a.Call(x);
        Approx.Equal(ya, b.Call(x), 0, "same seed, same dropout masks");
        a.Eval();
        var ye = a.Call(x);
        Assert.NotEqual(ye.ToArray<float>(), ya.ToArray<float>());
        Approx.Equal(ye, new TransformerEncoderLayer(8, 2, 16, dropout: 0, seed: 21).Call(x), 1e-6, "eval: no dropout");
        // A stack of copies of a seeded template is reproducible too (each copy draws from its own stream).
        var stack = new TransformerEncoder(Make(), 2);
        Approx.Equal(stack.Call(x), new TransformerEncoder(Make(), 2).Call(x), 0, "stacks from the same seed");
    }

    [Fact]
    public void GenerateSquareSubsequentMaskIsZeroOnAndBelowTheDiagonal()
    {
        var m = Transformer.GenerateSquareSubsequentMask(3).ToArray<float>();
        float inf = float.NegativeInfinity;
        Assert.Equal([0, inf, inf, 0, 0, inf, 0, 0, 0], m);
        Assert.Equal(DType.Float64, Transformer.GenerateSquareSubsequentMask(2, DType.Float64).DType);
    }

    [Fact]
    public void CausalFlagsEqualTheCausalMask()
    {
        var enc = new TransformerEncoderLayer(8, 2, 16, batchFirst: true, seed: 3);
        enc.Eval();
        var x = Tensor.Randn([2, 4, 8], seed: 4);
        var mask = Transformer.GenerateSquareSubsequentMask(4);
        Approx.Equal(enc.Call(x, mask), enc.Call(x, isCausal: true), 1e-5, "encoder isCausal");
        var dec = new TransformerDecoderLayer(8, 2, 16, batchFirst: true, seed: 5);
        dec.Eval();
        var mem = Tensor.Randn([2, 6, 8], seed: 6);
        Approx.Equal(dec.Call(x, mem, tgtMask: mask), dec.Call(x, mem, tgtIsCausal: true), 1e-5, "decoder tgtIsCausal");
        // Causal: changing the last target position leaves the earlier outputs alone.
        var x2 = Tensor.Concat([x.Narrow(1, 0, 3), Tensor.Randn([2, 1, 8], seed: 7)], 1);
        Approx.Equal(dec.Call(x, mem, tgtIsCausal: true).Narrow(1, 0, 3), dec.Call(x2, mem, tgtIsCausal: true).Narrow(1, 0, 3), 1e-5, "no look-ahead");
    }

    [Fact]
    public void TransformerChecksItsInputs()
    {
        var model = new Transformer(8, 2, 1, 1, 16, seed: 0);
        var e = Assert.Throws<ArgumentException>(() => model.Call(Tensor.Randn(5, 2, 8), Tensor.Randn(4, 3, 8)));
        Assert.Contains("same batch size", e.Message);
        Assert.Contains("TransformerLayerTests.cs:", e.Message);
        e = Assert.Throws<ArgumentException>(() => model.Call(Tensor.Randn(5, 2, 6), Tensor.Randn(4, 2, 6)));
        Assert.Contains("dModel = 8", e.Message);
        Assert.Contains("TransformerLayerTests.cs:", e.Message);
        Assert.Equal([4, 2, 8], model.Call(Tensor.Randn(5, 2, 8), Tensor.Randn(4, 2, 8)).Shape.ToArray());
        model.Eval();
        Assert.Equal([4, 8], model.Call(Tensor.Randn(5, 8), Tensor.Randn(4, 8)).Shape.ToArray());   // unbatched
        // PyTorch's init: xavier_uniform_ on every matrix (bound √(6 / (fan_in + fan_out))).
        double bound = Math.Sqrt(6.0 / (8 + 16));
        Assert.All(model.Encoder.StateDict()["layers.0.linear1.weight"].ToArray<float>(), w => Assert.InRange(w, -bound, bound));
    }

    [Fact]
    public void CompiledEncoderLayerForwardAndBackwardEqualEager()
    {
        TransformerEncoderLayer Make() => (TransformerEncoderLayer)new TransformerEncoderLayer(8, 2, 16, activation: TransformerActivation.Gelu, batchFirst: true, seed: 8).Eval();
        var (eager, compiledLayer) = (Make(), Make());
        var kpm = Tensor.FromArray(new[] { false, false, false, true, false, false, false, false }, [2, 4]);
        var coef = Tensor.Randn([2, 4, 8], seed: 9);
        Func<Module, Func<Tensor, Tensor>> step = m => x =>
        {
            m.ZeroGrad();
            var loss = (((TransformerEncoderLayer)m).Call(x, srcKeyPaddingMask: kpm, isCausal: true) * coef).Sum();
            loss.Backward();
            return loss;
        };
        var compiled = Graph.Compile(step(compiledLayer));
        var run = step(eager);
        for (int i = 0; i < 2; i++)
        {
            var x = Tensor.Randn([2, 4, 8], seed: 10 + i);
            Approx.Equal(run(x), compiled.Call(x), 1e-5, "loss");
            var pe = eager.NamedParameters().ToList();
            var pc = compiledLayer.NamedParameters().ToList();
            for (int k = 0; k < pe.Count; k++) Approx.Equal(pe[k].Parameter.Grad!, pc[k].Parameter.Grad!, 1e-5, $"gradient of {pe[k].Name}");
        }
    }
}
