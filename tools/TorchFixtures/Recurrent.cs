// libtorch references for Nabla's RNN, LSTM and GRU (tests/Nabla.Tests/NN/RecurrentTorchTests.cs): the layer's state dict,
// the input, output, final states, and the gradients of loss = Σ output·wy + Σ h_n·wh (+ Σ c_n·wc) with fixed random
// weights w*, w.r.t. the input and every parameter ("grad.input", "grad.<parameter name>").
using TorchSharp;
using static TorchSharp.torch;

namespace TorchFixtures;

static partial class Generators
{
    /// <summary>nn.RNN(3, 4, num_layers=2, nonlinearity=tanh, bidirectional=True, batch_first=True) on [2, 5, 3].</summary>
    static void RnnTanh2LayerBidirectionalBatchFirst(Dictionary<string, Tensor> t)
    {
        manual_seed(11);
        var rnn = nn.RNN(3, 4, numLayers: 2, bidirectional: true, batchFirst: true);
        var x = randn(2, 5, 3).requires_grad_(true);
        var (y, h) = rnn.forward(x, null);
        Finish(t, rnn, x, y, h, null, null);
    }

    /// <summary>nn.LSTM(3, 4, num_layers=2, bidirectional=True) on [4, 2, 3] from given (h0, c0).</summary>
    static void Lstm2LayerBidirectionalH0C0(Dictionary<string, Tensor> t)
    {
        manual_seed(12);
        var lstm = nn.LSTM(3, 4, numLayers: 2, bidirectional: true);
        var x = randn(4, 2, 3).requires_grad_(true);
        var h0 = randn(4, 2, 4).requires_grad_(true);
        var c0 = randn(4, 2, 4).requires_grad_(true);
        var (y, h, c) = lstm.forward(x, (h0, c0));
        t["h0"] = h0.detach();
        t["c0"] = c0.detach();
        Finish(t, lstm, x, y, h, c, [("h0", h0), ("c0", c0)]);
    }

    /// <summary>nn.GRU(3, 4, bias=False, batch_first=True) on [2, 5, 3].</summary>
    static void GruNoBiasBatchFirst(Dictionary<string, Tensor> t)
    {
        manual_seed(13);
        var gru = nn.GRU(3, 4, bias: false, batchFirst: true);
        var x = randn(2, 5, 3).requires_grad_(true);
        var (y, h) = gru.forward(x);
        Finish(t, gru, x, y, h, null, null);
    }

    /// <summary>
    /// nn.LSTM(3, 4, bidirectional=True) on a padded batch [5, 3, 3] with lengths [5, 2, 3]: pack_padded_sequence
    /// (enforce_sorted=False) → LSTM → pad_packed_sequence(total_length=5).
    /// </summary>
    static void LstmBidirectionalPackedLengths(Dictionary<string, Tensor> t)
    {
        manual_seed(14);
        var lstm = nn.LSTM(3, 4, bidirectional: true);
        var x = randn(5, 3, 3).requires_grad_(true);
        var lengths = tensor(new long[] { 5, 2, 3 });
        var packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first: false, enforce_sorted: false);
        var (py, h, c) = lstm.call(packed, null);
        var (y, _) = nn.utils.rnn.pad_packed_sequence(py, batch_first: false, total_length: 5);
        t["lengths"] = lengths;
        Finish(t, lstm, x, y, h, c, null);
    }

    static void Finish(Dictionary<string, Tensor> t, nn.Module module, Tensor x, Tensor y, Tensor h, Tensor? c,
        (string Name, Tensor Value)[]? extraInputs)
    {
        var wy = randn(y.shape);
        var wh = randn(h.shape);
        var loss = (y * wy).sum() + (h * wh).sum();
        if (c is not null)
        {
            var wc = randn(c.shape);
            loss = loss + (c * wc).sum();
            t["wc"] = wc;
            t["c_n"] = c.detach();
        }
        loss.backward();
        foreach (var (n, p) in module.named_parameters())
        {
            t[n] = p.detach();
            t["grad." + n] = p.grad!.detach();
        }
        t["input"] = x.detach();
        t["grad.input"] = x.grad!.detach();
        foreach (var (n, v) in extraInputs ?? []) t["grad." + n] = v.grad!.detach();
        t["output"] = y.detach();
        t["h_n"] = h.detach();
        t["wy"] = wy;
        t["wh"] = wh;
    }
}
