using Nabla.Primitives;
using Nabla.Primitives.Elementwise;
using Nabla.Primitives.Linalg;
using Nabla.Primitives.Reduce;

namespace Nabla.Graphs;

/// <summary>
/// The rules of the ops the graph passes make (fused elementwise programs, fused row programs, GEMM and convolution
/// epilogues, a convolution's fused input gradient and relu-gradient rows), so a graph with dynamic dims can be
/// generalized after its fusions. Each rule states the shape the op's CPU kernel gives; what a kernel or plan keeps
/// per program (tile plans, generated kernels, keyed on the program's arrays) holds no size, and the two ops whose
/// parameters hold sizes are rebuilt per size: a row program's row shape, a convolution epilogue's batch.
/// </summary>
internal sealed partial class ShapeRules
{
    bool FusedRule(int k, Primitive p) => p switch
    {
        // Every input has the output's shape (or is a broadcast view of that shape): an elementwise op's rule.
        FusedElementwise => Broadcast(out var shape) && Out(shape),
        FusedRows rows => FusedRowsRule(k, rows),
        MatMulEpilogue => MatMulEpilogueRule(),
        ConvEpilogue conv => ConvEpilogueRule(k, conv),
        MatMulFold fold => MatMulFoldRule(fold),
        ReluBackwardRows => ReluBackwardRowsRule(),
        _ => Fail($"the op {Name} has no rule for dynamic dimensions yet"),
    };

    /// <summary>
    /// A row program's rows are its inputs broadcast together (a cell input is [..., 1], a vector [n]); a dim no input
    /// has (a cell expanded to rows inside the program) is explained as an expand's would be. The result is a row or,
    /// when the last step is a reduction, a cell. Rebuilt per size: the kernel walks <see cref="FusedRows.RowShape"/>.
    /// </summary>
    bool FusedRowsRule(int k, FusedRows op)
    {
        var traced = op.RowShape;
        if (_op.Inputs.Any(id => _shapes[id]!.Length > traced.Length)) return Fail($"the op {Name} reads an input of a higher rank than its rows");
        var rows = new SymDim[traced.Length];
        SymDim[]? explained = null;
        for (int j = 1; j <= traced.Length; j++)
        {
            var dims = new List<SymDim>();
            foreach (var id in _op.Inputs)
                if (_shapes[id]!.Length >= j) dims.Add(_shapes[id]![^j]);
            if (!BroadcastDim(dims, out rows[^j])) return false;
            if (rows[^j] is { IsConst: true, Coeff: 1 } && traced[^j] != 1)
            {
                explained ??= ExplainShape(traced) ?? PerDim(traced);
                if (explained is null) return false;
                rows[^j] = explained[^j];
            }
        }
        if (!IsStatic(rows))
            Rebuild[k] = n => new FusedRows(Eval(rows, n), op.InputIsRow, op.Steps, op.Reductions, op.Operands, op.Scalars);
        if (op.SlotIsRow()[^1]) return Out(rows);
        var cells = (SymDim[])rows.Clone();
        cells[^1] = SymDim.Const(1);
        return Out(cells);
    }

    /// <summary>a [m, k] · b [k, n] + bias [1, n] (+ residual [m, n]): [m, n].</summary>
    bool MatMulEpilogueRule()
    {
        var (a, b) = (In(0), In(1));
        if (a.Length != 2 || b.Length != 2) return Fail($"the op {Name} on other ranks than 2");
        if (!Same(a[1], b[0])) return Conflict(a[1], b[0]);
        var shape = new[] { a[0], b[1] };
        for (int i = 2; i < _op.Inputs.Length; i++)
        {
            var x = In(i);
            if (x.Length != 2) return Fail($"the op {Name} with a bias or residual of rank {x.Length}");
            for (int d = 0; d < 2; d++)
                if (!BroadcastDim([shape[d], x[d]], out shape[d])) return false;
        }
        return Out(shape);
    }

    /// <summary>
    /// w [O, K] · cols [K, B·L] + bias [O, 1] (rank 3 with a leading 1 too): [O, B·L], or with <see cref="ConvEpilogue.Images"/>
    /// [B, O, OH, OW], B being the columns over the fixed L = OH·OW (the kernel's image blocks); rebuilt with each size's B.
    /// </summary>
    bool ConvEpilogueRule(int k, ConvEpilogue op)
    {
        var (w, cols, bias) = (In(0), In(1), In(2));
        int r = w.Length;
        if (r is not (2 or 3) || cols.Length != r || bias.Length != 2) return Fail($"the op {Name} on other ranks than a convolution's");
        if (!Same(w[r - 1], cols[r - 2])) return Conflict(w[r - 1], cols[r - 2]);
        if (!Same(bias[0], w[r - 2])) return Conflict(bias[0], w[r - 2]);
        if (!op.Images) return Out([w[r - 2], cols[r - 1]]);
        if (SymDim.Over(Canon(cols[r - 1]), SymDim.Const((long)op.OutH * op.OutW)) is not { } batch)
            return Fail($"the op {Name}'s columns {Show(cols[r - 1])} are no whole number of {op.OutH}x{op.OutW} images");
        if (!batch.IsConst)
            Rebuild[k] = n => new ConvEpilogue(op.BiasFirst, op.Activation, true, checked((int)batch.Eval(n)), op.OutH, op.OutW);
        return Out([batch, w[r - 2], SymDim.Const(op.OutH), SymDim.Const(op.OutW)]);
    }

    /// <summary>fold(a [R, K] · b [K, B·L]): the image gradient [B, C, H, W] of the fold's fixed geometry, B = (B·L) / L.</summary>
    bool MatMulFoldRule(MatMulFold op)
    {
        var (a, b) = (In(0), In(1));
        int r = a.Length;
        if (r is not (2 or 3) || b.Length != r) return Fail($"the op {Name} on other ranks than a convolution's");
        if (!Same(a[r - 1], b[r - 2])) return Conflict(a[r - 1], b[r - 2]);
        var g = op.Geometry;
        if (g.L == 0 || SymDim.Over(Canon(b[r - 1]), SymDim.Const(g.L)) is not { } batch)
            return Fail($"the op {Name}'s columns {Show(b[r - 1])} are no whole number of images");
        return Out([batch, SymDim.Const(g.C), SymDim.Const(g.H), SymDim.Const(g.W)]);
    }

    /// <summary>g, r [B, O, OH, OW] (one shape): the rows [O, B·OH·OW].</summary>
    bool ReluBackwardRowsRule()
    {
        if (!Broadcast(out var s)) return false;
        if (s.Length != 4 || Product([s[0], s[2], s[3]]) is not { } columns) return Fail($"the op {Name} on a shape it can't reorder to rows");
        return Out([s[1], columns]);
    }
}
