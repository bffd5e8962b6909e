using Nabla.NN;

namespace Nabla.Tests.Graphs.Passes;

/// <summary>Dynamic-batch fusion of row and elementwise chains (softmax, log-softmax, layer norm, GELU) and of inference layers' epilogues.</summary>
public partial class DynamicFusionTests
{
    static Tensor Softmax(Tensor x)
    {
        var e = (x - x.Max(-1, keepDim: true)).Exp();
        return e / e.Sum(-1, keepDim: true);
    }

    static Tensor LogSoftmax(Tensor x)
    {
        var s = x - x.Max(-1, keepDim: true);
        return s - s.Exp().Sum(-1, keepDim: true).Log();
    }

    static Tensor LayerNorm(Tensor x)
    {
        var d = x - x.Mean(-1, keepDim: true);
        return d / ((d * d).Mean(-1, keepDim: true) + 1e-5f).Sqrt();
    }

    static Tensor Gelu(Tensor x) => 0.5f * x * (1.0f + ((x + 0.044715f * x * x * x) * 0.7978846f).Tanh());

    public static TheoryData<string> Chains() => ["softmax", "log_softmax", "layer_norm", "gelu"];

    static Func<Tensor, Tensor> Chain(string name) => name switch
    {
        "softmax" => Softmax,
        "log_softmax" => LogSoftmax,
        "layer_norm" => LayerNorm,
        _ => Gelu,
    };

    [Theory]
    [MemberData(nameof(Chains))]
    public void ARowOrElementwiseChainIsOneFusedOpAtEveryBatchSize(string name)
    {
        var chain = Chain(name);
        var f = Graph.Compile(chain, Batch([null, 10]));
        AtEverySize(f, (n, i) =>
        {
            var x = Data(200 + i, n, 10);
            Assert.True(Bits(chain(x)).SequenceEqual(Bits(f.Call(x))), $"{name}, batch {n}: {f.Explain()}");
        });
        Assert.Equal(ChainGraphs[name], PassText.Ops(f.GraphFor(Data(0, 7, 10))));
    }

    static readonly Dictionary<string, string> ChainGraphs = new()
    {
        ["softmax"] =
            "# dynamic dims: x[0] = s0 (8 when traced)\n"
            + "graph Softmax(%0 x: [7, 10] float32)\n"
            + "  %7 = fused_rows(%0) : [7, 10] float32\n"
            + "  return %7\n",
        ["log_softmax"] =
            "# dynamic dims: x[0] = s0 (8 when traced)\n"
            + "graph LogSoftmax(%0 x: [7, 10] float32)\n"
            + "  %8 = fused_rows(%0) : [7, 10] float32\n"
            + "  return %8\n",
        ["layer_norm"] =
            "# dynamic dims: x[0] = s0 (8 when traced)\n"
            + "graph LayerNorm(%0 x: [7, 10] float32)\n"
            + "  %2 = size_of(%0) : [] int64\n"
            + "  %3 = cast(%2) : [] float32\n"
            + "  %4 = reshape(%3) : [1, 1] float32\n"
            + "  %11 = size_of(%0) : [] int64\n"
            + "  %12 = cast(%11) : [] float32\n"
            + "  %13 = reshape(%12) : [1, 1] float32\n"
            + "  %16 = full() : [] float32\n"
            + "  %17 = reshape(%16) : [1, 1] float32\n"
            + "  %22 = fused_rows(%0, %4, %13, %17) : [7, 10] float32\n"
            + "  return %22\n",
        ["gelu"] =
            "# dynamic dims: x[0] = s0 (8 when traced)\n"
            + "graph Gelu(%0 x: [7, 10] float32)\n"
            + "  %1 = full() : [] float32\n"
            + "  %2 = reshape(%1) : [1, 1] float32\n"
            + "  %3 = expand(%2) : [7, 10] float32\n"
            + "  %5 = full() : [] float32\n"
            + "  %6 = reshape(%5) : [1, 1] float32\n"
            + "  %7 = expand(%6) : [7, 10] float32\n"
            + "  %12 = full() : [] float32\n"
            + "  %13 = reshape(%12) : [1, 1] float32\n"
            + "  %14 = expand(%13) : [7, 10] float32\n"
            + "  %17 = full() : [] float32\n"
            + "  %18 = reshape(%17) : [1, 1] float32\n"
            + "  %19 = expand(%18) : [7, 10] float32\n"
            + "  %21 = fused_elementwise(%3, %0, %7, %14, %19) : [7, 10] float32\n"
            + "  return %21\n",
    };

    public static TheoryData<string> Layers() => ["linear_gelu_residual", "conv_bias", "conv_bias_tanh"];

    [Theory]
    [MemberData(nameof(Layers))]
    public void AnInferenceLayerKeepsItsEpilogueAtEveryBatchSize(string name)
    {
        // A residual after the activation; a conv whose bias add alone is fused ([O, B·L], its reorder stays a view); a
        // conv with an activation written straight into [B, O, OH, OW] (the batch rebuilt per size).
        var linear = new Linear(16, 16, seed: 7);
        var conv = new Conv2d(3, 5, 3, padding: 1, seed: 8);
        Func<Tensor, Tensor> layer = name switch
        {
            "linear_gelu_residual" => x => linear.Call(x).Gelu() + x,
            "conv_bias" => x => conv.Call(x),
            _ => x => conv.Call(x).Tanh(),
        };
        int[] item = name == "linear_gelu_residual" ? [16] : [3, 5, 5];
        using var noGrad = Autograd.NoGrad();
        var f = Graph.Compile(layer, Batch([null, .. item.Select(d => (int?)d)]));
        AtEverySize(f, (n, i) =>
        {
            var x = Data(300 + i, [n, .. item]);
            Assert.True(Bits(layer(x)).SequenceEqual(Bits(f.Call(x))), $"{name}, batch {n}: {f.Explain()}");
        });
        Assert.Equal(LayerGraphs[name], PassText.Ops(f.GraphFor(Data(0, [7, .. item]))));
    }

    static readonly Dictionary<string, string> LayerGraphs = new()
    {
        ["linear_gelu_residual"] =
            "# dynamic dims: x[0] = s0 (8 when traced)\n"
            + "graph AnInferenceLayerKeepsItsEpilogueAtEveryBatchSize (lambda)(%0 x: [7, 16] float32)\n"
            + "  %1 = capture Variable 'weight' : [16, 16] float32\n"
            + "  %4 = capture Variable 'bias' : [16] float32\n"
            + "  %2 = permute(%1) : [16, 16] float32 [no_grad]\n"
            + "  %5 = reshape(%4) : [1, 16] float32 [no_grad]\n"
            + "  %9 = matmul_epilogue(%0, %2, %5, %0) : [7, 16] float32 [no_grad]\n"
            + "  return %9\n",
        ["conv_bias"] =
            "# dynamic dims: x[0] = s0 (8 when traced)\n"
            + "graph AnInferenceLayerKeepsItsEpilogueAtEveryBatchSize (lambda)(%0 x: [7, 3, 5, 5] float32)\n"
            + "  %3 = capture Variable 'weight' : [5, 3, 3, 3] float32\n"
            + "  %7 = capture Variable 'bias' : [5] float32\n"
            + "  %1 = unfold(%0) : [27, 7, 25] float32 [no_grad]\n"
            + "  %2 = reshape(%1) : [1, 27, 175] float32 [no_grad]\n"
            + "  %4 = reshape(%3) : [1, 5, 27] float32 [no_grad]\n"
            + "  %8 = reshape(%7) : [5, 1] float32 [no_grad]\n"
            + "  %10 = conv_epilogue(%4, %2, %8) : [5, 175] float32 [no_grad]\n"
            + "  %11 = reshape(%10) : [5, 7, 5, 5] float32 [no_grad]\n"
            + "  %12 = permute(%11) : [7, 5, 5, 5] float32 [no_grad]\n"
            + "  return %12\n",
        ["conv_bias_tanh"] =
            "# dynamic dims: x[0] = s0 (8 when traced)\n"
            + "graph AnInferenceLayerKeepsItsEpilogueAtEveryBatchSize (lambda)(%0 x: [7, 3, 5, 5] float32)\n"
            + "  %3 = capture Variable 'weight' : [5, 3, 3, 3] float32\n"
            + "  %7 = capture Variable 'bias' : [5] float32\n"
            + "  %1 = unfold(%0) : [27, 7, 25] float32 [no_grad]\n"
            + "  %2 = reshape(%1) : [1, 27, 175] float32 [no_grad]\n"
            + "  %4 = reshape(%3) : [1, 5, 27] float32 [no_grad]\n"
            + "  %8 = reshape(%7) : [5, 1] float32 [no_grad]\n"
            + "  %13 = conv_epilogue(%4, %2, %8) : [7, 5, 5, 5] float32 [no_grad]\n"
            + "  return %13\n",
    };
}
