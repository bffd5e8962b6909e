using Nabla.Engine;

namespace Nabla;

/// <summary>
/// A parsed torch.einsum equation, checked against its operands: every operand dim gets a label (a letter A-Z = 0..25,
/// a-z = 26..51, and the k-th of the broadcast "..." dims 52 + k, the ellipsis dims counted from the right so shorter
/// ellipses broadcast against longer ones), and the output is a list of labels (explicit after "->"; implicit: the
/// ellipsis dims, then the letters that appear exactly once, in ASCII order, as PyTorch). Spaces are ignored.
/// </summary>
internal sealed class EinsumEquation
{
    const int EllipsisBase = 52;

    EinsumEquation(int[][] inputs, int[] output) => (Inputs, Output) = (inputs, output);

    /// <summary>Each operand's labels, one per dim.</summary>
    public int[][] Inputs { get; }

    /// <summary>The output's labels, one per dim.</summary>
    public int[] Output { get; }

    /// <summary>The letter of a label, or "..." for an ellipsis dim (for messages).</summary>
    public static string Describe(int label) =>
        label < 26 ? ((char)('A' + label)).ToString() : label < EllipsisBase ? ((char)('a' + label - 26)).ToString() : "...";

    public static EinsumEquation Parse(string equation, Tensor[] operands)
    {
        string eq = equation.Replace(" ", "", StringComparison.Ordinal);
        int arrow = eq.IndexOf("->", StringComparison.Ordinal);
        string lhs = arrow < 0 ? eq : eq[..arrow];
        string? rhs = arrow < 0 ? null : eq[(arrow + 2)..];
        var terms = lhs.Split(',');
        if (terms.Length != operands.Length)
            throw Fail(equation, $"it has {terms.Length} operand term(s) but {operands.Length} tensor(s) were given.");
        var parsed = new (List<int> Before, bool Ellipsis, List<int> After)[terms.Length];
        int ellipsisRank = 0;
        for (int i = 0; i < terms.Length; i++)
        {
            parsed[i] = ParseTerm(equation, terms[i], $"operand {i} ('{terms[i]}')");
            int letters = parsed[i].Before.Count + parsed[i].After.Count;
            int rank = operands[i].Rank;
            if (!parsed[i].Ellipsis && letters != rank)
                throw Fail(equation, $"operand {i} ('{terms[i]}') names {letters} dim(s) but the tensor {Errors.Describe(operands[i])} has {rank}.");
            if (parsed[i].Ellipsis && letters > rank)
                throw Fail(equation, $"operand {i} ('{terms[i]}') names {letters} dim(s) besides '...' but the tensor {Errors.Describe(operands[i])} has only {rank}.");
            if (parsed[i].Ellipsis) ellipsisRank = Math.Max(ellipsisRank, rank - letters);
        }
        var inputs = new int[terms.Length][];
        for (int i = 0; i < terms.Length; i++)
        {
            int own = parsed[i].Ellipsis ? operands[i].Rank - parsed[i].Before.Count - parsed[i].After.Count : 0;
            inputs[i] = [.. parsed[i].Before, .. EllipsisLabels(ellipsisRank - own, ellipsisRank), .. parsed[i].After];
        }
        return new EinsumEquation(inputs, rhs is null ? ImplicitOutput(inputs, ellipsisRank) : ExplicitOutput(equation, rhs, inputs, ellipsisRank));
    }

    static IEnumerable<int> EllipsisLabels(int from, int to) => Enumerable.Range(EllipsisBase + from, to - from);

    static int[] ImplicitOutput(int[][] inputs, int ellipsisRank)
    {
        var counts = new int[EllipsisBase];
        foreach (var labels in inputs)
            foreach (int l in labels)
                if (l < EllipsisBase) counts[l]++;
        return [.. EllipsisLabels(0, ellipsisRank), .. Enumerable.Range(0, EllipsisBase).Where(l => counts[l] == 1)];
    }

    static int[] ExplicitOutput(string equation, string rhs, int[][] inputs, int ellipsisRank)
    {
        var (before, ellipsis, after) = ParseTerm(equation, rhs, $"the output ('{rhs}')");
        var letters = before.Concat(after).ToList();
        foreach (int l in letters)
        {
            if (letters.Count(m => m == l) > 1)
                throw Fail(equation, $"the output ('{rhs}') names '{Describe(l)}' twice; an output subscript may appear once.");
            if (!inputs.Any(labels => labels.Contains(l)))
                throw Fail(equation, $"the output subscript '{Describe(l)}' appears in no operand.");
        }
        // NB: without "..." in an explicit output, the ellipsis dims are summed (as PyTorch).
        return [.. before, .. ellipsis ? EllipsisLabels(0, ellipsisRank) : [], .. after];
    }

    static (List<int> Before, bool Ellipsis, List<int> After) ParseTerm(string equation, string term, string what)
    {
        var before = new List<int>();
        var after = new List<int>();
        bool ellipsis = false;
        for (int k = 0; k < term.Length; k++)
        {
            char c = term[k];
            if (c == '.')
            {
                if (ellipsis || k + 2 >= term.Length || term[k + 1] != '.' || term[k + 2] != '.')
                    throw Fail(equation, $"{what} has a '.' that is not one '...'; each term may hold one ellipsis.");
                ellipsis = true;
                k += 2;
            }
            else if (c is >= 'A' and <= 'Z') (ellipsis ? after : before).Add(c - 'A');
            else if (c is >= 'a' and <= 'z') (ellipsis ? after : before).Add(26 + c - 'a');
            else throw Fail(equation, $"{what} has the character '{c}'; subscripts are letters a-z, A-Z and '...'.");
        }
        return (before, ellipsis, after);
    }

    public static ArgumentException Fail(string equation, string why) => Errors.Arg("Einsum", $"equation \"{equation}\": {why}");
}
