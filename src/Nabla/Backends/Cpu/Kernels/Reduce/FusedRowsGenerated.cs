using System.Numerics;
using System.Runtime.Intrinsics;
using Nabla.Backends.Cpu.Kernels.Codegen;
using Nabla.Primitives.Reduce;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// A <see cref="FusedRows"/> op run by its generated row kernel (<see cref="RowKernelGenerator"/>): blocks of rows
/// (parallel over blocks, as the interpreter), each phase of <see cref="RowKernelPlan"/> in turn: its cell steps by the
/// interpreter's span kernels over the block's cells, then its row loop: where rows need no tail (whole four-vector
/// groups in one chunk, or whole vectors in a phase without reductions), one call of the phase's block kernel
/// (<see cref="RowBlockBody{T}"/>) for all the block's rows, its folds written straight to the rows' cells; else row
/// by row. A row is walked in chunks of
/// <see cref="ReduceDriver.ChunkLength"/> as eager's reduction walks it; in a chunk of at least four vectors the
/// four-accumulator loop takes the whole groups, the one-vector loop the rest, and the last partial vector runs on
/// zero-padded copies (as <see cref="FusedRun{T}"/>'s tails); the rest's reduced values are then added one by one, as
/// <see cref="RowReducer"/> adds its scalar tail, and a shorter chunk's values are reduced by RowReducer itself. One
/// instance per calling thread, reused, so a call below the parallel threshold allocates nothing but its output.
/// </summary>
internal sealed class FusedRowsGenerated<T> where T : unmanaged, INumber<T>
{
    [ThreadStatic] static FusedRowsGenerated<T>? idle;

    /// <summary>
    /// Elements per block: a block's rows stay in L2 between its phases (x and y at 32768 float32 take 256 KB), and each
    /// block pays its cell steps' span-kernel calls and each phase's entry set-up once, so fewer, larger blocks than the
    /// interpreter's cost less per row; the split over threads keeps at least two blocks per thread.
    /// </summary>
    const int BlockElements = 32768;

    FusedRows op = null!;
    FusedRowsPlan rowsPlan = null!;
    RowKernelPlan plan = null!;
    RowKernels<T> kernels = null!;
    RowInput<T>[] inputs = new RowInput<T>[4];
    T[] y = null!;
    int n, rows, block, widest;
    ulong splatInputs;
    readonly Action<int> blockBody;

    FusedRowsGenerated() => blockBody = Block;

    static int Width => Vector512.IsHardwareAccelerated ? Vector512<T>.Count : Vector256<T>.Count;

    /// <summary>Runs <paramref name="op"/> into <paramref name="y"/> with its generated kernel; false, with nothing
    /// written, when a row step has no vector form (the interpreter runs it).</summary>
    public static bool Run(FusedRows op, FusedRowsPlan rowsPlan, Tensor[] x, Tensor y)
    {
        if (x.Length > 64 || op.RowShape[^1] < RowKernelGenerator.MinRowVectors * Width) return false;
        var plan = RowKernelPlan.For(op);
        var run = idle ?? new FusedRowsGenerated<T>();
        idle = null;
        try
        {
            using var raw = Backends.RawAccess.Enter();
            if (!run.Set(op, rowsPlan, plan, x, y)) return false;
            int blocks = Math.Max(1, run.rows / run.block);
            if (blocks < 2 || (long)run.rows * run.n < CpuParallel.Threshold || CpuParallel.Threads <= 1)
                for (int b = 0; b < blocks; b++) run.Block(b);
            else
                CpuWorkers.For(blocks, Math.Min(CpuParallel.Threads, blocks) - 1, run.blockBody);
        }
        finally
        {
            run.Release();
            idle = run;
        }
        return true;
    }

    bool Set(FusedRows op, FusedRowsPlan rowsPlan, RowKernelPlan plan, Tensor[] x, Tensor yt)
    {
        (this.op, this.rowsPlan, this.plan) = (op, rowsPlan, plan);
        if (inputs.Length < x.Length) inputs = new RowInput<T>[x.Length];
        splatInputs = 0;
        for (int i = 0; i < x.Length; i++)
        {
            bool isRow = op.InputIsRow[i];
            // A row input is read by the generated loops (a run, a [n] vector or a splatted scalar); a cell input read
            // by a unary cell step's span kernel must be a run.
            inputs[i] = RowInput<T>.Of(x[i], op, isRow, !isRow && rowsPlan.NeedsDense[i]);
            // A row input broadcast along its rows (a scalar, or a cell expanded in the group) is splatted per row.
            if (isRow && inputs[i].Access is RowAccess.Scalar or RowAccess.Cell) splatInputs |= 1UL << i;
        }
        var found = FusedRowKernels.For<T>(op, plan, splatInputs);
        if (found is null) return false;
        kernels = found;
        n = op.RowShape[^1];
        y = yt.Data<T>();
        rows = yt.NumElements / (rowsPlan.IsRow[^1] ? n : 1);
        block = (BlockElements + n - 1) / n;
        if (CpuParallel.Threads > 1) block = Math.Min(block, Math.Max(1, rows / (2 * CpuParallel.Threads)));
        block = Math.Max(block, rowsPlan.InexactCellStep ? FusedRowsPlan.MinCells : 1);
        int blocks = Math.Max(1, rows / block);
        widest = rows - (blocks - 1) * block;
        return true;
    }

    // Drops the references to the tensors' arrays, which a thread's idle instance would otherwise keep alive.
    void Release()
    {
        Array.Clear(inputs);
        y = null!;
        op = null!;
        kernels = null!;
    }

    /// <summary>Block <paramref name="b"/> (a shorter rest joins the last block), on the calling thread's worker state.</summary>
    void Block(int b)
    {
        int blocks = Math.Max(1, rows / block);
        int first = b * block, count = b == blocks - 1 ? rows - first : block;
        var worker = FusedRowsWorker<T>.For(plan, n, widest, Width);
        for (int p = 0; p < plan.Phases.Length; p++)
        {
            var phase = plan.Phases[p];
            foreach (int k in phase.CellSteps) CellStep(worker, k, first, count);
            if (!phase.HasRows) continue;
            // Rows that need no tail (a whole number of four-vector groups in one chunk, or of vectors without
            // reductions) run in one call of the block kernel; others row by row.
            int group = phase.Reductions.Length > 0 ? 4 * Width : Width;
            bool wholeRows = n % group == 0 && n <= ReduceDriver.ChunkLength && RowKernelGenerator.BlockKernels;
            worker.Bind(this, phase, first, wholeRows);
            if (wholeRows) kernels.Block[p]!(worker.Arrays, worker.Offsets, worker.Bases, worker.PerRow, first, count, n);
            else
                for (int r = first; r < first + count; r++) Row(worker, p, phase, r, first);
            worker.Unbind();
        }
    }

    /// <summary>Cell step <paramref name="k"/> over the block's cells, by the span kernel eager code runs.</summary>
    void CellStep(FusedRowsWorker<T> worker, int k, int first, int count)
    {
        int slot = op.InputIsRow.Length + k;
        var dst = plan.CellBuffer[slot] < 0 ? y.AsSpan(first, count) : worker.Cells.AsSpan(plan.CellBuffer[slot] * widest, count);
        var a = CellOperand(worker, op.Operands[2 * k], first, count, out int sa);
        if (!op.IsBinary(k)) FusedElementwiseKernel.Unary(op.Steps[k], a, dst, op.Scalars[k]);
        else
        {
            var b = CellOperand(worker, op.Operands[2 * k + 1], first, count, out int sb);
            FusedElementwiseKernel.Binary(op.Steps[k], a, sa, b, sb, dst);
        }
    }

    ReadOnlySpan<T> CellOperand(FusedRowsWorker<T> worker, int slot, int first, int count, out int stride)
    {
        if (slot < op.InputIsRow.Length)
        {
            var operand = inputs[slot].Block(first, count, n);
            stride = operand.Stride;
            return operand.Span;
        }
        stride = 1;
        return worker.Cells.AsSpan(plan.CellBuffer[slot] * widest, count);
    }

    /// <summary>Where entry data of a phase lies for row r: (array, offset at row 0, elements per row). With
    /// <paramref name="wholeRows"/> a fold is the row's reduced value itself: the output's cell, or its cell block.</summary>
    internal (T[] Array, int Base, int PerRow) Home(RowEntry entry, FusedRowsWorker<T> worker, int first, bool wholeRows)
    {
        int inputCount = op.InputIsRow.Length;
        switch (entry.Kind)
        {
            case RowEntryKind.Tail:
                return (worker.Tails, worker.TailIndex(entry.Slot), 0);
            case RowEntryKind.Fold when wholeRows:
                int cell = plan.CellBuffer[inputCount + entry.Slot];
                return cell < 0 ? (y, 0, 1) : (worker.Cells, cell * widest - first, 1);
            case RowEntryKind.Fold:
                return (worker.Folds, worker.FoldIndex(entry.Slot), 0);
        }
        int slot = entry.Slot;
        if (slot < inputCount)
        {
            var input = inputs[slot];
            return input.Access switch
            {
                RowAccess.Dense => (input.Data, input.Offset, input.IsCellSlot ? 1 : n),
                RowAccess.Cell => (input.Data, input.Offset, 1),
                _ => (input.Data, input.Offset, 0),
            };
        }
        if (plan.CellBuffer[slot] >= 0) return (worker.Cells, plan.CellBuffer[slot] * widest - first, 1);
        int buffer = plan.RowBuffer[slot];
        return buffer == RowKernelPlan.Output ? (y, 0, n) : (worker.RowScratch, (buffer * widest - first) * n, n);
    }

    void Row(FusedRowsWorker<T> worker, int p, RowPhase phase, int r, int first)
    {
        worker.AtRow(r);
        var vec = kernels.Vector[p]!;
        int width = Width;
        if (phase.Reductions.Length == 0)
        {
            int whole = n - n % width;
            if (whole > 0) vec(worker.Arrays, worker.Offsets, 0, whole);
            if (whole < n) worker.Padded(vec, op.InputIsRow.Length, splatInputs, whole, n - whole, 0);
            return;
        }
        var main = kernels.Main[p]!;
        for (int c0 = 0; c0 < n; c0 += ReduceDriver.ChunkLength)
        {
            int length = Math.Min(ReduceDriver.ChunkLength, n - c0);
            int groups = length >= 4 * width ? length - length % (4 * width) : 0;
            if (groups > 0) main(worker.Arrays, worker.Offsets, c0, groups);
            int tail = length - groups, full = tail - tail % width;
            if (full > 0) vec(worker.Arrays, worker.Offsets, c0 + groups, full);
            if (full < tail) worker.Padded(vec, op.InputIsRow.Length, splatInputs, c0 + groups + full, tail - full, full);
            for (int j = 0; j < phase.Reductions.Length; j++)
            {
                var reduction = op.Reductions[phase.Reductions[j]];
                var values = worker.Tails.AsSpan(worker.TailIndex(phase.Reductions[j]), tail);
                T value = groups > 0 ? Sequential(reduction, worker.Folds[worker.FoldIndex(phase.Reductions[j])], values) : Reduce(reduction, values);
                worker.Chunk[j] = c0 == 0 ? value : Combine(reduction, worker.Chunk[j], value);
            }
        }
        for (int j = 0; j < phase.Reductions.Length; j++)
        {
            int slot = op.InputIsRow.Length + phase.Reductions[j];
            if (plan.CellBuffer[slot] < 0) y[r] = worker.Chunk[j];
            else worker.Cells[plan.CellBuffer[slot] * widest + r - first] = worker.Chunk[j];
        }
    }

    static T Sequential(RowReduction reduction, T acc, ReadOnlySpan<T> values) => reduction switch
    {
        RowReduction.Sum => RowFold.Sequential<T, ReduceOps.Sum<T>>(acc, values),
        RowReduction.Max => RowFold.Sequential<T, ReduceOps.Max<T>>(acc, values),
        _ => RowFold.Sequential<T, ReduceOps.Min<T>>(acc, values),
    };

    static T Reduce(RowReduction reduction, ReadOnlySpan<T> values) => reduction switch
    {
        RowReduction.Sum => RowReducer.Reduce<T, ReduceOps.Sum<T>>(values),
        RowReduction.Max => RowReducer.Reduce<T, ReduceOps.Max<T>>(values),
        _ => RowReducer.Reduce<T, ReduceOps.Min<T>>(values),
    };

    static T Combine(RowReduction reduction, T a, T b) => reduction switch
    {
        RowReduction.Sum => ReduceOps.Sum<T>.Invoke(a, b),
        RowReduction.Max => ReduceOps.Max<T>.Invoke(a, b),
        _ => ReduceOps.Min<T>.Invoke(a, b),
    };
}
