using Nabla.Engine;

namespace Nabla.Distributed;

/// <summary>The check, once at set-up, that every rank trains the same parameters (count, order, dtypes, shapes).</summary>
internal static class ParameterLayout
{
    const int Width = 9;   // dtype, rank, up to 7 dims

    /// <summary>
    /// Gathers every rank's parameter count and then each parameter's dtype and shape, and throws on every rank the same
    /// <see cref="DistributedException"/> naming the first parameter that differs, what each rank has, and the caller.
    /// Bucketed all-reduces carry no per-call shape check, so a mismatch must be caught here, before data moves.
    /// </summary>
    public static void CheckSameOnEveryRank(ProcessGroup group, Tensor[] parameters, string[] names, string owner)
    {
        if (group.Size == 1) return;
        var counts = group.AllGather(Tensor.Full([], parameters.Length, DType.Int64)).ToArray<long>();
        if (counts.Any(c => c != counts[0]))
            throw new DistributedException($"{owner}: the ranks have different numbers of parameters ({string.Join(", ", counts.Select((c, r) => $"rank {r}: {c}"))}); " +
                $"every rank must build the same model (called at {CallSite.Describe()}).");
        var mine = new long[parameters.Length * Width];
        for (int i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            mine[i * Width] = (long)p.DType;
            mine[i * Width + 1] = p.Rank;
            for (int d = 0; d < Math.Min(p.Rank, Width - 2); d++) mine[i * Width + 2 + d] = p.Shape[d];
        }
        if (parameters.Length == 0) return;
        var all = group.AllGather(Tensor.FromArray(mine, [mine.Length])).ToArray<long>();
        for (int i = 0; i < parameters.Length; i++)
        {
            var described = Enumerable.Range(0, group.Size).Select(r => Describe(all.AsSpan((r * parameters.Length + i) * Width, Width))).ToArray();
            if (described.All(d => d == described[0])) continue;
            throw new DistributedException($"{owner}: {names[i]} differs across ranks ({string.Join("; ", described.Select((d, r) => $"rank {r}: {d}"))}); " +
                $"every rank must build the same model with the same shapes (called at {CallSite.Describe()}).");
        }
    }

    static string Describe(ReadOnlySpan<long> d)
    {
        var dims = new List<string>();
        for (int k = 0; k < Math.Min(d[1], Width - 2); k++) dims.Add(d[2 + k].ToString());
        if (d[1] > Width - 2) dims.Add("…");
        return $"{((DType)d[0]).TorchName()} [{string.Join(", ", dims)}]";
    }
}
