using Nabla.Backends.Reference;

namespace Nabla.Tests.OpDb;

internal static partial class OpDb
{
    /// <summary>A reference array of <paramref name="shape"/> whose element at each index is <paramref name="at"/>(index).</summary>
    static RefArray Make(int[] shape, Func<int[], double> at)
    {
        var y = RefArray.Zeros(shape);
        for (int i = 0; i < y.Count; i++) y.Data[i] = at(y.Unravel(i));
        return y;
    }

    static bool[] EveryThird(int n) => [.. Enumerable.Range(0, n).Select(k => k % 3 == 0)];

    static int[] With(int[] idx, int dim, int value) { var c = (int[])idx.Clone(); c[dim] = value; return c; }

    static IEnumerable<OpSample> Rank3Samples()
    {
        yield return new("rank 3", [Samples.Uniform(101, [2, 3, 4])]);
        yield return new("permuted rank 3", [Samples.Uniform(102, [4, 2, 3]).Permute(1, 2, 0)]);
    }

    static IEnumerable<OpSample> MatrixSamples()
    {
        yield return new("matrix", [Samples.Uniform(103, [3, 4])]);
        yield return new("batch", [Samples.Uniform(104, [2, 4, 3])]);
        yield return new("non-contiguous", [Samples.Transposed(105, 4, 3)]);
    }

    static IEnumerable<OpInfo> PiecesEntries()
    {
        // [2, 3, 4] (or the permuted sample, also [2, 3, 4]).
        yield return new OpInfo { Name = "Flatten(1, 2)", Covers = ["Flatten"], Op = x => x[0].Flatten(1, 2), Reference = r => new RefArray(Make(r[0].Shape, i => r[0][i]).Data, [2, 12]), Samples = Rank3Samples };
        yield return new OpInfo { Name = "Unflatten", Covers = ["Unflatten"], Op = x => x[0].Unflatten(2, 2, -1), Reference = r => new RefArray(Make(r[0].Shape, i => r[0][i]).Data, [2, 3, 2, 2]), Samples = Rank3Samples };
        yield return new OpInfo
        {
            Name = "MoveDim", Covers = ["MoveDim"], Op = x => x[0].MoveDim(0, -1) * 2 + x[0].MoveDim([2, 0], [0, 1]).Permute(2, 0, 1),
            Reference = r => Make([3, 4, 2], i => 2 * r[0][[i[2], i[0], i[1]]] + r[0][[i[2], i[0], i[1]]]), Samples = Rank3Samples,
        };
        yield return new OpInfo
        {
            Name = "Split(size)", Covers = ["Split"], Op = x => Tensor.Concat([.. x[0].Split(3, dim: 2).Reverse()], 2),
            Reference = r => Make([2, 3, 4], i => i[2] == 0 ? r[0][With(i, 2, 3)] : r[0][With(i, 2, i[2] - 1)]), Samples = Rank3Samples,
        };
        yield return new OpInfo
        {
            Name = "Split(sections)", Covers = ["Split"], Op = x => x[0].Shape[1] == 3 ? Tensor.Concat([.. x[0].Split([1, 2], dim: 1).Reverse()], 1) : x[0].Split([x[0].Shape[1]], dim: 1)[0],
            Reference = r => Make([2, 3, 4], i => i[1] < 2 ? r[0][With(i, 1, i[1] + 1)] : r[0][With(i, 1, 0)]), Samples = Rank3Samples,
        };
        yield return new OpInfo
        {
            Name = "Chunk", Covers = ["Chunk"], Op = x => Tensor.Concat([.. x[0].Chunk(2, dim: -2).Reverse()], 1),
            Reference = r => Make([2, 3, 4], i => i[1] == 0 ? r[0][With(i, 1, 2)] : r[0][With(i, 1, i[1] - 1)]), Samples = Rank3Samples,
        };
        yield return new OpInfo
        {
            Name = "Unbind", Covers = ["Unbind"], Op = x => Tensor.Stack(x[0].Unbind(1), 0),
            Reference = r => Make([3, 2, 4], i => r[0][[i[1], i[0], i[2]]]), Samples = Rank3Samples,
        };
        yield return new OpInfo
        {
            Name = "Roll(dims)", Covers = ["Roll"], Op = x => x[0].Roll(1, 2) + 2 * x[0].Roll([-1, 2], [0, 1]),
            Reference = r => Make([2, 3, 4], i => r[0][With(i, 2, (i[2] + 3) % 4)] + 2 * r[0][[(i[0] + 1) % 2, (i[1] + 1) % 3, i[2]]]), Samples = Rank3Samples,
        };
        yield return new OpInfo
        {
            Name = "Roll(flat)", Covers = ["Roll"], Op = x => x[0].Roll(-5),
            Reference = r => Make([2, 3, 4], i => { int f = (i[0] * 12 + i[1] * 4 + i[2] + 5) % 24; return r[0][[f / 12, f / 4 % 3, f % 4]]; }), Samples = Rank3Samples,
        };
        yield return new OpInfo
        {
            Name = "Repeat", Covers = ["Repeat"], Op = x => x[0].Repeat(1, 2, 1, 2),
            Reference = r => Make([1, 4, 3, 8], i => r[0][[i[1] % 2, i[2], i[3] % 4]]), Samples = Rank3Samples,
        };
        yield return new OpInfo { Name = "Tile", Covers = ["Tile"], Op = x => x[0].Tile(2), Reference = r => Make([2, 3, 8], i => r[0][[i[0], i[1], i[2] % 4]]), Samples = Rank3Samples };
        yield return new OpInfo
        {
            Name = "RepeatInterleave", Covers = ["RepeatInterleave"],
            Op = x => x[0].RepeatInterleave(2, dim: 1)[.., ..3, ..] + x[0].RepeatInterleave(Tensor.FromArray(new long[] { 1, 0, 2 }, [3]), dim: 1) + x[0].RepeatInterleave(2).Reshape(2, 3, 8)[.., .., ..4],
            Reference = r => Make([2, 3, 4], i =>
            {
                int f = (i[0] * 24 + i[1] * 8 + i[2]) / 2;
                return r[0][With(i, 1, i[1] / 2)] + r[0][With(i, 1, i[1] == 0 ? 0 : 2)] + r[0][[f / 12, f / 4 % 3, f % 4]];
            }),
            Samples = Rank3Samples,
        };
        foreach (var (name, diagonal, lower) in new[] { ("Tril", 0, true), ("Tril", 1, true), ("Triu", -1, false), ("Triu", 2, false) })
            yield return new OpInfo
            {
                Name = $"{name}({diagonal})", Covers = [name], Op = x => lower ? x[0].Tril(diagonal) : x[0].Triu(diagonal),
                Reference = r => Make(r[0].Shape, i => (lower ? i[^1] - i[^2] <= diagonal : i[^1] - i[^2] >= diagonal) ? r[0][i] : 0),
                Samples = MatrixSamples,
            };
        yield return new OpInfo
        {
            Name = "Diag(vector)", Covers = ["Diag"], Op = x => x[0].Diag(1) + x[0].Diag(-1),
            Reference = r => Make([4, 4], i => (i[1] - i[0] == 1 ? r[0][[i[0]]] : 0) + (i[0] - i[1] == 1 ? r[0][[i[1]]] : 0)),
            Samples = () => [new("vector", [Samples.Uniform(106, [3])])],
        };
        yield return new OpInfo
        {
            Name = "Diag(matrix)", Covers = ["Diag"], Op = x => x[0].Diag(-1), Reference = r => Make([2], i => r[0][[i[0] + 1, i[0]]]),
            Samples = () => [new("matrix", [Samples.Uniform(107, [3, 4])]), new("non-contiguous", [Samples.Transposed(108, 3, 4)])],
        };
        yield return new OpInfo
        {
            Name = "DiagEmbed", Covers = ["DiagEmbed"], Op = x => x[0].DiagEmbed() + x[0].DiagEmbed(-1, 0, 2)[..3, .., 1..].Permute(1, 0, 2),
            Reference = r => Make([2, 3, 3], i => (i[1] == i[2] ? r[0][[i[0], i[1]]] : 0) + (i[1] - (i[2] + 1) == 1 ? r[0][[i[0], i[2] + 1]] : 0)),
            Samples = () => [new("batch of vectors", [Samples.Uniform(109, [2, 3])])],
        };
        yield return new OpInfo { Name = "Trace", Covers = ["Trace"], Op = x => x[0].Trace(), Reference = r => new RefArray([r[0][[0, 0]] + r[0][[1, 1]] + r[0][[2, 2]]], []), Samples = () => [new("matrix", [Samples.Uniform(110, [3, 4])]), new("non-contiguous", [Samples.Transposed(111, 4, 3)])] };
        yield return new OpInfo
        {
            Name = "MaskedFill", Covers = ["MaskedFill"], Op = x => x[0].MaskedFill(x[0].Gt(0.5), 7) + x[0].MaskedFill(x[0].Lt(0.0)[0], Tensor.Scalar(-1.0, x[0].DType)),
            Reference = r => Make(r[0].Shape, i => (r[0][i] > 0.5 ? 7 : r[0][i]) + (r[0][With(i, 0, 0)] < 0 ? -1 : r[0][i])), Samples = Rank3Samples,
        };
        yield return new OpInfo
        {
            // A fixed mask: the result's length depends on the mask's values, so a compiled function guards them (a mask made
            // from x would retrace for other values, by design).
            Name = "MaskedSelect", Covers = ["MaskedSelect"], Op = x => x[0].MaskedSelect(Tensor.FromArray(EveryThird(24), [2, 3, 4]).To(x[0].Device)),
            Reference = r => { var v = Enumerable.Range(0, r[0].Count).Where(k => k % 3 == 0).Select(k => r[0][r[0].Unravel(k)]).ToArray(); return new RefArray(v, [v.Length]); },
            Samples = Rank3Samples,
        };
        yield return new OpInfo
        {
            Name = "Take", Covers = ["Take"], Op = x => x[0].Take(Tensor.FromArray(new long[] { 0, 5, 23, 5 }, [2, 2]).To(x[0].Device)),
            Reference = r => Make([2, 2], i => { int f = new[] { 0, 5, 23, 5 }[i[0] * 2 + i[1]]; return r[0][[f / 12, f / 4 % 3, f % 4]]; }), Samples = Rank3Samples,
        };
        yield return new OpInfo
        {
            Name = "Meshgrid", Covers = ["Meshgrid"],
            Op = x => { var g = Tensor.Meshgrid([x[0], x[1]]); var h = Tensor.Meshgrid([x[0], x[1]], "xy"); return g[0] * g[1] + h[0].T * 2 + h[1].T; },
            Reference = r => Make([3, 4], i => r[0][[i[0]]] * r[1][[i[1]]] + 2 * r[0][[i[0]]] + r[1][[i[1]]]),
            Samples = () => [new("two vectors", [Samples.Uniform(112, [3]), Samples.Uniform(113, [4])])],
        };
    }
}
