using Nabla.NN;
using Nabla.Tests.TestUtil;

namespace Nabla.Tests.NN;

/// <summary>
/// RNN, LSTM and GRU against libtorch (tools/TorchFixtures/Recurrent.cs): PyTorch's state dict loads strictly, and the
/// output, final states and gradients of loss = Σ output·wy + Σ h_n·wh (+ Σ c_n·wc) w.r.t. the input, the initial states
/// and every parameter match libtorch's in float32.
/// </summary>
public class RecurrentTorchTests
{
    const double Tol = 1e-5;

    static Dictionary<string, Tensor> StateDict(Dictionary<string, Tensor> f) =>
        f.Where(kv => kv.Key.StartsWith("weight_", StringComparison.Ordinal) || kv.Key.StartsWith("bias_", StringComparison.Ordinal))
         .ToDictionary(kv => kv.Key, kv => kv.Value);

    /// <summary>Loads the state dict strictly, runs <paramref name="run"/> and compares values and gradients.</summary>
    static void Check(string fixture, RNNBase layer, Func<Dictionary<string, Tensor>, Tensor, (Tensor Y, Tensor H, Tensor? C)> run,
        params string[] extraGradInputs)
    {
        var f = TorchFixture.Load(fixture);
        var result = layer.LoadStateDict(StateDict(f));
        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys);
        var x = f["input"].Detach();
        x.RequiresGrad = true;
        var extras = extraGradInputs.ToDictionary(n => n, n => { var t = f[n].Detach(); t.RequiresGrad = true; return t; });
        var inputs = new Dictionary<string, Tensor>(f);
        foreach (var (n, t) in extras) inputs[n] = t;
        var (y, h, c) = run(inputs, x);
        Approx.Equal(f["output"], y, Tol, fixture + " output");
        Approx.Equal(f["h_n"], h, Tol, fixture + " h_n");
        var loss = (y * f["wy"]).Sum() + (h * f["wh"]).Sum();
        if (c is not null)
        {
            Approx.Equal(f["c_n"], c, Tol, fixture + " c_n");
            loss = loss + (c * f["wc"]).Sum();
        }
        loss.Backward();
        Approx.Equal(f["grad.input"], x.Grad!, Tol, fixture + " grad of the input");
        foreach (var (n, t) in extras) Approx.Equal(f["grad." + n], t.Grad!, Tol, fixture + " grad of " + n);
        foreach (var (name, p) in layer.NamedParameters())
            Approx.Equal(f["grad." + name], p.Grad!, Tol, $"{fixture} grad of {name}");
    }

    [Fact]
    public void RnnTanhTwoLayersBidirectionalBatchFirstMatchesLibtorch()
    {
        var rnn = new RNN(3, 4, numLayers: 2, bidirectional: true, batchFirst: true);
        Check("rnn_tanh_2layer_bidirectional_batchfirst", rnn, (f, x) =>
        {
            var (y, h) = rnn.Call(x);
            return (y, h, null);
        });
    }

    [Fact]
    public void LstmTwoLayersBidirectionalFromH0C0MatchesLibtorch()
    {
        var lstm = new LSTM(3, 4, numLayers: 2, bidirectional: true);
        Check("lstm_2layer_bidirectional_h0c0", lstm, (f, x) =>
        {
            var (y, (h, c)) = lstm.Call(x, (f["h0"], f["c0"]));
            return (y, h, c);
        }, "h0", "c0");
    }

    [Fact]
    public void GruWithoutBiasBatchFirstMatchesLibtorch()
    {
        var gru = new GRU(3, 4, bias: false, batchFirst: true);
        Check("gru_nobias_batchfirst", gru, (f, x) =>
        {
            var (y, h) = gru.Call(x);
            return (y, h, null);
        });
    }

    [Fact]
    public void LstmWithLengthsMatchesLibtorchsPackedSequence()
    {
        var lstm = new LSTM(3, 4, bidirectional: true);
        Check("lstm_bidirectional_packed_lengths", lstm, (f, x) =>
        {
            var (y, (h, c)) = lstm.Call(x, lengths: f["lengths"]);
            return (y, h, c);
        });
    }
}
