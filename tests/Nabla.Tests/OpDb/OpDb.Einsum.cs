using Nabla.Backends.Reference;

namespace Nabla.Tests.OpDb;

internal static partial class OpDb
{
    static OpInfo EinsumEntry(string name, string equation, string loops, params Tensor[][] samples) => new()
    {
        Name = $"Einsum({name})", Covers = ["Einsum"], Op = x => Tensor.Einsum(equation, x), Reference = r => LoopEinsum(loops, r),
        Samples = () => samples.Select((s, i) => new OpSample($"sample {i}", s)),
    };

    static IEnumerable<OpInfo> EinsumEntries()
    {
        var u = Samples.Uniform;
        yield return EinsumEntry("matmul", "ij,jk->ik", "ij,jk->ik", [u(400, [3, 4]), u(401, [4, 2])], [Samples.Transposed(402, 3, 4), u(403, [4, 2])]);
        yield return EinsumEntry("batch matmul", "bij,bjk->bik", "bij,bjk->bik", [u(404, [2, 3, 4]), u(405, [2, 4, 2])]);
        yield return EinsumEntry("batch-summed A Bt, implicit", "bij,bkj", "bij,bkj->ik", [u(406, [2, 3, 4]), u(407, [2, 5, 4]).Transpose(0, 1).Contiguous().Transpose(0, 1)]);
        yield return EinsumEntry("trace", "ii", "ii->", [u(408, [4, 4])], [Samples.Transposed(409, 3, 3)]);
        yield return EinsumEntry("diagonal", "ii->i", "ii->i", [u(410, [4, 4])]);
        yield return EinsumEntry("outer", "i,j", "i,j->ij", [u(411, [3]), u(412, [4])]);
        yield return EinsumEntry("transpose", "ba", "ba->ab", [u(413, [3, 2])], [Samples.Transposed(414, 2, 3)]);
        yield return EinsumEntry("ellipsis matmul", "...ij,...jk->...ik", "zij,jk->zik", [u(415, [2, 3, 4]), u(416, [4, 2])]);
        yield return EinsumEntry("ellipsis diagonal", "...ii->...i", "zii->zi", [u(417, [2, 3, 3])]);
        yield return EinsumEntry("ellipsis summed", "i...->i", "izy->i", [u(418, [3, 2, 4])]);
        yield return EinsumEntry("bilinear", "bn,anm,bm->ba", "bn,anm,bm->ba", [u(419, [2, 3]), u(420, [4, 3, 5]), u(421, [2, 5])]);
        yield return EinsumEntry("sum only", "ijk->j", "ijk->j", [u(422, [2, 3, 4])]);
        yield return EinsumEntry("dot", "i,i", "i,i->", [u(423, [5]), u(424, [5])]);
        yield return EinsumEntry("chain", "ij,jk,kl->il", "ij,jk,kl->il", [u(425, [2, 3]), u(426, [3, 4]), u(427, [4, 2])]);
        yield return EinsumEntry("size-1 broadcast", "ij,ij->i", "ij,ij->i", [u(428, [3, 1]), u(429, [3, 4])], [u(430, [1, 4]), u(431, [3, 4])]);
        yield return EinsumEntry("kept size-1 broadcast", "bi,bj->bij", "bi,bj->bij", [u(432, [1, 3]), u(433, [2, 4])]);
        yield return EinsumEntry("repeated and summed", "iij,jk->k", "iij,jk->k", [u(434, [3, 3, 2]), u(435, [2, 4])]);
    }

    /// <summary>
    /// An einsum in plain loops over every assignment of every letter (letters only: the entries spell their "..." out).
    /// A letter's size is the largest of its dims; a size-1 dim reads its one element for every value (broadcasting).
    /// </summary>
    static RefArray LoopEinsum(string equation, RefArray[] ops)
    {
        var sides = equation.Split("->");
        var terms = sides[0].Split(',');
        string output = sides[1];
        var size = new Dictionary<char, int>();
        for (int i = 0; i < terms.Length; i++)
            for (int d = 0; d < terms[i].Length; d++)
                size[terms[i][d]] = Math.Max(size.GetValueOrDefault(terms[i][d], 1), ops[i].Shape[d]);
        var letters = size.Keys.ToArray();
        var y = RefArray.Zeros([.. output.Select(c => size[c])]);
        var value = new int[128];
        var counter = new int[letters.Length];
        long total = letters.Aggregate(1L, (p, c) => p * size[c]);
        for (long n = 0; n < total; n++)
        {
            for (int k = 0; k < letters.Length; k++) value[letters[k]] = counter[k];
            double product = 1;
            for (int i = 0; i < terms.Length; i++)
                product *= ops[i][[.. terms[i].Select((c, d) => ops[i].Shape[d] == 1 ? 0 : value[c])]];
            y.Data[y.Ravel([.. output.Select(c => value[c])])] += product;
            for (int k = letters.Length - 1; k >= 0; k--)
            {
                if (++counter[k] < size[letters[k]]) break;
                counter[k] = 0;
            }
        }
        return y;
    }
}
