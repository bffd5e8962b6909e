using Nabla.Backends.Reference;
using Nabla.NN;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.OpDb;

/// <summary>
/// The functional recurrent cells (Functional.RnnTanhCell, RnnReluCell, LstmCell, GruCell; composites of MatMul and
/// elementwise ops) against plain double loops, batched, unbatched and without biases; reverse and forward mode, second
/// order and eager vs compiled come from the generic tests. LstmCell's two outputs are checked as [h', c'] side by side.
/// </summary>
internal static partial class OpDb
{
    static IEnumerable<OpInfo> RecurrentEntries()
    {
        yield return CellEntry("RnnTanhCell", 1, x => F.RnnTanhCell(x[0], x[1], x[2], x[3], x[4], x[5]), RefRnnCell(relu: false));
        yield return CellEntry("RnnReluCell", 1, x => F.RnnReluCell(x[0], x[1], x[2], x[3], x[4], x[5]), RefRnnCell(relu: true));
        yield return CellEntry("GruCell", 3, x => F.GruCell(x[0], x[1], x[2], x[3], x[4], x[5]), RefGruCell);
        yield return CellEntry("LstmCell", 4, x =>
        {
            var (h, c) = F.LstmCell(x[0], (x[1], x[6]), x[2], x[3], x[4], x[5]);
            return Tensor.Concat([h, c], -1);
        }, RefLstmCell, cellState: true);
        yield return new OpInfo
        {
            Name = "LstmCell(no bias)", Covers = ["LstmCell"],
            Op = x => { var (h, c) = F.LstmCell(x[0], (x[1], x[4]), x[2], x[3]); return Tensor.Concat([h, c], -1); },
            Reference = r => RefLstmCell([r[0], r[1], r[2], r[3], null, null, r[4]]),
            Samples = () =>
            [
                new("batch", [Samples.Uniform(1720, [2, 3]), Samples.Uniform(1721, [2, 2]), Samples.Uniform(1722, [8, 3]),
                    Samples.Uniform(1723, [8, 2]), Samples.Uniform(1724, [2, 2])]),
            ],
        };
        yield return new OpInfo
        {
            Name = "GruCell(no bias)", Covers = ["GruCell"], Op = x => F.GruCell(x[0], x[1], x[2], x[3]),
            Reference = r => RefGruCell([r[0], r[1], r[2], r[3], null, null]),
            Samples = () =>
            [
                new("batch", [Samples.Uniform(1730, [2, 3]), Samples.Uniform(1731, [2, 2]), Samples.Uniform(1732, [6, 3]),
                    Samples.Uniform(1733, [6, 2])]),
            ],
        };
    }

    /// <summary>An entry with inputs x, h, W_ih, W_hh, b_ih, b_hh (and c for LSTM): batched, unbatched, non-contiguous x.</summary>
    static OpInfo CellEntry(string name, int gates, Func<Tensor[], Tensor> op, Func<RefArray?[], RefArray> reference, bool cellState = false)
    {
        const int n = 2, input = 3, hidden = 2;
        int rows = gates * hidden, seed = 1700 + 10 * gates + (name.Contains("Relu") ? 5 : 0);
        Tensor[] Inputs(Tensor x, Tensor h, Tensor? c)
        {
            var list = new List<Tensor>
            {
                x, h, Samples.Uniform(seed + 2, [rows, input]), Samples.Uniform(seed + 3, [rows, hidden]),
                Samples.Uniform(seed + 4, [rows]), Samples.Uniform(seed + 5, [rows]),
            };
            if (c is not null) list.Add(c);
            return [.. list];
        }
        return new OpInfo
        {
            Name = name, Covers = [name], Op = op, Reference = r => reference([.. r]),
            Samples = () =>
            [
                new("batch", Inputs(Samples.Uniform(seed, [n, input]), Samples.Uniform(seed + 1, [n, hidden]),
                    cellState ? Samples.Uniform(seed + 6, [n, hidden]) : null)),
                new("unbatched", Inputs(Samples.Uniform(seed + 7, [input]), Samples.Uniform(seed + 8, [hidden]),
                    cellState ? Samples.Uniform(seed + 9, [hidden]) : null)),
                new("non-contiguous input", Inputs(Samples.Transposed(seed + 10, n, input), Samples.Uniform(seed + 11, [n, hidden]),
                    cellState ? Samples.Uniform(seed + 12, [n, hidden]) : null)),
            ],
        };
    }

    /// <summary>x [N, in] or [in] times W [rows, in] (+ b) per row: [N, rows] (N = 1 for unbatched).</summary>
    static double[,] RefAffine(RefArray x, RefArray w, RefArray? b)
    {
        int rows = w.Shape[0], cols = w.Shape[1], n = x.Data.Length / cols;
        var y = new double[n, rows];
        for (int s = 0; s < n; s++)
            for (int g = 0; g < rows; g++)
            {
                double acc = b?.Data[g] ?? 0;
                for (int j = 0; j < cols; j++) acc += x.Data[s * cols + j] * w.Data[g * cols + j];
                y[s, g] = acc;
            }
        return y;
    }

    /// <summary>r: x, h, W_ih, W_hh, b_ih, b_hh → act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh), shaped like h.</summary>
    static Func<RefArray?[], RefArray> RefRnnCell(bool relu) => r =>
    {
        var (gi, gh) = (RefAffine(r[0]!, r[2]!, r[4]), RefAffine(r[1]!, r[3]!, r[5]));
        var y = RefArray.Zeros(r[1]!.Shape);
        int hidden = r[3]!.Shape[1];
        for (int i = 0; i < y.Data.Length; i++)
        {
            double a = gi[i / hidden, i % hidden] + gh[i / hidden, i % hidden];
            y.Data[i] = relu ? Math.Max(a, 0) : Math.Tanh(a);
        }
        return y;
    };

    /// <summary>r: x, h, W_ih, W_hh, b_ih, b_hh; gates r, z, n; h' = (1 - z)·n + z·h.</summary>
    static RefArray RefGruCell(RefArray?[] r)
    {
        var (gi, gh) = (RefAffine(r[0]!, r[2]!, r[4]), RefAffine(r[1]!, r[3]!, r[5]));
        var h = r[1]!;
        var y = RefArray.Zeros(h.Shape);
        int hidden = r[3]!.Shape[1];
        for (int i = 0; i < y.Data.Length; i++)
        {
            int s = i / hidden, k = i % hidden;
            double rg = Sigmoid(gi[s, k] + gh[s, k]);
            double z = Sigmoid(gi[s, hidden + k] + gh[s, hidden + k]);
            double cand = Math.Tanh(gi[s, 2 * hidden + k] + rg * gh[s, 2 * hidden + k]);
            y.Data[i] = (1 - z) * cand + z * h.Data[i];
        }
        return y;
    }

    /// <summary>r: x, h, W_ih, W_hh, b_ih, b_hh, c; gates i, f, g, o; returns [h', c'] concatenated on the last dim.</summary>
    static RefArray RefLstmCell(RefArray?[] r)
    {
        var (gi, gh) = (RefAffine(r[0]!, r[2]!, r[4]), RefAffine(r[1]!, r[3]!, r[5]));
        var c = r[6]!;
        int hidden = r[3]!.Shape[1], n = c.Data.Length / hidden;
        int[] shape = [.. c.Shape];
        shape[^1] = 2 * hidden;
        var y = RefArray.Zeros(shape);
        for (int s = 0; s < n; s++)
            for (int k = 0; k < hidden; k++)
            {
                double Gate(int q) => gi[s, q * hidden + k] + gh[s, q * hidden + k];
                double c1 = Sigmoid(Gate(1)) * c.Data[s * hidden + k] + Sigmoid(Gate(0)) * Math.Tanh(Gate(2));
                y.Data[s * 2 * hidden + k] = Sigmoid(Gate(3)) * Math.Tanh(c1);
                y.Data[s * 2 * hidden + hidden + k] = c1;
            }
        return y;
    }
}
