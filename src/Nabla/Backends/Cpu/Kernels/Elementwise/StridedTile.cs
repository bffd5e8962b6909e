namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// A fused kernel's input that is neither contiguous nor one broadcast scalar (a per-channel <c>[C, 1, 1]</c> bias
/// expanded over <c>[B, C, H, W]</c>, an <c>[N, 1]</c> column over <c>[N, M]</c>, a transpose): its layout with the
/// dims of size one dropped and neighbours that walk memory as one dim merged, and a copy of any range of its
/// elements, in the output's order, into a contiguous tile (constant runs filled, unit-stride runs copied).
/// </summary>
internal sealed class StridedTile
{
    int[] _dims = new int[4], _strides = new int[4];
    int _rank, _offset;

    /// <summary>Takes <paramref name="x"/>'s layout (a reused instance allocates only for a higher rank than before).</summary>
    public void Set(Tensor x)
    {
        if (_dims.Length < x.Rank) (_dims, _strides) = (new int[x.Rank], new int[x.Rank]);
        _rank = 0;
        _offset = x.Offset;
        for (int d = 0; d < x.Rank; d++)
        {
            if (x.Shape[d] == 1) continue;
            if (_rank > 0 && _strides[_rank - 1] == x.Strides[d] * x.Shape[d])
            {
                _dims[_rank - 1] *= x.Shape[d];
                _strides[_rank - 1] = x.Strides[d];
                continue;
            }
            (_dims[_rank], _strides[_rank]) = (x.Shape[d], x.Strides[d]);
            _rank++;
        }
        if (_rank == 0) (_dims[0], _strides[0], _rank) = (1, 0, 1);
    }

    /// <summary>Elements [start, start + tile.Length) of the tensor (row-major over its shape) from its array, into <paramref name="tile"/>.</summary>
    public void Gather<T>(T[] data, int start, Span<T> tile)
    {
        var dims = _dims.AsSpan(0, _rank);
        var strides = _strides.AsSpan(0, _rank);
        Span<int> index = stackalloc int[_rank];   // threads gather ranges of one input at once
        int at = _offset, rest = start;
        for (int d = _rank - 1; d >= 0; d--)
        {
            index[d] = rest % dims[d];
            rest /= dims[d];
            at += index[d] * strides[d];
        }
        int inner = _rank - 1, step = strides[inner];
        for (int done = 0; done < tile.Length;)
        {
            int run = Math.Min(dims[inner] - index[inner], tile.Length - done);
            var to = tile.Slice(done, run);
            if (step == 0) to.Fill(data[at]);
            else if (step == 1) data.AsSpan(at, run).CopyTo(to);
            else
                for (int k = 0; k < run; k++) to[k] = data[at + k * step];
            done += run;
            index[inner] += run;
            at += run * step;
            for (int d = inner; d > 0 && index[d] == dims[d]; d--)
            {
                at += strides[d - 1] - dims[d] * strides[d];
                index[d] = 0;
                index[d - 1]++;
            }
        }
    }
}
