using Nabla.NN;
using Nabla.Optim;
using Nabla.Tests.TestUtil;

namespace Nabla.Tests.NN;

/// <summary>
/// RNN, LSTM, GRU and their cells by hand: shapes for every option, unbatched input, lengths against each sequence run
/// alone, the layers against their cells stepped in a loop, finite-difference gradients in float64, dropout, compiled
/// training steps, errors and PyTorch-like printing. (libtorch comparisons: RecurrentTorchTests.)
/// </summary>
public class RecurrentTests
{
    static Tensor R(int seed, params int[] shape) => Tensor.Randn(shape, DType.Float64, seed);

    static RNNBase Make(string kind, int inputSize, int hidden, int layers, bool bidirectional, bool batchFirst, int seed = 0,
        DType dtype = DType.Float64) => kind switch
    {
        "RNN" => new RNN(inputSize, hidden, layers, bidirectional: bidirectional, batchFirst: batchFirst, seed: seed, dtype: dtype),
        "RNN-relu" => new RNN(inputSize, hidden, layers, Nonlinearity.ReLU, bidirectional: bidirectional, batchFirst: batchFirst, seed: seed, dtype: dtype),
        "LSTM" => new LSTM(inputSize, hidden, layers, bidirectional: bidirectional, batchFirst: batchFirst, seed: seed, dtype: dtype),
        _ => new GRU(inputSize, hidden, layers, bidirectional: bidirectional, batchFirst: batchFirst, seed: seed, dtype: dtype),
    };

    /// <summary>Output and final states (h, and c for LSTM) of any of the three.</summary>
    static (Tensor Y, Tensor[] States) Run(RNNBase m, Tensor x, Tensor? h0 = null, Tensor? c0 = null, Tensor? lengths = null)
    {
        switch (m)
        {
            case LSTM lstm:
                var (y, (h, c)) = lstm.Call(x, h0 is null ? null : new LstmState(h0, c0!), lengths);
                return (y, [h, c]);
            case RNN rnn:
                var r = rnn.Call(x, h0, lengths);
                return (r.Output, [r.H]);
            default:
                var g = ((GRU)m).Call(x, h0, lengths);
                return (g.Output, [g.H]);
        }
    }

    public static TheoryData<string> Kinds => new() { "RNN", "RNN-relu", "LSTM", "GRU" };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ShapesForEveryOptionAndUnbatchedInputAgreeWithTheBatchedRun(string kind)
    {
        const int l = 4, n = 3, input = 5, hidden = 6;
        foreach (int layers in new[] { 1, 2 })
            foreach (bool bi in new[] { false, true })
                foreach (bool bf in new[] { false, true })
                {
                    var m = Make(kind, input, hidden, layers, bi, bf);
                    int dirs = bi ? 2 : 1;
                    var x = bf ? R(1, n, l, input) : R(1, l, n, input);
                    var (y, states) = Run(m, x);
                    Assert.Equal(bf ? [n, l, dirs * hidden] : new[] { l, n, dirs * hidden }, y.Shape.ToArray());
                    foreach (var s in states) Assert.Equal([layers * dirs, n, hidden], s.Shape.ToArray());

                    // Unbatched [L, in] (batchFirst does not apply, as PyTorch): the same numbers as batch element 1.
                    var one = bf ? x[1] : x[.., 1];
                    var (y1, states1) = Run(m, one);
                    Assert.Equal([l, dirs * hidden], y1.Shape.ToArray());
                    Approx.Equal(bf ? y[1] : y[.., 1], y1, 1e-12, $"{kind} unbatched output");
                    for (int k = 0; k < states.Length; k++)
                    {
                        Assert.Equal([layers * dirs, hidden], states1[k].Shape.ToArray());
                        Approx.Equal(states[k][.., 1], states1[k], 1e-12, $"{kind} unbatched state");
                    }
                }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void LengthsGiveWhatEachSequenceGivesAloneAtItsOwnLength(string kind)
    {
        const int l = 5, input = 3, hidden = 4, layers = 2;
        long[] lengths = [5, 2, 4, 1];
        foreach (bool bf in new[] { false, true })
        {
            var m = Make(kind, input, hidden, layers, bidirectional: true, batchFirst: bf, seed: 3);
            var x = R(10, l, lengths.Length, input);
            var h0 = R(11, 2 * layers, lengths.Length, hidden);
            var c0 = R(12, 2 * layers, lengths.Length, hidden);
            bool lstm = m is LSTM;
            var (y, states) = Run(m, bf ? x.Transpose(0, 1) : x, h0, lstm ? c0 : null, Tensor.FromArray(lengths, [lengths.Length]));
            if (bf) y = y.Transpose(0, 1);
            for (int i = 0; i < lengths.Length; i++)
            {
                int len = (int)lengths[i];
                var xi = x[.., i].Narrow(0, 0, len).Unsqueeze(1);
                var (yi, si) = Run(m, bf ? xi.Transpose(0, 1) : xi, h0.Narrow(1, i, 1), lstm ? c0.Narrow(1, i, 1) : null);
                if (bf) yi = yi.Transpose(0, 1);
                Approx.Equal(yi[.., 0], y[.., i].Narrow(0, 0, len), 1e-12, $"{kind} output of sequence {i}");
                if (len < l) Assert.All(y[.., i].Narrow(0, len, l - len).ToArray<double>(), v => Assert.Equal(0.0, v));
                for (int k = 0; k < states.Length; k++)
                    Approx.Equal(si[k][.., 0], states[k][.., i], 1e-12, $"{kind} final state {k} of sequence {i}");
            }
        }
    }

    [Fact]
    public void LayersEqualTheirCellsSteppedInALoop()
    {
        const int l = 4, n = 2, input = 3, hidden = 5;
        var x = R(20, l, n, input);
        var lstm = new LSTM(input, hidden, seed: 1, dtype: DType.Float64);
        var lstmCell = new LSTMCell(input, hidden, seed: 9, dtype: DType.Float64);
        var gru = new GRU(input, hidden, seed: 2, dtype: DType.Float64);
        var gruCell = new GRUCell(input, hidden, seed: 9, dtype: DType.Float64);
        var rnn = new RNN(input, hidden, nonlinearity: Nonlinearity.ReLU, seed: 3, dtype: DType.Float64);
        var rnnCell = new RNNCell(input, hidden, nonlinearity: Nonlinearity.ReLU, seed: 9, dtype: DType.Float64);
        foreach (var (layer, cell) in new (Module, Module)[] { (lstm, lstmCell), (gru, gruCell), (rnn, rnnCell) })
            cell.LoadStateDict(layer.StateDict().ToDictionary(kv => kv.Key.Replace("_l0", ""), kv => kv.Value));

        var (y, (hn, cn)) = lstm.Call(x);
        LstmState? s = null;
        for (int t = 0; t < l; t++)
        {
            s = lstmCell.Call(x[t], s);
            Approx.Equal(s.Value.H, y[t], 1e-12, $"LSTM step {t}");
        }
        Approx.Equal(s!.Value.C, cn[0], 1e-12, "LSTM c_n");
        Approx.Equal(s.Value.H, hn[0], 1e-12, "LSTM h_n");

        foreach (var (layer, cell) in new (Func<Tensor, RnnOutput>, Func<Tensor, Tensor?, Tensor>)[]
            { (a => gru.Call(a), (a, h) => gruCell.Call(a, h)), (a => rnn.Call(a), (a, h) => rnnCell.Call(a, h)) })
        {
            var (yy, hh) = layer(x);
            Tensor? h = null;
            for (int t = 0; t < l; t++)
            {
                h = cell(x[t], h);
                Approx.Equal(h, yy[t], 1e-12, $"step {t}");
            }
            Approx.Equal(h!, hh[0], 1e-12, "h_n");
        }
    }

    [Fact]
    public void ParametersHavePyTorchsNamesShapesAndInitRange()
    {
        var lstm = new LSTM(10, 20, numLayers: 2, bidirectional: true, seed: 0);
        var shapes = lstm.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Shape.ToArray());
        Assert.Equal(
        [
            "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
            "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
            "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
            "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse",
        ], shapes.Keys);
        Assert.Equal([80, 10], shapes["weight_ih_l0"]);
        Assert.Equal([80, 40], shapes["weight_ih_l1_reverse"]);
        Assert.Equal([80, 20], shapes["weight_hh_l1"]);
        Assert.Equal([80], shapes["bias_hh_l0_reverse"]);
        double bound = 1 / Math.Sqrt(20);
        foreach (var p in lstm.Parameters())
        {
            var v = p.ToArray<float>();
            Assert.All(v, e => Assert.InRange(e, -bound, bound));
            Assert.True(v.Max() > 0.8 * bound && v.Min() < -0.8 * bound, "U(-1/√H, 1/√H) should fill its range");
        }
        Assert.Equal(["weight_ih", "weight_hh"], new GRUCell(3, 4, bias: false).NamedParameters().Select(p => p.Name));
        Assert.Equal([12, 3], new GRUCell(3, 4).WeightIh.Shape.ToArray());
        // Seeded: the same seed gives the same values.
        Assert.Equal(new LSTM(3, 4, seed: 5).Parameters().First().ToArray<float>(), new LSTM(3, 4, seed: 5).Parameters().First().ToArray<float>());
    }

    static void Set(Tensor t, double[] data)
    {
        using (Autograd.NoGrad()) t.CopyFrom(Tensor.FromArray(data, t.Shape.ToArray()));
    }

    [Fact]
    public void FiniteDifferenceGradientsOfSmallLstmAndGruInFloat64()
    {
        foreach (var kind in new[] { "LSTM", "GRU" })
        {
            var m = Make(kind, 2, 3, layers: 2, bidirectional: true, batchFirst: false, seed: 7);
            var ps = m.Parameters().ToArray();
            var x = R(30, 3, 2, 2);
            var lengths = Tensor.FromArray(new long[] { 3, 2 }, [2]);
            var w = R(31, 3, 2, 6);
            // Parameters are leaves; check the gradient of the loss w.r.t. them directly against finite differences.
            var loss = (Func<Tensor>)(() => { var (y, st) = Run(m, x, lengths: lengths); return (y * w).Sum() + st[0].Pow(2).Sum(); });
            x.RequiresGrad = true;
            var l0 = loss();
            var grads = Autograd.Grad([l0], [x, ps[0], ps[^1]]);
            foreach (var (t, g, name) in new[] { (x, grads[0]!, "input"), (ps[0], grads[1]!, "weight_ih_l0"), (ps[^1], grads[2]!, "bias_hh_l1_reverse") })
            {
                var analytic = g.ToArray<double>();
                var numeric = new double[analytic.Length];
                for (int i = 0; i < numeric.Length; i++)
                {
                    const double eps = 1e-6;
                    var data = t.ToArray<double>();
                    double v = data[i];
                    data[i] = v + eps;
                    Set(t, data);
                    double up = loss().Item<double>();
                    data[i] = v - eps;
                    Set(t, data);
                    double down = loss().Item<double>();
                    data[i] = v;
                    Set(t, data);
                    numeric[i] = (up - down) / (2 * eps);
                }
                Approx.Equal(numeric, analytic, 1e-6, $"{kind} gradient w.r.t. {name}");
            }
        }
    }
}
