using Nabla.Engine;

namespace Nabla;

public partial class Tensor
{
    /// <summary>
    /// torch.einsum: sums the products of the operands' elements over every subscript not in the output. The equation
    /// labels each operand's dims with letters (a-z, A-Z), comma-separated, optionally followed by "->" and the output's
    /// labels; without "->" the output is the letters that appear exactly once, in alphabetical order (A-Z before a-z).
    /// A letter repeated within one operand takes its diagonal ("ii->i", and "ii" is the trace); "..." stands for any
    /// number of broadcast dims (they lead an implicit output; an explicit output without "..." sums them); dims of one
    /// label must have equal sizes or size 1 (which broadcasts). Operands need one numeric dtype and one device.
    /// Contracted left to right in pairs (PyTorch's default order): dims only one side uses are summed first, then each
    /// pair becomes one batched <see cref="MatMul"/>; gradients (any order) come from those ops. Errors name the equation
    /// and the operand at fault.
    /// </summary>
    /// <example><code>
    /// Tensor.Einsum("ij,jk->ik", a, b);          // a.MatMul(b)
    /// Tensor.Einsum("bij,bjk->bik", x, y);       // batched matmul
    /// Tensor.Einsum("ii", m);                    // trace
    /// Tensor.Einsum("i,j->ij", u, v);            // outer product
    /// Tensor.Einsum("...ij->...ji", x);          // swap the last two dims
    /// Tensor.Einsum("bn,anm,bm->ba", l, w, r);   // bilinear form
    /// </code></example>
    public static Tensor Einsum(string equation, params Tensor[] operands)
    {
        ArgumentNullException.ThrowIfNull(equation);
        ArgumentNullException.ThrowIfNull(operands);
        if (operands.Length == 0) throw EinsumEquation.Fail(equation, "needs at least one operand.");
        for (int i = 0; i < operands.Length; i++)
        {
            if (operands[i] is null) throw EinsumEquation.Fail(equation, $"operand {i} is null.");
            if (operands[i].DType == DType.Bool)
                throw EinsumEquation.Fail(equation, $"operand {i} is bool; einsum needs numbers (use To(DType)).");
            if (operands[i].DType != operands[0].DType)
                throw EinsumEquation.Fail(equation, $"operand {i} is {operands[i].DType.TorchName()} but operand 0 is {operands[0].DType.TorchName()}; use one dtype.");
            if (!operands[i].Device.Equals(operands[0].Device))
                throw EinsumEquation.Fail(equation, $"operand {i} is on {operands[i].Device} but operand 0 is on {operands[0].Device}.");
        }
        var eq = EinsumEquation.Parse(equation, operands);
        var terms = new List<(Tensor T, List<int> Labels)>();
        for (int i = 0; i < operands.Length; i++) terms.Add(TakeDiagonals(equation, i, operands[i], [.. eq.Inputs[i]]));
        CheckSizes(equation, terms);
        var output = eq.Output.ToHashSet();
        // Dims no other operand and not the output uses are summed right away (the cheapest place to do it).
        for (int i = 0; i < terms.Count; i++)
        {
            var others = terms.Where((_, j) => j != i).SelectMany(t => t.Labels).ToHashSet();
            terms[i] = SumLabels(terms[i], l => !output.Contains(l) && !others.Contains(l));
        }
        var acc = terms[0];
        for (int k = 1; k < terms.Count; k++)
        {
            var keep = output.Concat(terms.Skip(k + 1).SelectMany(t => t.Labels)).ToHashSet();
            acc = ContractPair(acc, terms[k], keep);
        }
        acc = SumLabels(acc, l => !output.Contains(l));
        var order = eq.Output.Select(l => acc.Labels.IndexOf(l)).ToArray();
        return order.Length < 2 || order.Select((o, i) => o == i).All(b => b) ? acc.T : acc.T.Permute(order);
    }

    /// <summary>Takes the diagonal of every label repeated within one operand, until each label names one dim.</summary>
    static (Tensor, List<int>) TakeDiagonals(string equation, int operand, Tensor t, List<int> labels)
    {
        for (int i = 0; i < labels.Count; i++)
            for (int j = i + 1; j < labels.Count; j++)
            {
                if (labels[i] != labels[j]) continue;
                if (t.Shape[i] != t.Shape[j])
                    throw EinsumEquation.Fail(equation, $"operand {operand} repeats subscript '{EinsumEquation.Describe(labels[i])}' over dims {i} and {j} " +
                        $"of sizes {t.Shape[i]} and {t.Shape[j]} (shape {t.Shape}); a repeated subscript needs equal sizes.");
                int label = labels[i];
                t = t.Diagonal(0, i, j);   // the diagonal becomes the last dim
                labels.RemoveAt(j);
                labels.RemoveAt(i);
                labels.Add(label);
                return TakeDiagonals(equation, operand, t, labels);
            }
        return (t, labels);
    }

    /// <summary>Every label's dims must agree in size across operands, up to size 1 (which broadcasts).</summary>
    static void CheckSizes(string equation, List<(Tensor T, List<int> Labels)> terms)
    {
        var seen = new Dictionary<int, (int Size, int Operand)>();
        for (int i = 0; i < terms.Count; i++)
            for (int d = 0; d < terms[i].Labels.Count; d++)
            {
                int label = terms[i].Labels[d], size = terms[i].T.Shape[d];
                if (!seen.TryGetValue(label, out var first) || first.Size == 1) seen[label] = (size, i);
                else if (size != 1 && size != first.Size)
                    throw EinsumEquation.Fail(equation, $"subscript '{EinsumEquation.Describe(label)}' has size {size} in operand {i} ({terms[i].T.Shape}) " +
                        $"but {first.Size} in operand {first.Operand}; sizes must match or be 1.");
            }
    }

    static (Tensor, List<int>) SumLabels((Tensor T, List<int> Labels) term, Func<int, bool> drop)
    {
        var dims = Enumerable.Range(0, term.Labels.Count).Where(d => drop(term.Labels[d])).ToArray();
        if (dims.Length == 0) return term;
        return (term.T.Sum(dims), term.Labels.Where(l => !drop(l)).ToList());
    }

    /// <summary>
    /// One pairwise contraction as a batched matmul: labels of both kept for later are batch dims, labels of both not
    /// kept are summed by the product, labels of one side only (kept) are its rows or columns.
    /// </summary>
    static (Tensor, List<int>) ContractPair((Tensor T, List<int> Labels) a, (Tensor T, List<int> Labels) b, HashSet<int> keep)
    {
        // A summed label of size 1 on one side only broadcasts: drop that dim there, and sum it on the other side.
        foreach (int l in a.Labels.Intersect(b.Labels).Where(l => !keep.Contains(l)).ToList())
        {
            int sa = a.T.Shape[a.Labels.IndexOf(l)], sb = b.T.Shape[b.Labels.IndexOf(l)];
            if (sa == sb) continue;
            if (sa == 1) a = SumLabels(a, m => m == l);
            else b = SumLabels(b, m => m == l);
        }
        a = SumLabels(a, l => !keep.Contains(l) && !b.Labels.Contains(l));
        b = SumLabels(b, l => !keep.Contains(l) && !a.Labels.Contains(l));
        var batch = a.Labels.Where(l => b.Labels.Contains(l) && keep.Contains(l)).ToList();
        var summed = a.Labels.Where(l => b.Labels.Contains(l) && !keep.Contains(l)).ToList();
        var rows = a.Labels.Where(l => !b.Labels.Contains(l)).ToList();
        var cols = b.Labels.Where(l => !a.Labels.Contains(l)).ToList();
        var left = Arrange(a, batch, rows, summed);
        var right = Arrange(b, batch, summed, cols);
        var product = left.MatMul(right);   // batch dims broadcast (size 1 against n)
        int[] shape = [.. product.Shape.ToArray()[..batch.Count], .. Sizes(a, rows), .. Sizes(b, cols)];
        return (product.Reshape(shape), [.. batch, .. rows, .. cols]);
    }

    /// <summary>The term permuted to (batch, first, second) and the last two groups merged: [...batch, |first|, |second|].</summary>
    static Tensor Arrange((Tensor T, List<int> Labels) term, List<int> batch, List<int> first, List<int> second)
    {
        var perm = batch.Concat(first).Concat(second).Select(l => term.Labels.IndexOf(l)).ToArray();
        var t = perm.Select((p, i) => p == i).All(x => x) ? term.T : term.T.Permute(perm);
        int[] shape = [.. Sizes(term, batch), Product(Sizes(term, first)), Product(Sizes(term, second))];
        return t.Reshape(shape);
    }

    static int[] Sizes((Tensor T, List<int> Labels) term, List<int> labels) => [.. labels.Select(l => term.T.Shape[term.Labels.IndexOf(l)])];

    static int Product(int[] sizes) => sizes.Aggregate(1, (p, s) => p * s);
}
