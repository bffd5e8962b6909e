using System.Numerics;
using Nabla.Backends.Cpu.Kernels.Codegen;
using Nabla.Primitives.Elementwise;
using Nabla.Primitives.Reduce;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// CPU kernel of <see cref="FusedRows"/>. Where every row step has a vector form (and rows are at least
/// <see cref="RowKernelGenerator.MinRowVectors"/> vectors long), the program's generated row kernel
/// (<see cref="FusedRowsGenerated{T}"/>; <see cref="FusedKernelMode"/> can force the interpreter). Otherwise an
/// interpreter: the rows are walked in blocks of a few rows (about 32 KB, parallel over
/// blocks), each step runs on the block with the intermediates in per-thread scratch blocks (so a row is read from
/// memory once and stays in L1/L2 while its reductions and the steps after them run), and only the last step writes
/// the output. The bits are eager code's: an elementwise step runs the span kernel eager code runs (a row step on the
/// whole block, or row by row with a cell as a stride-0 operand, as the eager driver walks a broadcast), and a
/// reduction reduces each row with <see cref="ReduceDriver.ReduceRow{T, TOp}"/>, in the order eager's sum and amax take.
/// </summary>
internal static class FusedRowsKernel
{
    const int BlockElements = 8192;

    public static Tensor Run(FusedRows op, Tensor[] x)
    {
        var plan = FusedRowsPlan.For(op);
        var outShape = plan.IsRow[^1] ? op.RowShape : op.CellShape();
        var y = CpuTensor.Empty(x[0].DType, new Shape(outShape));
        if (y.DType == DType.Float32) Run<float>(op, plan, x, y);
        else if (y.DType == DType.Float64) Run<double>(op, plan, x, y);
        else throw new NotSupportedException($"{op.Name}: no kernel for {y.DType.TorchName()}");
        return y;
    }

    static void Run<T>(FusedRows op, FusedRowsPlan plan, Tensor[] x, Tensor y) where T : unmanaged, INumber<T>
    {
        if (FusedKernelMode.Kind != FusedKernelKind.Interpreter && FusedRowsGenerated<T>.Run(op, plan, x, y)) return;
        using var raw = Backends.RawAccess.Enter();
        int n = op.RowShape[^1];
        int rows = y.NumElements / (plan.IsRow[^1] ? n : 1);
        var inputs = new RowInput<T>[x.Length];
        for (int i = 0; i < x.Length; i++) inputs[i] = RowInput<T>.Of(x[i], op, plan.IsRow[i], plan.NeedsDense[i]);
        int block = Math.Max((BlockElements + n - 1) / n, plan.InexactCellStep ? FusedRowsPlan.MinCells : 1);
        // Whole blocks; a shorter rest joins the block before it (so every block keeps at least `block` rows).
        int blocks = Math.Max(1, rows / block);
        int widest = rows - (blocks - 1) * block;
        var yd = y.Data<T>();
        var program = new Program<T>(op, plan, inputs, yd, n, widest);
        if (blocks < 2 || (long)rows * n < CpuParallel.Threshold || CpuParallel.Threads <= 1)
            for (int b = 0; b < blocks; b++) program.Block(b * block, b == blocks - 1 ? rows - b * block : block);
        else
            CpuWorkers.For(blocks, Math.Min(CpuParallel.Threads, blocks) - 1,
                b => program.Block(b * block, b == blocks - 1 ? rows - b * block : block));
    }

    /// <summary>The program run over one block of rows at a time.</summary>
    sealed class Program<T>(FusedRows op, FusedRowsPlan plan, RowInput<T>[] inputs, T[] y, int n, int widest) where T : unmanaged, INumber<T>
    {
        public void Block(int first, int count)
        {
            int rowBlock = widest * n;
            var scratch = Scratch<T>.Get(plan.RowBuffers * rowBlock + plan.CellBuffers * widest, 0);
            for (int k = 0; k < op.Steps.Length; k++)
            {
                int slot = inputs.Length + k;
                bool isRow = plan.IsRow[slot];
                int length = isRow ? count * n : count;
                var dst = plan.Buffer[k] < 0 ? y.AsSpan(first * (isRow ? n : 1), length)
                    : isRow ? scratch.Slice(plan.Buffer[k] * rowBlock, length)
                    : scratch.Slice(plan.RowBuffers * rowBlock + plan.Buffer[k] * widest, length);
                var a = Read(op.Operands[2 * k], first, count, scratch, rowBlock);
                if (op.Reductions[k] != RowReduction.None) Reduce(op.Reductions[k], a.Span, dst, count);
                else if (!op.IsBinary(k)) FusedElementwiseKernel.Unary(op.Steps[k], a.Span, dst, op.Scalars[k]);
                else
                {
                    var b = Read(op.Operands[2 * k + 1], first, count, scratch, rowBlock);
                    if (!isRow || (a.Whole && b.Whole)) FusedElementwiseKernel.Binary(op.Steps[k], a.Span, a.Stride, b.Span, b.Stride, dst);
                    else
                        for (int r = 0; r < count; r++)
                            RowBinary(op.Steps[k], a.Row(r, n), b.Row(r, n), dst.Slice(r * n, n));
                }
            }
        }

        /// <summary>The block of slot <paramref name="slot"/>: an input's, or a step's scratch block.</summary>
        Operand<T> Read(int slot, int first, int count, Span<T> scratch, int rowBlock)
        {
            if (slot < inputs.Length) return inputs[slot].Block(first, count, n);
            int k = slot - inputs.Length;
            bool isRow = plan.IsRow[slot];
            var span = isRow ? scratch.Slice(plan.Buffer[k] * rowBlock, count * n) : scratch.Slice(plan.RowBuffers * rowBlock + plan.Buffer[k] * widest, count);
            return new Operand<T>(span, isRow || n == 1 ? RowAccess.Dense : RowAccess.Cell);
        }

        void Reduce(RowReduction reduction, ReadOnlySpan<T> rowsIn, Span<T> cells, int count)
        {
            for (int r = 0; r < count; r++)
            {
                var row = rowsIn.Slice(r * n, n);
                // A one-element row is its own reduction: eager's reduce copies it (a sum from 0 would turn -0 into +0).
                cells[r] = n == 1 ? row[0] : reduction switch
                {
                    RowReduction.Sum => ReduceDriver.ReduceRow<T, ReduceOps.Sum<T>>(row),
                    RowReduction.Max => ReduceDriver.ReduceRow<T, ReduceOps.Max<T>>(row),
                    _ => ReduceDriver.ReduceRow<T, ReduceOps.Min<T>>(row),
                };
            }
        }

        static void RowBinary(FusedStep step, Operand<T> a, Operand<T> b, Span<T> dst)
        {
            if (a.Stride == 0 && b.Stride == 0)
            {
                // Both broadcast along the row: one value, as the eager driver's run of stride-0 operands gives.
                FusedElementwiseKernel.Binary(step, a.Span[..1], 1, b.Span[..1], 1, dst[..1]);
                dst.Fill(dst[0]);
                return;
            }
            FusedElementwiseKernel.Binary(step, a.Span, a.Stride, b.Span, b.Stride, dst);
        }
    }
}
