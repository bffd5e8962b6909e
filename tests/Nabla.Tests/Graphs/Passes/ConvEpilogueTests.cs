using F = Nabla.NN.Functional;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Primitives.Linalg;
using Nabla.Tests.Backends;

namespace Nabla.Tests.Graphs.Passes;

/// <summary>
/// Convolution epilogue fusion: Conv2d's GEMM, per-channel bias add and the activation on its reordering view become one
/// conv_epilogue op whose GEMM writes each image's block of the output and gets its bias and activation in cache. Results
/// are eager code's bits (float32 and float64, shapes that take the per-image path and ones that fall back to one GEMM,
/// 1 and 2 threads, inference and training steps over several calls); what must stay as traced stays; the op's
/// derivatives match finite differences.
/// </summary>
[Collection(CpuStateCollection.Name)]
public partial class ConvEpilogueTests
{
    static long[] Bits(Tensor t) => t.DType == DType.Float32
        ? [.. t.ToArray<float>().Select(v => (long)BitConverter.SingleToInt32Bits(v))]
        : [.. t.ToArray<double>().Select(BitConverter.DoubleToInt64Bits)];

    static Tensor Data(int seed, int[] shape, DType dtype, bool requiresGrad = false)
    {
        var rng = new Random(seed);
        int count = shape.Aggregate(1, (a, b) => a * b);
        var values = new double[count];
        for (int i = 0; i < count; i++) values[i] = rng.NextDouble() * 4 - 2;
        var t = Tensor.FromArray(values, shape).To(dtype);
        t.RequiresGrad = requiresGrad;
        return t;
    }

    static readonly Func<Tensor, Tensor>[] Activations = [h => h, h => h.Relu(), h => h.Gelu(), h => h.Tanh(), h => h.Sigmoid()];

    public static TheoryData<int, int, int, int, int, int, DType> Cases()
    {
        var data = new TheoryData<int, int, int, int, int, int, DType>();
        // (batch, in channels, out channels, size, padding, activation); a 1x1 output (L = 1) and one output channel fall
        // back to one GEMM; 70 images of 8 channels span several blocks of images.
        foreach (var (b, c, o, size, pad) in new[] { (2, 1, 4, 6, 1), (3, 2, 5, 5, 0), (1, 3, 6, 7, 1), (2, 3, 1, 4, 1), (3, 2, 4, 3, 0), (70, 2, 8, 9, 1) })
            for (int act = 0; act < Activations.Length; act++)
                data.Add(b, c, o, size, pad, act, (b + act) % 3 == 0 ? DType.Float64 : DType.Float32);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ConvBiasActivationIsEagersBits(int batch, int channels, int outChannels, int size, int padding, int act, DType dtype)
    {
        // Parameters that require grad, as a model's, in an inference call (grad off).
        var w = Data(1, [outChannels, channels, 3, 3], dtype, requiresGrad: true);
        var b = Data(2, [outChannels], dtype, requiresGrad: true);
        var activation = Activations[act];
        Tensor Layer(Tensor x) => activation(F.Conv2d(x, w, b, padding: padding));
        using var noGrad = Autograd.NoGrad();
        var cf = Graph.Compile(Layer);
        foreach (int threads in new[] { 1, 2 })
            for (int call = 0; call < 2; call++)
            {
                var x = Data(10 + call, [batch, channels, size, size], dtype);
                CpuState.WithThreads(threads, () =>
                {
                    Assert.Equal(Bits(Layer(x)), Bits(cf.Call(x)));
                    return 0;
                });
            }
        var text = cf.GraphFor(Data(0, [batch, channels, size, size], dtype));
        Assert.Contains("conv_epilogue", text);
        Assert.DoesNotContain("= add(", text);
        // With B, O or OH·OW of 1 only relu (exact on any run) fuses with the reorder; the others keep their own op.
        int outSize = size + 2 * padding - 2;
        bool reorderFused = act == 1 || act > 1 && batch >= 2 && outChannels >= 2 && outSize * outSize >= 2;
        Assert.Equal(act == 0 || !reorderFused, text.Contains("= permute("));
    }

    [Fact]
    public void ConvReluBecomesOneOp()
    {
        // One image, one input channel, two output channels, 2x2 kernel on 3x3: hand values below.
        var w = Tensor.FromArray(new float[] { 1, 0, 0, 1, 0, 1, -1, 0 }, [2, 1, 2, 2], requiresGrad: true);
        var b = Tensor.FromArray(new float[] { -5, 0.5f }, [2], requiresGrad: true);
        Tensor ConvRelu(Tensor x) => F.Conv2d(x, w, b).Relu();
        using var noGrad = Autograd.NoGrad();
        var cf = Graph.Compile(ConvRelu);
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, [1, 1, 3, 3]);
        // Channel 0: x[i,j] + x[i+1,j+1] - 5 = [1, 3, 7, 9] then relu -> [1, 3, 7, 9];
        // channel 1: x[i,j+1] - x[i+1,j] + 0.5 = [-1.5, -1.5, -1.5, -1.5] -> 0.
        Assert.Equal(new float[] { 1, 3, 7, 9, 0, 0, 0, 0 }, cf.Call(x).ToArray<float>());
        Assert.Equal("""
            graph ConvReluBecomesOneOp (lambda)(%0 x: [1, 1, 3, 3] float32)
              %3 = capture tensor : [2, 1, 2, 2] float32
              %7 = capture tensor : [2] float32
              %1 = unfold(%0) : [4, 1, 4] float32 [no_grad]
              %2 = reshape(%1) : [1, 4, 4] float32 [no_grad]
              %4 = reshape(%3) : [1, 2, 4] float32 [no_grad]
              %8 = reshape(%7) : [2, 1] float32 [no_grad]
              %13 = conv_epilogue(%4, %2, %8) : [1, 2, 2, 2] float32 [no_grad]
              return %13

            """.Replace("\r", ""), PassText.Ops(cf.GraphFor(x)));
        Assert.Contains("epilogue: fused 1 matmul(s) with their epilogue: [conv bias relu]", cf.Explain());
        var traced = PassText.Ops(cf.TracedGraphFor(x));
        Assert.Contains("%5 = matmul(%4, %2) : [1, 2, 4] float32 [no_grad]", traced);
        Assert.Contains("%12 = permute(%11) : [1, 2, 2, 2] float32 [no_grad]", traced);
        Assert.Contains("%13 = relu(%12) : [1, 2, 2, 2] float32 [no_grad]", traced);
    }

    [Fact]
    public void AConvWithoutActivationFusesItsBiasAndKeepsTheReorderView()
    {
        var w = Data(1, [6, 3, 3, 3], DType.Float32);
        var b = Data(2, [6], DType.Float32);
        Tensor Conv(Tensor x) => F.Conv2d(x, w, b, padding: 1) * 2;
        var cf = Graph.Compile(Conv, PassText.Unfused);
        // 40 x 40 images: 3,200 columns, several 512-column units and a wider last one.
        var x = Data(3, [2, 3, 40, 40], DType.Float32);
        Assert.Equal(Bits(Conv(x)), Bits(cf.Call(x)));
        var text = PassText.Ops(cf.GraphFor(x));
        Assert.Contains("= conv_epilogue(", text);
        Assert.Contains(": [6, 3200] float32", text);
        Assert.Contains("= permute(", text);
        Assert.Contains("[conv bias]", cf.Explain());
    }

    [Fact]
    public void BiasFirstAndGeneralLayoutsAreEagersBits()
    {
        // The chain written by hand with the bias first, in float64, over a transposed weight view.
        var wt = Data(1, [12, 5], DType.Float64);
        var bias = Data(2, [5, 1], DType.Float64);
        Tensor Chain(Tensor cols) =>
            (bias + wt.T.Unsqueeze(0).MatMul(cols).Reshape(5, 3 * 16)).Reshape(5, 3, 4, 4).Permute(1, 0, 2, 3).Tanh();
        var cf = Graph.Compile(Chain);
        var x = Data(3, [1, 12, 48], DType.Float64);
        Assert.Equal(Bits(Chain(x)), Bits(cf.Call(x)));
        Assert.Contains("conv_epilogue", cf.GraphFor(x));
    }

    [Fact]
    public void TrainingStepsGiveEagersParametersBitwise()
    {
        static Sequential Model() => new(
            new Conv2d(1, 4, 3, padding: 1, seed: 1), new ReLU(), new MaxPool2d(2),
            new Conv2d(4, 6, 3, padding: 1, seed: 2), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(6 * 2 * 2, 8, seed: 3), new ReLU(), new Linear(8, 3, seed: 4));
        Func<Tensor, Tensor, Tensor> Step(Module model)
        {
            var opt = new Adam(model.Parameters(), learningRate: 1e-2);
            return (x, target) =>
            {
                opt.ZeroGrad();
                var loss = F.CrossEntropy(model.Call(x), target);
                loss.Backward();
                opt.Step();
                return loss;
            };
        }
        var (eagerModel, compiledModel) = (Model(), Model());
        var (eager, compiled) = (Step(eagerModel), Graph.Compile(Step(compiledModel)));
        var labels = Tensor.FromArray(new long[] { 0, 2, 1, 1, 0 }, [5]);
        foreach (int threads in new[] { 1, 2, 1 })
            for (int call = 0; call < 2; call++)
            {
                var x = Data(20 + call + threads, [5, 1, 8, 8], DType.Float32);
                CpuState.WithThreads(threads, () =>
                {
                    Assert.Equal(Bits(eager(x, labels)), Bits(compiled.Call(x, labels)));
                    return 0;
                });
            }
        foreach (var (pe, pc) in eagerModel.Parameters().Zip(compiledModel.Parameters()))
            Assert.Equal(Bits(pe), Bits(pc));
        Assert.Equal(1, compiled.TraceCount);
        var explain = compiled.Explain();
        Assert.Contains("[conv bias relu], [conv bias relu]", explain);
        Assert.Contains("[matmul bias relu]", explain);
        // The second conv's input gradient is folded per image after its GEMM (the first conv's input needs none).
        Assert.Contains("folded 1 conv input gradient(s) per image after their GEMM", explain);
        // The backward masks each conv's relu gradient straight into the rows its weight gradient reads.
        Assert.Contains("masked 2 relu gradient(s) straight into conv gradient rows", explain);
        var text = compiled.GraphFor(Data(0, [5, 1, 8, 8], DType.Float32), labels);
        // Two conv relu gradients become rows; the linear layer's relu gradient stays as traced.
        Assert.Equal(2, text.Split("= relu_backward_rows(").Length - 1);
        Assert.Equal(1, text.Split("= relu_backward(").Length - 1);
    }

    [Fact]
    public void AGradientToTheCallerKeepsTheConvAsTraced()
    {
        // The caller differentiates the result: the forward records nodes, so nothing fuses; gradients are eager's.
        var w = Data(1, [4, 2, 3, 3], DType.Float32, requiresGrad: true);
        var b = Data(2, [4], DType.Float32, requiresGrad: true);
        Tensor Loss(Tensor x) => F.Conv2d(x, w, b, padding: 1).Relu().Sum();
        var cf = Graph.Compile(Loss);
        var x = Data(3, [2, 2, 5, 5], DType.Float32);
        var eager = Autograd.Grad([Loss(x)], [w, b]);
        var compiled = Autograd.Grad([cf.Call(x)], [w, b]);
        Assert.Equal(Bits(eager[0]!), Bits(compiled[0]!));
        Assert.Equal(Bits(eager[1]!), Bits(compiled[1]!));
        Assert.DoesNotContain("conv_epilogue", cf.GraphFor(x));
    }

    [Fact]
    public void GroupsAResultInsideTheChainAndTheSwitchKeepOpsAsTraced()
    {
        var x = Data(3, [2, 4, 5, 5], DType.Float32);
        var wg = Data(1, [4, 2, 3, 3], DType.Float32);
        var b = Data(2, [4], DType.Float32);
        // Two groups: a batched product of two matrices, not one GEMM.
        Tensor Grouped(Tensor t) => F.Conv2d(t, wg, b, groups: 2).Relu();
        var grouped = Graph.Compile(Grouped);
        Assert.Equal(Bits(Grouped(x)), Bits(grouped.Call(x)));
        Assert.DoesNotContain("conv_epilogue", grouped.GraphFor(x));

        // The pre-activation is a result: the bias fuses, the relu on the reorder stays its own op.
        var w = Data(5, [3, 4, 3, 3], DType.Float32);
        var b3 = Data(6, [3], DType.Float32);
        var both = Graph.Compile((Tensor[] t) => { var z = F.Conv2d(t[0], w, b3); return new[] { z, z.Relu() }; });
        var got = both.Call([x]);
        var z = F.Conv2d(x, w, b3);
        Assert.Equal(Bits(z), Bits(got[0]));
        Assert.Equal(Bits(z.Relu()), Bits(got[1]));
        var text = both.GraphFor([x]);
        Assert.Contains("conv_epilogue", text);
        Assert.Contains("= relu(", text);

        Tensor Layer(Tensor t) => F.Conv2d(t, w, b3).Relu();
        var off = Graph.Compile(Layer, new CompileOptions { Passes = GraphPasses.All & ~GraphPasses.Epilogues });
        Assert.Equal(Bits(Layer(x)), Bits(off.Call(x)));
        Assert.DoesNotContain("conv_epilogue", off.GraphFor(x));
    }

    [Theory]
    [InlineData(0, false, false)]
    [InlineData(1, true, true)]
    [InlineData(2, false, true)]
    [InlineData(3, true, true)]
    [InlineData(4, false, true)]
    public void TheFusedPrimitivesDerivativesMatchFiniteDifferences(int activationIndex, bool biasFirst, bool images)
    {
        var activation = (EpilogueActivation)activationIndex;
        // O = 3, K = 4, B = 2 images of 2 x 3 (N = 12).
        var op = new ConvEpilogue(biasFirst, activation, images, 2, 2, 3);
        Tensor[] inputs = [Data(1, [1, 3, 4], DType.Float64, true), Data(2, [1, 4, 12], DType.Float64, true), Data(3, [3, 1], DType.Float64, true)];
        Assert.True(GradCheck.Check(xs => Nabla.Engine.Dispatch.Call(op, xs), inputs));
        var tangents = inputs.Select((t, i) => Data(10 + i, t.Shape.ToArray(), DType.Float64)).ToArray();
        var y = Nabla.Engine.Dispatch.Call(op, inputs);
        Assert.Equal(images ? new[] { 2, 3, 2, 3 } : new[] { 3, 12 }, y.Shape.ToArray());
        var grads = Autograd.Grad([(y * Data(20, y.Shape.ToArray(), DType.Float64)).Sum()], inputs);
        var weights = Data(20, y.Shape.ToArray(), DType.Float64);
        double reverse = grads.Select((g, i) => (g! * tangents[i]).Sum().Item<double>()).Sum();
        using var acc = new ForwardAccumulator(inputs, tangents);
        double forward = (acc.Jvp(Nabla.Engine.Dispatch.Call(op, inputs))! * weights).Sum().Item<double>();
        Assert.Equal(reverse, forward, 1e-10);
        // The kernel against the reference.
        var reference = op.Reference([.. inputs.Select(Nabla.Backends.Reference.RefArray.From)]);
        var got = y.ToArray<double>();
        for (int i = 0; i < got.Length; i++) Assert.Equal(reference.Data[i], got[i], 1e-12);
    }
}
