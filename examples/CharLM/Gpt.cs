using Nabla.NN;

namespace Nabla.Examples.CharLM;

/// <summary>The shape of the model: stored in the checkpoint's metadata so that --sample can rebuild it.</summary>
sealed record GptConfig(int VocabSize, int Context, int Layers, int Heads, int Width, double Dropout)
{
    public Dictionary<string, string> ToMetadata() => new()
    {
        ["vocab_size"] = VocabSize.ToString(), ["context"] = Context.ToString(), ["layers"] = Layers.ToString(),
        ["heads"] = Heads.ToString(), ["width"] = Width.ToString(),
    };

    public static GptConfig FromMetadata(IReadOnlyDictionary<string, string> m, string path)
    {
        int Get(string key) => m.TryGetValue(key, out var v) && int.TryParse(v, out int n) && n > 0 ? n
            : throw new InvalidDataException($"{path}: the checkpoint's metadata has no valid '{key}' (was it written by CharLM?)");
        return new GptConfig(Get("vocab_size"), Get("context"), Get("layers"), Get("heads"), Get("width"), 0);
    }
}

/// <summary>
/// Multi-head causal self-attention as nanoGPT writes it: one fused Linear gives q, k and v ([B, T, 3C]), the heads
/// are split off ([B, H, T, C/H]), <see cref="Functional.ScaledDotProductAttention"/> with isCausal lets each position
/// see itself and the past only, and a second Linear projects the heads back. State dict names: c_attn, c_proj.
/// </summary>
sealed class CausalSelfAttention : Module
{
    readonly Linear cAttn, cProj;
    readonly Dropout residDropout;
    readonly int heads;
    readonly double dropout;

    public CausalSelfAttention(GptConfig c, int seed)
    {
        cAttn = RegisterModule("c_attn", new Linear(c.Width, 3 * c.Width, seed: seed));
        cProj = RegisterModule("c_proj", new Linear(c.Width, c.Width, seed: seed + 1));
        residDropout = RegisterModule("resid_dropout", new Dropout(c.Dropout));
        (heads, dropout) = (c.Heads, c.Dropout);
    }

    public Linear Projection => cProj;

    public override Tensor Forward(Tensor x)   // x: [B, T, C]
    {
        int b = x.Shape[0], t = x.Shape[1], width = x.Shape[2];
        var qkv = cAttn.Call(x).Split(width, 2);
        Tensor Heads(Tensor y) => y.Reshape(b, t, heads, width / heads).Transpose(1, 2);   // [B, H, T, C/H]
        var y = Functional.ScaledDotProductAttention(Heads(qkv[0]), Heads(qkv[1]), Heads(qkv[2]),
            dropoutP: IsTraining ? dropout : 0, isCausal: true);
        return residDropout.Call(cProj.Call(y.Transpose(1, 2).Reshape(b, t, width)));
    }
}

/// <summary>The feed-forward part of a block: Linear(C, 4C), GELU, Linear(4C, C). State dict names: c_fc, c_proj.</summary>
sealed class Mlp : Module
{
    readonly Linear cFc, cProj;
    readonly GELU gelu;
    readonly Dropout dropout;

    public Mlp(GptConfig c, int seed)
    {
        cFc = RegisterModule("c_fc", new Linear(c.Width, 4 * c.Width, seed: seed));
        gelu = RegisterModule("gelu", new GELU());
        cProj = RegisterModule("c_proj", new Linear(4 * c.Width, c.Width, seed: seed + 1));
        dropout = RegisterModule("dropout", new Dropout(c.Dropout));
    }

    public Linear Projection => cProj;

    public override Tensor Forward(Tensor x) => dropout.Call(cProj.Call(gelu.Call(cFc.Call(x))));
}

/// <summary>A pre-norm residual block: x + attn(ln_1(x)), then x + mlp(ln_2(x)).</summary>
sealed class Block : Module
{
    readonly LayerNorm ln1, ln2;

    public Block(GptConfig c, int seed)
    {
        ln1 = RegisterModule("ln_1", new LayerNorm(c.Width));
        Attention = RegisterModule("attn", new CausalSelfAttention(c, seed));
        ln2 = RegisterModule("ln_2", new LayerNorm(c.Width));
        Mlp = RegisterModule("mlp", new Mlp(c, seed + 2));
    }

    public CausalSelfAttention Attention { get; }
    public Mlp Mlp { get; }

    public override Tensor Forward(Tensor x)
    {
        x = x + Attention.Call(ln1.Call(x));
        return x + Mlp.Call(ln2.Call(x));
    }
}

/// <summary>
/// A small GPT (nanoGPT's layout and state dict names): token and position embeddings (wte, wpe), dropout,
/// <see cref="GptConfig.Layers"/> pre-norm blocks (h.0, h.1, ...), a final LayerNorm (ln_f) and a language-model head
/// (lm_head, no bias; its own weight, not tied to wte). Input: token ids [B, T] (T at most the context);
/// output: logits [B, T, vocab]. Weights start as nanoGPT's: N(0, 0.02), biases 0, and the residual
/// projections (c_proj) N(0, 0.02/√(2·layers)), so the residual stream's variance does not grow with depth.
/// </summary>
sealed class Gpt : Module
{
    readonly Embedding wte, wpe;
    readonly Dropout drop;
    readonly ModuleList h;
    readonly LayerNorm lnF;
    readonly Linear lmHead;

    public Gpt(GptConfig c, int seed = 0)
    {
        Config = c;
        wte = RegisterModule("wte", new Embedding(c.VocabSize, c.Width, seed: seed));
        wpe = RegisterModule("wpe", new Embedding(c.Context, c.Width, seed: seed + 1));
        drop = RegisterModule("drop", new Dropout(c.Dropout));
        var blocks = Enumerable.Range(0, c.Layers).Select(i => new Block(c, seed + 10 * (i + 1))).ToList();
        h = RegisterModule("h", new ModuleList(blocks));
        lnF = RegisterModule("ln_f", new LayerNorm(c.Width));
        lmHead = RegisterModule("lm_head", new Linear(c.Width, c.VocabSize, bias: false, seed: seed + 2));

        int s = seed + 1000;
        using (Autograd.NoGrad())
        {
            foreach (var (name, p) in NamedParameters())
            {
                if (name.EndsWith(".bias", StringComparison.Ordinal) || name.StartsWith("ln_", StringComparison.Ordinal) ||
                    name.Contains(".ln_", StringComparison.Ordinal)) continue;   // LayerNorms keep 1 and 0, biases 0
                double std = name.EndsWith("c_proj.weight", StringComparison.Ordinal) ? 0.02 / Math.Sqrt(2.0 * c.Layers) : 0.02;
                Init.Normal(p, 0, std, seed: s++);
            }
            foreach (var (name, p) in NamedParameters())
                if (name.EndsWith(".bias", StringComparison.Ordinal) && !name.Contains("ln_", StringComparison.Ordinal)) Init.Zeros(p);
        }
    }

    public GptConfig Config { get; }

    public override Tensor Forward(Tensor ids)   // ids: [B, T] int64
    {
        int t = ids.Shape[1];
        if (t > Config.Context)
            throw new ArgumentException($"Gpt: the input has {t} positions but the model's context is {Config.Context}; keep the last {Config.Context} tokens.");
        var positions = Tensor.Arange(t, DType.Int64);
        var x = drop.Call(wte.Call(ids) + wpe.Call(positions));
        foreach (var block in h) x = block.Call(x);
        return lmHead.Call(lnF.Call(x));
    }
}
