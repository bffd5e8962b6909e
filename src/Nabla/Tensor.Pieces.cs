using Nabla.Engine;

namespace Nabla;

public partial class Tensor
{
    /// <summary>
    /// Dims <paramref name="startDim"/>..<paramref name="endDim"/> merged into one (torch.flatten; the defaults flatten
    /// everything into 1-D). A view where the layout allows, else a copy, as <see cref="Reshape"/>. A 0-d tensor becomes 1-D.
    /// </summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        if (Rank == 0) return Reshape(1);
        int s = NormalizeDim("Flatten", startDim), e = NormalizeDim("Flatten", endDim);
        if (s > e) throw Errors.Arg("Flatten", $"startDim {startDim} comes after endDim {endDim} (shape {Shape}); give startDim <= endDim.");
        var shape = new List<int>();
        for (int d = 0; d < s; d++) shape.Add(Shape[d]);
        int merged = 1;
        for (int d = s; d <= e; d++) merged *= Shape[d];
        shape.Add(merged);
        for (int d = e + 1; d < Rank; d++) shape.Add(Shape[d]);
        return Reshape([.. shape]);
    }

    /// <summary>
    /// Dim <paramref name="dim"/> split into <paramref name="sizes"/> (torch.unflatten), whose product must be its size;
    /// one size may be -1 (inferred).
    /// </summary>
    public Tensor Unflatten(int dim, params int[] sizes)
    {
        int d = NormalizeDim("Unflatten", dim);
        if (sizes.Length == 0) throw Errors.Arg("Unflatten", $"sizes is empty; give the sizes dim {dim} (of size {Shape[d]}) splits into.");
        var known = sizes.Where(v => v != -1).Aggregate(1L, (a, b) => a * b);
        int inferred = sizes.Count(v => v == -1);
        if (inferred > 1 || sizes.Any(v => v < -1) || (inferred == 0 ? known != Shape[d] : known == 0 || Shape[d] % known != 0))
            throw Errors.Arg("Unflatten", $"sizes [{string.Join(", ", sizes)}] do not split dim {dim} of size {Shape[d]} (shape {Shape}): their product must be {Shape[d]}, with at most one -1.");
        var full = sizes.Select(v => v == -1 ? (int)(Shape[d] / known) : v);
        return Reshape([.. Shape.ToArray().Take(d), .. full, .. Shape.ToArray().Skip(d + 1)]);
    }

    /// <summary>Dim <paramref name="source"/> moved to position <paramref name="destination"/>, the others keeping their order (torch.movedim; a view).</summary>
    public Tensor MoveDim(int source, int destination) => MoveDim([source], [destination]);

    /// <summary>Several dims moved at once (torch.movedim with sequences): <paramref name="sources"/>[i] goes to <paramref name="destinations"/>[i].</summary>
    public Tensor MoveDim(int[] sources, int[] destinations)
    {
        if (sources.Length != destinations.Length)
            throw Errors.Arg("MoveDim", $"{sources.Length} sources but {destinations.Length} destinations; give one destination per source.");
        var src = sources.Select(s => NormalizeDim("MoveDim", s)).ToArray();
        var dst = destinations.Select(s => NormalizeDim("MoveDim", s)).ToArray();
        if (src.Distinct().Count() != src.Length || dst.Distinct().Count() != dst.Length)
            throw Errors.Arg("MoveDim", $"sources [{string.Join(", ", sources)}] and destinations [{string.Join(", ", destinations)}] must each name a dim once.");
        var order = new int[Rank];
        Array.Fill(order, -1);
        for (int i = 0; i < src.Length; i++) order[dst[i]] = src[i];
        var rest = Enumerable.Range(0, Rank).Where(d => !src.Contains(d)).GetEnumerator();
        for (int i = 0; i < Rank; i++)
            if (order[i] < 0) { rest.MoveNext(); order[i] = rest.Current; }
        return Rank == 0 ? Alias() : Permute(order);
    }

    /// <summary>
    /// Pieces of <paramref name="splitSize"/> along <paramref name="dim"/>, the last smaller when the size does not divide
    /// (torch.split); each a view.
    /// </summary>
    public Tensor[] Split(int splitSize, int dim = 0)
    {
        int d = NormalizeDim("Split", dim);
        if (splitSize <= 0) throw Errors.Arg("Split", $"splitSize must be positive, not {splitSize}.");
        int n = Shape[d];
        var sizes = new List<int>();
        for (int start = 0; start < n; start += splitSize) sizes.Add(Math.Min(splitSize, n - start));
        if (n == 0) sizes.Add(0);
        return Split([.. sizes], dim);
    }

    /// <summary>Pieces of the given <paramref name="sections"/> sizes along <paramref name="dim"/>, which must add up to its size (torch.split with a list).</summary>
    public Tensor[] Split(int[] sections, int dim = 0)
    {
        int d = NormalizeDim("Split", dim);
        if (sections.Any(s => s < 0) || sections.Sum() != Shape[d])
            throw Errors.Arg("Split", $"sections [{string.Join(", ", sections)}] must be sizes >= 0 adding up to {Shape[d]}, the size of dim {dim} (shape {Shape}).");
        var pieces = new Tensor[sections.Length];
        for (int i = 0, start = 0; i < sections.Length; start += sections[i], i++) pieces[i] = Narrow(d, start, sections[i]);
        return pieces;
    }

    /// <summary>
    /// At most <paramref name="chunks"/> pieces along <paramref name="dim"/>, each of ⌈size / chunks⌉ but the last (torch.chunk:
    /// so 6 elements in 4 chunks give 3 pieces of 2).
    /// </summary>
    public Tensor[] Chunk(int chunks, int dim = 0)
    {
        int d = NormalizeDim("Chunk", dim);
        if (chunks <= 0) throw Errors.Arg("Chunk", $"chunks must be positive, not {chunks}.");
        int n = Shape[d];
        return Split(Math.Max(1, (n + chunks - 1) / chunks), d);
    }

    /// <summary>The slices along <paramref name="dim"/>, each without that dim (torch.unbind; views).</summary>
    public Tensor[] Unbind(int dim = 0)
    {
        int d = NormalizeDim("Unbind", dim);
        var pieces = new Tensor[Shape[d]];
        for (int i = 0; i < pieces.Length; i++) pieces[i] = Narrow(d, i, 1).Squeeze(d);
        return pieces;
    }

    /// <summary>
    /// The elements moved <paramref name="shifts"/> places along <paramref name="dim"/>, wrapping around (torch.roll); without
    /// a dim, along the flattened tensor, keeping the shape. Negative shifts move the other way.
    /// </summary>
    public Tensor Roll(int shifts, int? dim = null)
    {
        if (dim is null) return Rank == 0 ? Alias() : Reshape(-1).Roll([shifts], [0]).Reshape(Shape.ToArray());
        return Roll([shifts], [dim.Value]);
    }

    /// <summary>Rolls along several dims at once (torch.roll with sequences): <paramref name="shifts"/>[i] along <paramref name="dims"/>[i].</summary>
    public Tensor Roll(int[] shifts, int[] dims)
    {
        if (shifts.Length != dims.Length || dims.Length == 0)
            throw Errors.Arg("Roll", $"{shifts.Length} shifts for {dims.Length} dims; give one shift per dim (at least one).");
        var y = this;
        for (int i = 0; i < dims.Length; i++)
        {
            int d = NormalizeDim("Roll", dims[i]);
            int n = Shape[d];
            if (n == 0) continue;
            int s = ((shifts[i] % n) + n) % n;
            if (s != 0) y = Concat([y.Narrow(d, n - s, s), y.Narrow(d, 0, n - s)], d);
        }
        return ReferenceEquals(y, this) ? Alias() : y;
    }

    /// <summary>
    /// The tensor tiled <paramref name="repeats"/>[i] times along each dim (torch.Tensor.repeat): there must be at least as
    /// many repeats as dims, extra leading ones add dims. Copies. The gradient sums over the copies.
    /// </summary>
    public Tensor Repeat(params int[] repeats)
    {
        if (repeats.Length < Rank)
            throw Errors.Arg("Repeat", $"{repeats.Length} repeats for a tensor of rank {Rank} (shape {Shape}); give at least one per dim (use Tile to pad with ones).");
        if (repeats.Any(r => r < 0)) throw Errors.Arg("Repeat", $"repeats [{string.Join(", ", repeats)}] must be >= 0.");
        int lead = repeats.Length - Rank;
        var inner = new List<int>();
        var expanded = new List<int>();
        var final = new List<int>();
        for (int i = 0; i < repeats.Length; i++)
        {
            int size = i < lead ? 1 : Shape[i - lead];
            inner.Add(1); inner.Add(size);
            expanded.Add(repeats[i]); expanded.Add(size);
            final.Add(repeats[i] * size);
        }
        return Reshape([.. inner]).Expand([.. expanded]).Reshape([.. final]);
    }

    /// <summary>
    /// The tensor tiled <paramref name="dims"/>[i] times along each dim (torch.tile / numpy.tile): fewer entries than dims
    /// are padded with ones on the left, more add leading dims.
    /// </summary>
    public Tensor Tile(params int[] dims) =>
        Repeat(dims.Length >= Rank ? dims : [.. Enumerable.Repeat(1, Rank - dims.Length), .. dims]);

    /// <summary>
    /// Each element repeated <paramref name="repeats"/> times in place along <paramref name="dim"/> (torch.repeat_interleave:
    /// [1, 2] twice gives [1, 1, 2, 2]); without a dim, over the flattened tensor.
    /// </summary>
    public Tensor RepeatInterleave(int repeats, int? dim = null)
    {
        if (repeats < 0) throw Errors.Arg("RepeatInterleave", $"repeats must be >= 0, not {repeats}.");
        var x = dim is null ? Reshape(-1) : this;
        int d = dim is null ? 0 : NormalizeDim("RepeatInterleave", dim.Value);
        if (x.Rank == 0) x = x.Reshape(1);
        var shape = x.Shape.ToArray().ToList();
        shape.Insert(d + 1, repeats);
        return x.Unsqueeze(d + 1).Expand([.. shape]).Flatten(d, d + 1);
    }

    /// <summary>
    /// Element i repeated <paramref name="repeats"/>[i] times along <paramref name="dim"/> (torch.repeat_interleave with a
    /// tensor of counts, one per element of the dim). The counts are read on the host (a compiled function guards them).
    /// </summary>
    public Tensor RepeatInterleave(Tensor repeats, int? dim = null)
    {
        var x = dim is null ? Reshape(-1) : this;
        int d = dim is null ? 0 : NormalizeDim("RepeatInterleave", dim.Value);
        var counts = repeats.To(DType.Int64).Reshape(-1).ToArray<long>();
        if (counts.Length != x.Shape[d] || counts.Any(c => c < 0))
            throw Errors.Arg("RepeatInterleave", $"repeats holds {counts.Length} counts ({string.Join(", ", counts.Take(8))}{(counts.Length > 8 ? ", ..." : "")}) " +
                $"for dim {d} of size {x.Shape[d]}; give one count >= 0 per element.");
        var index = new long[counts.Sum()];
        for (int i = 0, k = 0; i < counts.Length; i++)
            for (long r = 0; r < counts[i]; r++) index[k++] = i;
        return x.IndexSelect(d, FromArray(index, [index.Length]).To(Device));
    }
}
