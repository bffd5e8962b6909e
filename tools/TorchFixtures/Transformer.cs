// Fixtures for Nabla's MultiheadAttention and transformer layers (tests/Nabla.Tests/NN/TransformerTorchTests.cs). libtorch's
// C++ modules (what TorchSharp wraps) are sequence-first and post-norm only: batch-first fixtures transpose around them,
// and the norm-first encoder layer is composed here from libtorch's MultiheadAttention, Linear and LayerNorm modules
// following PyTorch's TransformerEncoderLayer definition (x + sa(norm1(x)); x + ff(norm2(x))).
// Every fixture holds the state dict under PyTorch's names, the inputs, the output(s), "coef" (the scalar of the
// gradients is sum(output * coef)) and "grad.<name>" for the inputs and every parameter.
using static TorchSharp.torch;

namespace TorchFixtures
{
    static partial class Generators
    {
        static void SaveParams(Dictionary<string, Tensor> t, IEnumerable<(string Name, TorchSharp.Modules.Parameter P)> ps, string prefix = "")
        {
            foreach (var (n, p) in ps)
                if (p is not null && !p.IsInvalid && p.numel() > 0) t[prefix + n] = p.detach().clone();
        }

        static void SaveGrads(Dictionary<string, Tensor> t, IEnumerable<(string Name, TorchSharp.Modules.Parameter P)> ps, string prefix = "", string[]? only = null)
        {
            foreach (var (n, p) in ps)
                if ((only is null || only.Contains(prefix + n)) && p is not null && !p.IsInvalid && p.numel() > 0 && p.grad is { } g) t["grad." + prefix + n] = g.detach().clone();
        }

        /// <summary>PyTorch's generate_square_subsequent_mask: 0 on and below the diagonal, -inf above.</summary>
        static Tensor CausalMask(long n) => zeros(n, n).masked_fill(ones(n, n, ScalarType.Bool).triu(1), double.NegativeInfinity);

        static Tensor Input(Dictionary<string, Tensor> t, string name, params long[] shape)
        {
            var x = randn(shape).requires_grad_(true);
            t[name] = x.detach().clone();
            return x;
        }

        static Tensor Objective(Dictionary<string, Tensor> t, Tensor output, string name = "coef")
        {
            var coef = randn(output.shape);
            t[name] = coef;
            return (output * coef).sum();
        }

        /// <summary>MHA(8, 2) batch first ([N, L, E] transposed around libtorch), bool key padding mask, float attn mask, weights.</summary>
        static void MhaBatchFirst(Dictionary<string, Tensor> t)
        {
            manual_seed(1);
            var mha = nn.MultiheadAttention(8, 2);
            mha.eval();
            SaveParams(t, mha.named_parameters());
            var q = Input(t, "query", 2, 3, 8);
            var k = Input(t, "key", 2, 5, 8);
            var v = Input(t, "value", 2, 5, 8);
            var kpm = tensor(new bool[] { false, false, false, true, true, false, false, false, false, true }, [2, 5]);
            var am = randn(3, 5);
            t["key_padding_mask"] = kpm;
            t["attn_mask"] = am;
            var (y, w) = mha.call(q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1), kpm, true, am);
            var output = y.transpose(0, 1);
            t["output"] = output.detach().clone();
            t["weights"] = w.detach().clone();
            var s = Objective(t, output) + Objective(t, w, "coef_weights");
            s.backward();
            t["grad.query"] = q.grad!.clone(); t["grad.key"] = k.grad!.clone(); t["grad.value"] = v.grad!.clone();
            SaveGrads(t, mha.named_parameters());
        }

        /// <summary>MHA(8, 2, kdim = vdim = 6: libtorch C++ needs equal key and value sizes) sequence first, attn mask [L, S] (saved bool), need_weights false.</summary>
        static void MhaKdim(Dictionary<string, Tensor> t)
        {
            manual_seed(2);
            var mha = nn.MultiheadAttention(8, 2, kdim: 6, vdim: 6);
            mha.eval();
            SaveParams(t, mha.named_parameters());
            var q = Input(t, "query", 4, 2, 8);
            var k = Input(t, "key", 3, 2, 6);
            var v = Input(t, "value", 3, 2, 6);
            var am = tensor(new bool[] { false, true, true, false, false, true, false, false, false, true, false, false }, [4, 3]);
            t["attn_mask"] = am;
            // libtorch's C++ MultiheadAttention adds a bool attn_mask to the scores instead of masking where it is true (as
            // PyTorch documents and its Python module does): it gets the float form (-inf where true), Nabla the bool one.
            var (y, _) = mha.call(q, k, v, null, false, zeros(4, 3).masked_fill(am, double.NegativeInfinity));
            t["output"] = y.detach().clone();
            Objective(t, y).backward();
            t["grad.query"] = q.grad!.clone(); t["grad.key"] = k.grad!.clone(); t["grad.value"] = v.grad!.clone();
            SaveGrads(t, mha.named_parameters());
        }

        /// <summary>libtorch's TransformerEncoderLayer(8, 2, 16), post-norm, relu or gelu, eval, with masks.</summary>
        static void EncoderLayer(Dictionary<string, Tensor> t, bool gelu)
        {
            manual_seed(gelu ? 4 : 3);
            var layer = nn.TransformerEncoderLayer(8, 2, 16, 0.1, gelu ? nn.Activations.GELU : nn.Activations.ReLU);
            layer.eval();
            SaveParams(t, layer.named_parameters());
            var x = Input(t, "src", 4, 2, 8);
            var mask = randn(4, 4);
            var kpm = tensor(new bool[] { false, false, false, true, false, false, false, false }, [2, 4]);
            t["src_mask"] = mask; t["src_key_padding_mask"] = kpm;
            var y = layer.call(x, mask, kpm);
            t["output"] = y.detach().clone();
            Objective(t, y).backward();
            t["grad.src"] = x.grad!.clone();
            SaveGrads(t, layer.named_parameters());
        }

        static void EncoderLayerRelu(Dictionary<string, Tensor> t) => EncoderLayer(t, false);

        static void EncoderLayerGelu(Dictionary<string, Tensor> t) => EncoderLayer(t, true);

        /// <summary>
        /// A norm-first encoder layer (8, 2, 16, relu) composed of libtorch modules under PyTorch's names (libtorch's C++
        /// TransformerEncoderLayer has no norm_first), eval, with a key padding mask.
        /// </summary>
        static void EncoderLayerNormFirst(Dictionary<string, Tensor> t)
        {
            manual_seed(5);
            var sa = nn.MultiheadAttention(8, 2);
            var l1 = nn.Linear(8, 16);
            var l2 = nn.Linear(16, 8);
            var n1 = nn.LayerNorm(8);
            var n2 = nn.LayerNorm(8);
            // Non-trivial norm affine parameters, so a swap of norm1/norm2 would show.
            using (no_grad()) { n1.weight!.add_(randn(8) * 0.1); n1.bias!.add_(randn(8) * 0.1); n2.weight!.add_(randn(8) * 0.1); n2.bias!.add_(randn(8) * 0.1); }
            var mods = new (string, nn.Module)[] { ("self_attn.", sa), ("linear1.", l1), ("linear2.", l2), ("norm1.", n1), ("norm2.", n2) };
            foreach (var (p, m) in mods) SaveParams(t, m.named_parameters(), p);
            var x = Input(t, "src", 2, 4, 8);   // batch first
            var kpm = tensor(new bool[] { false, false, true, true, false, false, false, false }, [2, 4]);
            t["src_key_padding_mask"] = kpm;
            var xs = x.transpose(0, 1);
            var h = n1.call(xs);
            var a = sa.call(h, h, h, kpm, false, null).Item1;
            xs = xs + a;
            xs = xs + l2.call(nn.functional.relu(l1.call(n2.call(xs))));
            var y = xs.transpose(0, 1);
            t["output"] = y.detach().clone();
            Objective(t, y).backward();
            t["grad.src"] = x.grad!.clone();
            foreach (var (p, m) in mods) SaveGrads(t, m.named_parameters(), p);
        }

        /// <summary>libtorch's TransformerDecoderLayer(8, 2, 16), eval, causal tgt mask and memory key padding mask.</summary>
        static void DecoderLayer(Dictionary<string, Tensor> t)
        {
            manual_seed(6);
            var layer = nn.TransformerDecoderLayer(8, 2, 16, 0.1);
            layer.eval();
            SaveParams(t, layer.named_parameters());
            var tgt = Input(t, "tgt", 3, 2, 8);
            var mem = Input(t, "memory", 5, 2, 8);
            var tgtMask = CausalMask(3);
            var mkpm = tensor(new bool[] { false, false, false, false, true, false, false, false, true, true }, [2, 5]);
            t["tgt_mask"] = tgtMask; t["memory_key_padding_mask"] = mkpm;
            var y = layer.call(tgt, mem, tgtMask, null, null, mkpm);
            t["output"] = y.detach().clone();
            Objective(t, y).backward();
            t["grad.tgt"] = tgt.grad!.clone(); t["grad.memory"] = mem.grad!.clone();
            SaveGrads(t, layer.named_parameters(), only: ["self_attn.in_proj_weight", "multihead_attn.in_proj_weight", "multihead_attn.out_proj.bias", "linear1.weight", "norm3.weight"]);
        }

        /// <summary>libtorch's Transformer(16, 2, 2 + 2 layers, 32), eval, causal tgt mask, src key padding mask (also as memory's).</summary>
        static void SmallTransformer(Dictionary<string, Tensor> t)
        {
            manual_seed(7);
            var model = nn.Transformer(16, 2, 2, 2, 32, 0.1);
            model.eval();
            SaveParams(t, model.named_parameters());
            var src = Input(t, "src", 5, 2, 16);
            var tgt = Input(t, "tgt", 4, 2, 16);
            var tgtMask = CausalMask(4);
            var kpm = tensor(new bool[] { false, false, false, false, true, false, false, false, false, false }, [2, 5]);
            t["tgt_mask"] = tgtMask; t["src_key_padding_mask"] = kpm;
            // libtorch's Transformer.call takes every mask: the unused ones are all-allowed (zeros / false), as absent.
            var y = model.call(src, tgt, zeros(5, 5), tgtMask, zeros(4, 5), kpm, zeros(2, 4, ScalarType.Bool), kpm);
            t["output"] = y.detach().clone();
            Objective(t, y).backward();
            t["grad.src"] = src.grad!.clone(); t["grad.tgt"] = tgt.grad!.clone();
            SaveGrads(t, model.named_parameters(), only: ["encoder.layers.0.self_attn.in_proj_weight", "encoder.layers.1.norm2.bias", "encoder.norm.weight",
                "decoder.layers.0.multihead_attn.in_proj_bias", "decoder.layers.1.linear1.weight", "decoder.norm.bias"]);
        }
    }
}
