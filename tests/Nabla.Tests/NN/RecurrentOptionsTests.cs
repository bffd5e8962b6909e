using Nabla.NN;
using Nabla.Optim;
using Nabla.Tests.TestUtil;

namespace Nabla.Tests.NN;

/// <summary>Recurrent layers' errors, printing, Summary, hooks, dropout and compiled training steps.</summary>
public class RecurrentOptionsTests
{
    const string File = "RecurrentOptionsTests.cs:";

    static void Throws(Action a, params string[] parts)
    {
        var e = Assert.Throws<ArgumentException>(a);
        Assert.Contains(File, e.Message);
        foreach (var p in parts) Assert.Contains(p, e.Message);
    }

    [Fact]
    public void BadInputsGiveErrorsNamingTheOpTheShapesAndTheCaller()
    {
        var lstm = new LSTM(3, 4, numLayers: 2);
        Throws(() => lstm.Call(Tensor.Zeros(2, 2, 2, 3)), "LSTM", "input must be [L, N, 3]", "[2, 2, 2, 3]");
        Throws(() => lstm.Call(Tensor.Zeros(5, 2, 7)), "LSTM", "[5, 2, 7]");
        Throws(() => lstm.Call(Tensor.Zeros(5, 2, 3), (Tensor.Zeros(1, 2, 4), Tensor.Zeros(2, 2, 4))), "h0 must be [2, 2, 4]", "[1, 2, 4]");
        Throws(() => lstm.Call(Tensor.Zeros(5, 2, 3), (Tensor.Zeros(2, 2, 4), Tensor.Zeros(2, 3, 4))), "c0 must be [2, 2, 4]");
        Throws(() => lstm.Call(Tensor.Zeros([5, 2, 3], DType.Float64)), "float64", "float32");
        Throws(() => lstm.Call(Tensor.Zeros(0, 2, 3)), "no time steps");
        var gru = new GRU(3, 4, batchFirst: true);
        Throws(() => gru.Call(Tensor.Zeros(2, 5, 3), lengths: Tensor.FromArray(new long[] { 5, 6 }, [2])), "GRU", "lengths[1] = 6", "1..5");
        Throws(() => gru.Call(Tensor.Zeros(2, 5, 3), lengths: Tensor.FromArray(new long[] { 0, 5 }, [2])), "lengths[0] = 0");
        Throws(() => gru.Call(Tensor.Zeros(2, 5, 3), lengths: Tensor.FromArray(new long[] { 5, 5, 5 }, [3])), "lengths must be int64 [2]");
        Throws(() => gru.Call(Tensor.Zeros(5, 3), lengths: Tensor.FromArray(new long[] { 5 }, [1])), "batched input");
        Throws(() => new RNN(3, 4, dropout: 1.5), "RNN", "dropout must be a probability in [0, 1], got 1.5");
        Throws(() => new GRU(3, 4, dropout: -0.1), "GRU", "dropout");
        Throws(() => new LSTM(3, 4, numLayers: 0), "numLayers must be at least 1");
        Throws(() => new LSTM(3, 4, projSize: 2), "projSize = 2", "not supported");
        Throws(() => new RNN(3, 4, nonlinearity: Nonlinearity.Sigmoid), "nonlinearity must be");
        Throws(() => Functional.LstmCell(Tensor.Zeros(2, 3), (Tensor.Zeros(2, 4), Tensor.Zeros(2, 4)), Tensor.Zeros(12, 3), Tensor.Zeros(16, 4)),
            "LstmCell", "weightIh must be [16, in]", "[12, 3]");
        Throws(() => Functional.GruCell(Tensor.Zeros(2, 3), Tensor.Zeros(3, 4), Tensor.Zeros(12, 3), Tensor.Zeros(12, 4)),
            "GruCell", "hidden state must be [2, 4]", "[3, 4]");
        Throws(() => new LSTMCell(3, 4).Call(Tensor.Zeros(2, 5)), "LstmCell", "input must be [N, 3]");
    }

    [Fact]
    public void ToStringIsPyTorchs()
    {
        Assert.Equal("LSTM(10, 20, num_layers=2, batch_first=True, bidirectional=True)",
            new LSTM(10, 20, numLayers: 2, batchFirst: true, bidirectional: true).ToString());
        Assert.Equal("GRU(3, 4, num_layers=2, bias=False, dropout=0.5)", new GRU(3, 4, numLayers: 2, bias: false, dropout: 0.5).ToString());
        Assert.Equal("RNN(3, 4)", new RNN(3, 4, nonlinearity: Nonlinearity.ReLU).ToString());
        Assert.Equal("RNNCell(3, 4, nonlinearity=relu)", new RNNCell(3, 4, nonlinearity: Nonlinearity.ReLU).ToString());
        Assert.Equal("LSTMCell(3, 4, bias=False)", new LSTMCell(3, 4, bias: false).ToString());
    }

    sealed class CharModel : Module
    {
        public readonly LSTM Lstm;
        public readonly Linear Head;

        public CharModel()
        {
            Lstm = RegisterModule("lstm", new LSTM(8, 16, seed: 1));
            Head = RegisterModule("head", new Linear(16, 8, seed: 2));
        }

        public override Tensor Forward(Tensor x)
        {
            var (y, _) = Lstm.Call(x);
            return Head.Call(y.Reshape(y.Shape[0] * y.Shape[1], 16));
        }
    }

    [Fact]
    public void SummaryListsTheLayerWithItsOutputShapeAndParameterCount()
    {
        var s = new CharModel().Summary(Tensor.Zeros(5, 2, 8));
        Assert.Equal(["", "lstm", "head"], s.Rows.Select(r => r.Path));
        Assert.Equal([5, 2, 16], s.Rows[1].OutputShape.ToArray());
        Assert.Equal(4 * 16 * (8 + 16 + 2), s.Rows[1].ParameterCount);   // weight_ih, weight_hh, two biases
        Assert.Equal([10, 8], s.Rows[2].OutputShape.ToArray());
    }

    [Fact]
    public void HooksSeeEveryInputAndOutput()
    {
        var lstm = new LSTM(3, 4, seed: 0);
        var seen = new List<string>();
        using var hook = lstm.RegisterForwardArgsHook((_, args, outputs) =>
        {
            seen.Add($"{args.Count} inputs ({string.Join(", ", args.Select(a => a is null ? "null" : a.Shape.ToString()))}), {outputs.Count} outputs");
            return [outputs[0]!, outputs[1]!, outputs[2]! * 0];   // replaces c
        });
        var (_, (_, c)) = lstm.Call(Tensor.Randn(5, 2, 3));
        Assert.Equal(["4 inputs ([5, 2, 3], null, null, null), 3 outputs"], seen);
        Assert.All(c.ToArray<float>(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void DropoutActsBetweenLayersInTrainingOnlyAndIsSeeded()
    {
        var x = Tensor.Randn([6, 3, 4], seed: 3);
        Tensor Out(LSTM m) => m.Call(x).Output;
        var plain = new LSTM(4, 5, numLayers: 2, seed: 7);
        var dropped = new LSTM(4, 5, numLayers: 2, dropout: 0.5, seed: 7);
        dropped.Eval();
        Approx.Equal(Out(plain), Out(dropped), 0, "eval mode ignores dropout");
        dropped.Train();
        var a = Out(dropped);
        Assert.NotEqual(Out(plain).ToArray<float>(), a.ToArray<float>());
        Assert.Equal(a.ToArray<float>(), Out(new LSTM(4, 5, numLayers: 2, dropout: 0.5, seed: 7)).ToArray<float>());
        // One layer: nothing comes after it, so there is nothing to drop (PyTorch warns; here it is just the plain layer).
        Approx.Equal(Out(new LSTM(4, 5, seed: 7)), Out(new LSTM(4, 5, dropout: 0.5, seed: 7)), 0, "single layer");
    }

    [Fact]
    public void CompiledLstmTrainingStepMatchesEagerAndTracesOnce()
    {
        Func<Tensor, Tensor, Tensor> StepOf(out Module model)
        {
            var lstm = new LSTM(4, 6, numLayers: 2, bidirectional: true, seed: 1);
            var head = new Linear(12, 3, seed: 2);
            var opt = new Adam([.. lstm.Parameters(), .. head.Parameters()], learningRate: 1e-2);
            model = lstm;
            return (x, labels) =>
            {
                opt.ZeroGrad();
                var (y, (h, _)) = lstm.Call(x);
                var loss = Functional.CrossEntropy(head.Call(y.Reshape(-1, 12)), labels) + h.Pow(2).Mean();
                loss.Backward();
                opt.Step();
                return loss;
            };
        }
        var eager = StepOf(out var me);
        var compiled = Graph.Compile(StepOf(out var mc));
        for (int i = 0; i < 3; i++)
        {
            var x = Tensor.Randn([5, 2, 4], seed: 40 + i);
            var labels = Tensor.RandInt(0, 3, [10], seed: 50 + i);
            Approx.Equal(eager(x, labels), compiled.Call(x, labels), 1e-5, $"loss at step {i}");
        }
        foreach (var (pe, pc) in me.Parameters().Zip(mc.Parameters())) Approx.Equal(pe, pc, 1e-5, "parameters after 3 steps");
        Assert.Equal(1, compiled.TraceCount);
    }

    /// <summary>lengths are read on the host: a compiled function guards on them and retraces for new values.</summary>
    [Fact]
    public void CompiledCallWithLengthsMatchesEager()
    {
        var gru = new GRU(3, 4, bidirectional: true, seed: 1);
        var compiled = Graph.Compile((Tensor x, Tensor lengths) => gru.Call(x, lengths: lengths).Output);
        var x = Tensor.Randn([5, 2, 3], seed: 2);
        foreach (var lens in new[] { new long[] { 5, 3 }, new long[] { 2, 4 } })
        {
            var lengths = Tensor.FromArray(lens, [2]);
            Approx.Equal(gru.Call(x, lengths: lengths).Output, compiled.Call(x, lengths), 1e-6, $"lengths {string.Join(",", lens)}");
        }
        Assert.Equal(2, compiled.TraceCount);
    }
}
