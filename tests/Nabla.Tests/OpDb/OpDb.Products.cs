using Nabla.Backends.Reference;

namespace Nabla.Tests.OpDb;

internal static partial class OpDb
{
    static IEnumerable<OpInfo> ProductEntries()
    {
        yield return new OpInfo
        {
            Name = "Outer", Covers = ["Outer"], Op = x => x[0].Outer(x[1]), Reference = r => Make([3, 4], i => r[0][[i[0]]] * r[1][[i[1]]]),
            Samples = () => [new("vectors", [Samples.Uniform(131, [3]), Samples.Uniform(132, [4])])],
        };
        yield return new OpInfo
        {
            Name = "Bmm", Covers = ["Bmm"], Op = x => x[0].Bmm(x[1]),
            Reference = r => Make([2, 3, 2], i => Enumerable.Range(0, 4).Sum(k => r[0][[i[0], i[1], k]] * r[1][[i[0], k, i[2]]])),
            Samples = () => [new("batches", [Samples.Uniform(133, [2, 3, 4]), Samples.Uniform(134, [2, 4, 2])]), new("transposed", [Samples.Uniform(135, [2, 4, 3]).Transpose(1, 2), Samples.Uniform(136, [2, 4, 2])])],
        };
        yield return new OpInfo
        {
            Name = "AddMm", Covers = ["AddMm"], Op = x => Tensor.AddMm(x[0], x[1], x[2], beta: 0.5, alpha: 2),
            Reference = r => Make([3, 2], i => 0.5 * r[0][[i[1]]] + 2 * Enumerable.Range(0, 4).Sum(k => r[1][[i[0], k]] * r[2][[k, i[1]]])),
            Samples = () => [new("row bias", [Samples.Uniform(137, [2]), Samples.Uniform(138, [3, 4]), Samples.Uniform(139, [4, 2])])],
        };
        yield return new OpInfo
        {
            Name = "BaddBmm", Covers = ["BaddBmm"], Op = x => Tensor.BaddBmm(x[0], x[1], x[2]),
            Reference = r => Make([2, 3, 2], i => r[0][[i[0], i[1], i[2]]] + Enumerable.Range(0, 4).Sum(k => r[1][[i[0], i[1], k]] * r[2][[i[0], k, i[2]]])),
            Samples = () => [new("batches", [Samples.Uniform(140, [2, 3, 2]), Samples.Uniform(141, [2, 3, 4]), Samples.Uniform(142, [2, 4, 2])])],
        };
        yield return new OpInfo
        {
            Name = "Tensordot", Covers = ["Tensordot"], Op = x => x[0].Tensordot(x[1], 2) + x[0].Tensordot(x[1].Permute(1, 0, 2), [2, 1], [0, 1]),
            Reference = r => Make([2, 5], i => 2 * Enumerable.Range(0, 3).Sum(j => Enumerable.Range(0, 4).Sum(k => r[0][[i[0], j, k]] * r[1][[j, k, i[1]]]))),
            Samples = () => [new("rank 3", [Samples.Uniform(143, [2, 3, 4]), Samples.Uniform(144, [3, 4, 5])])],
        };
        yield return new OpInfo
        {
            Name = "Kron", Covers = ["Kron"], Op = x => x[0].Kron(x[1]),
            Reference = r => Make([6, 4], i => r[0][[i[0] / 3, i[1] / 2]] * r[1][[i[0] % 3, i[1] % 2]]),
            Samples = () => [new("matrices", [Samples.Uniform(145, [2, 2]), Samples.Uniform(146, [3, 2])])],
        };
    }
}
