using System.Globalization;
using System.Text;

namespace Nabla;

public partial class Tensor
{
    /// <summary>
    /// The values, shape and dtype, printed the way PyTorch prints a tensor, with the shape and dtype
    /// always shown and the autodiff state last (<c>grad_fn=&lt;MulBackward&gt;</c> for a computed tensor,
    /// <c>requires_grad=True</c> for a leaf that requires grad). Floats use 4 decimals, or scientific
    /// notation when magnitudes span more than 1000× or go above 1e8 or below 1e-4; floats holding only
    /// whole numbers print as <c>1.</c>; NaN and infinities print as <c>nan</c>, <c>inf</c>, <c>-inf</c>.
    /// Tensors of more than 1000 elements are summarized with <c>...</c>, keeping the first and last 3
    /// entries of each dimension. Reads the data only; records nothing.
    /// </summary>
    /// <example>
    /// <code>
    /// Tensor.FromArray(new[] { 1f, 2f, 3f, 4.5f }, new[] { 2, 2 }).ToString()
    /// // tensor([[1.0000, 2.0000],
    /// //         [3.0000, 4.5000]], shape=[2, 2], dtype=float32)
    /// </code>
    /// </example>
    public override string ToString() => TensorFormat.Format(this);
}

/// <summary>
/// PyTorch's printing rules (its default print options) re-derived for Nabla: one
/// formatter (mode and column width) is chosen from all the values shown, then dimensions nest with
/// PyTorch's indentation, blank lines between blocks, and 80-column line wrapping. The walk over the
/// dimensions is a loop with an explicit index per dimension, not recursion, so no rank can exhaust the stack.
/// </summary>
internal sealed class TensorFormat
{
    const int Precision = 4;
    const int Threshold = 1000;   // more elements than this: summarize
    const int EdgeItems = 3;      // entries kept at each end of a summarized dimension
    const int LineWidth = 80;
    const string Prefix = "tensor(";

    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    readonly Tensor _t;
    readonly Array _data;        // the values shown, copied to the host row-major (only the edges of a summarized tensor)
    readonly int[] _strides;     // row-major strides of _data
    readonly bool _summarize;
    readonly bool _floating;
    readonly int[][] _shown;     // per dim, the positions in _data printed; -1 stands for the "..." gap
    bool _intMode = true;
    bool _sciMode;
    int _maxWidth = 1;

    TensorFormat(Tensor t)
    {
        _t = t;
        _floating = t.DType.IsFloating();
        _summarize = t.NumElements > Threshold;
        var shown = _summarize ? Edges(t) : t;
        _data = shown.ToHostArray();
        _strides = Shape.ContiguousStrides(shown.Shape.Span);
        // NB: only when there are elements: an empty [0, 2^31 - 1] tensor must not list 2^31 - 1 indices.
        _shown = new int[t.NumElements > 0 ? t.Rank : 0][];
        for (int d = 0; d < _shown.Length; d++) _shown[d] = ShownIndices(t.Shape[d]).ToArray();
        if (t.NumElements > 0) ChooseFormat();
    }

    public static string Format(Tensor t)
    {
        var f = new TensorFormat(t);
        string body = t.NumElements == 0 ? "[]" : f.Body();
        var suffixes = new List<string> { "shape=" + t.Shape, "dtype=" + t.DType.TorchName() };
        if (t.GradFn is not null) suffixes.Add($"grad_fn=<{t.GradFn.Name}>");
        else if (t.RequiresGrad) suffixes.Add("requires_grad=True");
        return AddSuffixes(Prefix + body, suffixes, Prefix.Length);
    }

    /// <summary>Calls <paramref name="visit"/> with the storage index of every element that will be printed, in order.</summary>
    void VisitShown(Action<int> visit)
    {
        int rank = _t.Rank;
        var pos = new int[rank];            // position in _shown[d] of the current index of each dim
        var offsets = new int[rank + 1];    // offsets[d]: storage index where the current block of dim d starts
        int dim = 0;
        while (dim >= 0)
        {
            if (dim == rank)
            {
                visit(offsets[rank]);
                dim--;
                continue;
            }
            if (pos[dim] == _shown[dim].Length)
            {
                pos[dim] = 0;                // done with this dim: the next block of the dim above starts afresh
                dim--;
                if (dim >= 0) pos[dim]++;
                continue;
            }
            int i = _shown[dim][pos[dim]];
            if (i < 0) { pos[dim]++; continue; }   // the "..." gap holds no element
            offsets[dim + 1] = offsets[dim] + i * _strides[dim];
            dim++;
            if (dim == rank) pos[dim - 1]++;      // the element is visited next; then the last dim moves on
        }
    }

    /// <summary>
    /// The positions in <see cref="_data"/> of one dimension's printed entries; -1 stands for the "..." gap.
    /// A summarized dimension keeps only its first and last <see cref="EdgeItems"/> entries (see <see cref="Edges"/>).
    /// </summary>
    IEnumerable<int> ShownIndices(int n)
    {
        bool cut = _summarize && n > 2 * EdgeItems;
        for (int i = 0; i < (cut ? 2 * EdgeItems : n); i++)
        {
            if (cut && i == EdgeItems) yield return -1;
            yield return i;
        }
    }

    /// <summary>
    /// The first and last <see cref="EdgeItems"/> entries of every dimension longer than twice that, joined
    /// (PyTorch's get_summarized_data): all a summarized print reads, so printing an expanded view of 2^31 - 1
    /// elements copies a few hundred. Longest dims are cut first, to keep the intermediate copies small.
    /// Recorded by no graph and no forward-mode level.
    /// </summary>
    static Tensor Edges(Tensor t)
    {
        var x = t.Detach();
        using (Autograd.NoGrad())
        {
            foreach (int d in Enumerable.Range(0, t.Rank).Where(d => t.Shape[d] > 2 * EdgeItems).OrderByDescending(d => t.Shape[d]))
            {
                int n = x.Shape[d];
                x = Tensor.Concat([x.Narrow(d, 0, EdgeItems), x.Narrow(d, n - EdgeItems, EdgeItems)], d);
            }
        }
        return x;
    }

    // PyTorch's _Formatter: the mode and width come from the nonzero finite values only.
    void ChooseFormat()
    {
        if (!_floating)
        {
            VisitShown(i => _maxWidth = Math.Max(_maxWidth, Plain(i).Length));
            return;
        }
        var values = new List<double>();
        VisitShown(i =>
        {
            double v = ReadDouble(i);
            if (double.IsFinite(v) && v != 0) values.Add(v);
        });
        if (values.Count == 0) return;
        double min = double.PositiveInfinity, max = 0;
        foreach (var v in values)
        {
            min = Math.Min(min, Math.Abs(v));
            max = Math.Max(max, Math.Abs(v));
            if (v != Math.Ceiling(v)) _intMode = false;
        }
        // Whole numbers switch to scientific on range or size only; fractions also when tiny.
        _sciMode = max / min > 1000.0 || max > 1.0e8 || (!_intMode && min < 1.0e-4);
        foreach (var v in values)
        {
            int width = _sciMode ? Scientific(v).Length
                : _intMode ? v.ToString("F0", Inv).Length + 1   // + 1 for the trailing "."
                : v.ToString("F" + Precision, Inv).Length;
            _maxWidth = Math.Max(_maxWidth, width);
        }
    }

    double ReadDouble(int i) => _data switch
    {
        float[] f => f[i],
        double[] d => d[i],
        _ => throw new InvalidOperationException("internal: ReadDouble on a non-floating tensor"),
    };

    /// <summary>An integer or bool element as Python prints it.</summary>
    string Plain(int i) => _data switch
    {
        int[] n => n[i].ToString(Inv),
        long[] l => l[i].ToString(Inv),
        bool[] b => b[i] ? "True" : "False",
        _ => throw new InvalidOperationException("internal: Plain on a floating tensor"),
    };

    /// <summary>One element, right-aligned to the common width.</summary>
    string Element(int i)
    {
        string s;
        if (!_floating) s = Plain(i);
        else
        {
            double v = ReadDouble(i);
            if (double.IsNaN(v)) s = "nan";
            else if (double.IsInfinity(v)) s = v > 0 ? "inf" : "-inf";
            else if (_sciMode) s = Scientific(v);
            else if (_intMode) s = v.ToString("F0", Inv) + ".";
            else s = v.ToString("F" + Precision, Inv);
        }
        return s.Length >= _maxWidth ? s : new string(' ', _maxWidth - s.Length) + s;
    }

    /// <summary>Python's <c>{:.4e}</c>: <c>1.2346e+04</c> (at least two exponent digits). .NET rounds half to even here too.</summary>
    static string Scientific(double v)
    {
        var s = v.ToString("E" + Precision, Inv);          // e.g. 1.2346E+004
        int e = s.IndexOf('E');
        int exponent = int.Parse(s.AsSpan(e + 1), NumberStyles.AllowLeadingSign, Inv);
        return s[..e] + "e" + (exponent < 0 ? "-" : "+") + Math.Abs(exponent).ToString("00", Inv);
    }

    /// <summary>
    /// The nested brackets of all the shown values. Dim d's blocks are indented by one column more than
    /// dim d - 1's, and separated by a comma, d's remaining rank - 1 newlines (a blank line between
    /// matrices...) and the indentation; the last dim is a wrapped row of elements.
    /// </summary>
    string Body()
    {
        int rank = _t.Rank;
        if (rank == 0) return Element(0);
        var sb = new StringBuilder();
        var pos = new int[rank];
        var offsets = new int[rank];
        int dim = 0;
        sb.Append('[');
        while (true)
        {
            if (dim == rank - 1)
            {
                AppendRow(sb, offsets[dim], Prefix.Length + dim);
                // Climb to the first dim that has a next block, closing the finished ones.
                do
                {
                    sb.Append(']');
                    if (--dim < 0) return sb.ToString();
                } while (++pos[dim] == _shown[dim].Length);
                sb.Append(Separator(dim));
                continue;
            }
            int i = _shown[dim][pos[dim]];
            if (i < 0)
            {
                // The gap is never last: edge items follow it.
                sb.Append("...").Append(Separator(dim));
                pos[dim]++;
                continue;
            }
            offsets[dim + 1] = offsets[dim] + i * _strides[dim];
            pos[++dim] = 0;
            sb.Append('[');
        }
    }

    /// <summary>Between two blocks of dimension <paramref name="dim"/>: ",", rank - dim - 1 newlines, the next block's indentation.</summary>
    string Separator(int dim) => "," + new string('\n', _t.Rank - dim - 1) + new string(' ', Prefix.Length + dim + 1);

    /// <summary>The elements of one row of the last dim (without its brackets), wrapped at 80 columns.</summary>
    void AppendRow(StringBuilder sb, int offset, int indent)
    {
        int stride = _strides[^1];
        var items = _shown[^1].Select(i => i < 0 ? " ..." : Element(offset + i * stride)).ToList();
        // ", " between elements: each takes width + 2 columns.
        int perLine = Math.Max(1, (LineWidth - indent) / (_maxWidth + 2));
        var lines = items.Chunk(perLine).Select(line => string.Join(", ", line));
        sb.Append(string.Join(",\n" + new string(' ', indent + 1), lines));
    }

    /// <summary>Appends ", suffix" items, moving one to a new line when it would pass 80 columns (PyTorch's _add_suffixes).</summary>
    static string AddSuffixes(string text, List<string> suffixes, int indent)
    {
        var sb = new StringBuilder(text);
        // NB: PyTorch counts the last line one column longer than it is; kept so line breaks match.
        int lastLine = text.Length - text.LastIndexOf('\n') + 1;
        foreach (var suffix in suffixes)
        {
            if (lastLine + suffix.Length + 2 > LineWidth)
            {
                sb.Append(",\n").Append(' ', indent).Append(suffix);
                lastLine = indent + suffix.Length;
            }
            else
            {
                sb.Append(", ").Append(suffix);
                lastLine += suffix.Length + 2;
            }
        }
        return sb.Append(')').ToString();
    }
}
