namespace Nabla.Engine;

/// <summary>
/// The per-matrix info a factorization primitive returns (int32, 0 = fine, else LAPACK's 1-based position where it
/// failed) must be all zeros: otherwise an ArgumentException naming <see cref="Op"/>, the batch index of the first
/// bad matrix and <see cref="Problem"/>, with <c>{0}</c> replaced by that info value, plus the caller.
/// A check (not a kernel error), so a compiled function runs it again on every call.
/// </summary>
internal sealed record FactorizationCheck(string Op, string Problem) : ValueCheck
{
    public override void Run(Tensor t)
    {
        var info = Primitives.Index.IndexWalk.Values(t);
        for (int i = 0; i < info.Length; i++)
        {
            if (info[i] == 0) continue;
            var where = t.Rank == 0 ? "the matrix" : $"the matrix at batch index {Shape.Format(Unravel(i, t.Shape.ToArray()))}";
            throw Errors.Arg(Op, $"{where} {string.Format(System.Globalization.CultureInfo.InvariantCulture, Problem, info[i])}");
        }
    }

    static int[] Unravel(int flat, int[] shape)
    {
        var idx = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
        return idx;
    }
}
