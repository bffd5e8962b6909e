using Nabla.Primitives.Creation;
using Nabla.Primitives.Movement;
using Nabla.Primitives.Random;

namespace Nabla.Graphs;

/// <summary>The rules of the ops whose parameters hold sizes, or whose shapes need more than a broadcast.</summary>
internal sealed partial class ShapeRules
{
    bool MatMulRule()
    {
        var (a, b) = (In(0), In(1));
        int r = a.Length;
        if (r < 2 || b.Length != r) return Fail("a matmul of other ranks than the front end makes");
        if (!Same(a[r - 1], b[r - 2])) return Conflict(a[r - 1], b[r - 2]);
        var shape = new SymDim[r];
        for (int d = 0; d < r - 2; d++)
        {
            if (!BroadcastDim([a[d], b[d]], out shape[d])) return false;
        }
        shape[r - 2] = a[r - 2];
        shape[r - 1] = b[r - 1];
        return Out(shape);
    }

    /// <summary>
    /// A reshape's target: dims equal to the input's at the front and at the back are those dims; the middle gets
    /// the rest of the element count: one dim takes it all, several are resolved by a value of the graph with that
    /// very shape, else by the only dim the dynamic part divides.
    /// </summary>
    SymDim[]? ReshapeRule(int[] target)
    {
        var input = In(0);
        if (Product(input) is not { } n) { Fail("a reshape of a value whose dynamic dims multiply a size by itself"); return null; }
        if (n.IsConst) return Static(target);
        var shape = new SymDim?[target.Length];
        int i0 = 0, j0 = 0, i1 = input.Length, j1 = target.Length;
        // Equal dims from the front and from the back are kept; a size-1 dim on either side is skipped (unsqueeze, squeeze).
        while (i0 < i1 && j0 < j1)
        {
            long size = symbols.TracedValue(input[i0]);
            if (size == target[j0]) shape[j0++] = input[i0++];
            else if (target[j0] == 1) shape[j0++] = SymDim.Const(1);
            else if (size == 1 && input[i0].IsConst) i0++;
            else break;
        }
        while (i1 > i0 && j1 > j0)
        {
            long size = symbols.TracedValue(input[i1 - 1]);
            if (size == target[j1 - 1]) shape[--j1] = input[--i1];
            else if (target[j1 - 1] == 1) shape[--j1] = SymDim.Const(1);
            else if (size == 1 && input[i1 - 1].IsConst) i1--;
            else break;
        }
        var rest = Product(input[i0..i1])!.Value;
        if (j1 - j0 == 1) shape[j0] = rest;
        else if (j1 == j0)
        {
            if (!(rest.IsConst && rest.Coeff == 1)) { Fail("a reshape that drops a dynamic dim"); return null; }
        }
        else if (!rest.IsConst)
        {
            if (ExplainShape(target) is { } known && Product(known) is { } p && Canon(p) == Canon(n)) return known;
            if (Why is not null) return null;
            long symbolic = symbols.TracedValue(rest with { Coeff = 1 });
            int only = -1;
            for (int j = j0; j < j1; j++)
                if (target[j] % symbolic == 0)
                {
                    if (only >= 0) { Fail($"a reshape to [{string.Join(", ", target)}]: more than one dim could hold the dynamic size"); return null; }
                    only = j;
                }
            if (only < 0) { Fail($"a reshape to [{string.Join(", ", target)}] that splits a dynamic size"); return null; }
            for (int j = j0; j < j1; j++) shape[j] = j == only ? new SymDim(target[j] / symbolic, rest.Symbols) : SymDim.Const(target[j]);
        }
        else
            for (int j = j0; j < j1; j++) shape[j] = SymDim.Const(target[j]);
        var result = shape.Select(d => d!.Value).ToArray();
        if (Product(result) is not { } m || Canon(m) != Canon(n)) { Fail($"a reshape to [{string.Join(", ", target)}] whose element count can't follow the dynamic dims"); return null; }
        return result;
    }

    /// <summary>An expand keeps the input's dims that are not 1; a new or size-1 dim takes its size from a value of the graph with that shape.</summary>
    SymDim[]? ExpandRule(int[] target)
    {
        var input = In(0);
        int lead = target.Length - input.Length;
        var shape = new SymDim?[target.Length];
        bool created = false;
        for (int j = 0; j < target.Length; j++)
        {
            int i = j - lead;
            if (i >= 0 && !(input[i].IsConst && input[i].Coeff == 1)) shape[j] = input[i];
            else if (target[j] == 1) shape[j] = SymDim.Const(1);
            else created = true;
        }
        if (created)
        {
            var known = ExplainShape(target) ?? PerDim(target);
            if (known is null) return null;
            for (int j = 0; j < target.Length; j++)
            {
                if (shape[j] is null) shape[j] = known[j];
                else if (!Same(shape[j]!.Value, known[j])) { Conflict(shape[j]!.Value, known[j]); return null; }
            }
        }
        return [.. shape.Select(d => d!.Value)];
    }

    bool SliceRule(int k, Slice slice)
    {
        var input = In(0);
        var shape = new SymDim[input.Length];
        for (int d = 0; d < input.Length; d++)
        {
            if (input[d].IsConst) shape[d] = SymDim.Const(slice.Count[d]);
            else if (slice.Start[d] == 0 && slice.Step[d] == 1 && slice.Count[d] == symbols.TracedValue(input[d])) shape[d] = input[d];
            else return Fail($"a slice of part of dynamic dim {d} of %{_op.Inputs[0]} {Format(_op.Inputs[0])}");
        }
        Rebuild[k] = n => new Slice(Eval(In0At(k), n), slice.Start, slice.Step, Eval(shape, n));
        return Out(shape);
    }

    bool PadRule(int k, Pad pad)
    {
        var input = In(0);
        var shape = new SymDim[input.Length];
        for (int d = 0; d < input.Length; d++)
        {
            if (input[d].IsConst) shape[d] = SymDim.Const(pad.OutputShape[d]);
            else if (pad.Start[d] == 0 && pad.Step[d] == 1 && pad.OutputShape[d] == symbols.TracedValue(input[d])) shape[d] = input[d];
            else return Fail($"a pad along dynamic dim {d} of %{_op.Inputs[0]} {Format(_op.Inputs[0])}");
        }
        Rebuild[k] = n => new Pad(Eval(In0At(k), n), Eval(shape, n), pad.Start, pad.Step);
        return Out(shape);
    }

    bool ConcatRule(int k, Concat concat)
    {
        int dim = concat.Dim;
        var first = In(0);
        var shape = (SymDim[])first.Clone();
        SymDim total = SymDim.Const(0);
        for (int i = 0; i < _op.Inputs.Length; i++)
        {
            var x = In(i);
            for (int d = 0; d < x.Length; d++)
                if (d != dim && !Same(first[d], x[d])) return Conflict(first[d], x[d]);
            var part = Canon(x[dim]);
            if (total.Coeff == 0 || total.Symbols == part.Symbols) total = new SymDim(total.Coeff + part.Coeff, part.Symbols | total.Symbols);
            else return Fail("a concatenation of a dynamic dim with other sizes along it");
        }
        shape[dim] = total;
        var ids = _op.Inputs;
        Rebuild[k] = n => new Concat(dim, [.. ids.Select(id => Eval(_shapes[id]!, n))]);
        return Out(shape);
    }

    /// <summary>Ops over a fixed window geometry (convolution's im2col, pooling): only the batch dim may be dynamic, and it is carried through.</summary>
    bool BatchFollows(int inPos, int outPos)
    {
        SymDim? batch = null;
        foreach (var id in _op.Inputs)
        {
            var x = _shapes[id]!;
            for (int d = 0; d < x.Length; d++)
            {
                if (x[d].IsConst) continue;
                if (d != inPos) return Fail($"the op {Name} has a fixed geometry, and only its batch dim may be dynamic (%{id} {Format(id)})");
                if (batch is null) batch = x[d];
                else if (!Same(batch.Value, x[d])) return Conflict(batch.Value, x[d]);
            }
        }
        foreach (var o in _op.Outputs)
        {
            var shape = Static(graph.Values[o].Shape);
            if (batch is { } b) shape[outPos] = b;
            Set(o, shape);
        }
        return true;
    }

    bool CreateRule(int k, CreationPrimitive p)
    {
        var target = p.Shape;
        if (target.All(d => d < 2 || !symbols.AnyArgumentTracedAt(d))) return Out(Static(target));
        var shape = ExplainShape(target) ?? PerDim(target);
        if (shape is null) return false;
        if (IsStatic(shape)) return Out(shape);
        Rebuild[k] = p switch
        {
            Full full => n => new Full(Eval(shape, n), full.DType, full.Value),
            RandomUniform r => n => new RandomUniform(Eval(shape, n), r.DType, r.Seed, r.Start),
            RandomNormal r => n => new RandomNormal(Eval(shape, n), r.DType, r.Seed, r.Start),
            RandomInt r => n => new RandomInt(Eval(shape, n), r.DType, r.Low, r.Low + (long)r.Range, r.Seed, r.Start),
            Arange a => n => new Arange(a.Start, a.Step, Eval(shape, n)[0], a.DType),
            _ => null,
        };
        return Rebuild[k] is not null ? Out(shape) : Fail($"the op {Name} makes a dynamic shape it can't rebuild");
    }
}
