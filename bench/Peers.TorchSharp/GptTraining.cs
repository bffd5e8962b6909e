using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Peers.TorchSharp;

/// <summary>
/// gpt_train_step on TorchSharp: the CharLM example's default model written with torch.nn (nanoGPT's layout: token and
/// position embeddings, 4 pre-norm blocks of causal self-attention with one fused qkv Linear and
/// scaled_dot_product_attention(is_causal), an MLP 4x wide with GELU, a final LayerNorm and a bias-free lm head;
/// width 128, 4 heads, context 128, vocabulary 65), batch 32: zero_grad, forward, cross-entropy, backward,
/// clip_grad_norm_(1.0), AdamW step (lr 2e-3, betas (0.9, 0.99), weight decay 0.1), eager (libtorch has no compiler
/// from .NET). The same token ids as Nabla.Bench (seeds 21 and 22).
/// </summary>
internal static class GptTraining
{
    const int Vocab = 65, Context = 128, Batch = 32, Layers = 4, Heads = 4, Width = 128;

    sealed class CausalSelfAttention : Module<Tensor, Tensor>
    {
        readonly Linear c_attn, c_proj;

        public CausalSelfAttention() : base("attn")
        {
            c_attn = Linear(Width, 3 * Width);
            c_proj = Linear(Width, Width);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            long b = x.shape[0], t = x.shape[1];
            var qkv = c_attn.call(x).split(Width, 2);
            Tensor H(Tensor y) => y.view(b, t, Heads, Width / Heads).transpose(1, 2);
            var y = functional.scaled_dot_product_attention(H(qkv[0]), H(qkv[1]), H(qkv[2]), is_casual: true);
            return c_proj.call(y.transpose(1, 2).contiguous().view(b, t, Width));
        }
    }

    sealed class Block : Module<Tensor, Tensor>
    {
        readonly LayerNorm ln_1, ln_2;
        readonly CausalSelfAttention attn;
        readonly Module<Tensor, Tensor> mlp;

        public Block() : base("block")
        {
            ln_1 = LayerNorm(Width);
            attn = new CausalSelfAttention();
            ln_2 = LayerNorm(Width);
            mlp = Sequential(Linear(Width, 4 * Width), GELU(), Linear(4 * Width, Width));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            x = x + attn.call(ln_1.call(x));
            return x + mlp.call(ln_2.call(x));
        }
    }

    sealed class Gpt : Module<Tensor, Tensor>
    {
        readonly Embedding wte, wpe;
        readonly ModuleList<Block> h;
        readonly LayerNorm ln_f;
        readonly Linear lm_head;

        public Gpt() : base("gpt")
        {
            wte = Embedding(Vocab, Width);
            wpe = Embedding(Context, Width);
            h = new ModuleList<Block>([.. Enumerable.Range(0, Layers).Select(_ => new Block())]);
            ln_f = LayerNorm(Width);
            lm_head = Linear(Width, Vocab, hasBias: false);
            RegisterComponents();
        }

        public override Tensor forward(Tensor ids)
        {
            var pos = arange(ids.shape[1], dtype: int64);
            var x = wte.call(ids) + wpe.call(pos);
            foreach (var block in h) x = block.call(x);
            return lm_head.call(ln_f.call(x));
        }
    }

    static long[] TokenData(int seed, int n)
    {
        var rng = new Random(seed);
        var data = new long[n];
        for (int i = 0; i < n; i++) data[i] = rng.Next(Vocab);
        return data;
    }

    public static void GptTrainStep(int threads, bool quick)
    {
        torch.manual_seed(1);
        var x = tensor(TokenData(21, Batch * Context), [Batch, Context]);
        var y = tensor(TokenData(22, Batch * Context), [Batch, Context]);
        var model = new Gpt();
        var parameters = model.parameters().ToList();
        var opt = torch.optim.AdamW(parameters, lr: 2e-3, beta1: 0.9, beta2: 0.99, weight_decay: 0.1);
        void Step()
        {
            opt.zero_grad();
            var loss = functional.cross_entropy(model.call(x).view(-1, Vocab), y.view(-1));
            loss.backward();
            torch.nn.utils.clip_grad_norm_(parameters, 1.0);
            opt.step();
        }
        int reps = quick ? 3 : 11;
        Harness.WarmUp(Step, minRuns: quick ? 2 : 3, minSeconds: quick ? 1 : 3);
        double seconds = Harness.Median(reps, Step);
        Harness.Report("gpt_train_step", "ms", seconds * 1e3, false,
            ("batch", Batch), ("context", Context), ("dtype", "float32"), ("optimizer", "adamw"), ("threads", threads), ("reps", reps));
    }
}
