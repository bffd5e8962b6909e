using Nabla.Primitives.Elementwise;
using Nabla.Primitives.Special;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// CPU kernels of the elementwise primitives (kernel code in <c>Kernels/Elementwise</c>). The dtypes match
/// each op's <c>SupportsIntegers</c>: the front end casts integer inputs to float32 for float-only ops.
/// </summary>
internal static class ElementwiseKernels
{
    public static void Register(KernelTable table)
    {
        // y = f(a, b) on two inputs of one shape and dtype (the front end broadcasts and promotes).
        table.AddBinary<Add>(KernelDTypes.Numeric, static d => ElementwiseRuns.BinaryEntry<AddKernel>(d));
        table.AddBinary<Sub>(KernelDTypes.Numeric, static d => ElementwiseRuns.BinaryEntry<SubKernel>(d));
        table.AddBinary<Mul>(KernelDTypes.Numeric, static d => ElementwiseRuns.BinaryEntry<MulKernel>(d));
        table.AddBinary<Div>(KernelDTypes.Floating, static d => ElementwiseRuns.BinaryEntry<DivKernel>(d));
        table.AddBinary<Maximum>(KernelDTypes.Numeric, static d => ElementwiseRuns.BinaryEntry<MaximumKernel>(d));
        table.AddBinary<Minimum>(KernelDTypes.Numeric, static d => ElementwiseRuns.BinaryEntry<MinimumKernel>(d));
        table.AddBinary<Pow>(KernelDTypes.Numeric, static d => ElementwiseRuns.BinaryEntry<PowKernel>(d));
        table.AddBinary<ReluBackward>(KernelDTypes.Numeric, static d => ElementwiseRuns.BinaryEntry<ReluBackwardKernel>(d));
        table.AddBinary<TanhBackward>(KernelDTypes.Floating, static d => ElementwiseRuns.BinaryEntry<TanhBackwardKernel>(d));

        // y = f(x), same shape and dtype.
        table.AddUnary<Neg>(KernelDTypes.Numeric, static d => ElementwiseRuns.UnaryEntry<NegKernel>(d));
        table.AddUnary<Abs>(KernelDTypes.Numeric, static d => ElementwiseRuns.UnaryEntry<AbsKernel>(d));
        table.AddUnary<Relu>(KernelDTypes.Numeric, static d => ElementwiseRuns.UnaryEntry<ReluKernel>(d));
        table.AddUnary<Sqrt>(KernelDTypes.Floating, static d => ElementwiseRuns.UnaryEntry<SqrtKernel>(d));
        table.AddUnary<Exp>(KernelDTypes.Floating, static d => ElementwiseRuns.UnaryEntry<ExpKernel>(d));
        table.AddUnary<Log>(KernelDTypes.Floating, static d => ElementwiseRuns.UnaryEntry<LogKernel>(d));
        table.AddUnary<Sin>(KernelDTypes.Floating, static d => ElementwiseRuns.UnaryEntry<SinKernel>(d));
        table.AddUnary<Cos>(KernelDTypes.Floating, static d => ElementwiseRuns.UnaryEntry<CosKernel>(d));
        table.AddUnary<Tanh>(KernelDTypes.Floating, static d => ElementwiseRuns.UnaryEntry<TanhKernel>(d));
        table.AddUnary<Sigmoid>(KernelDTypes.Floating, static d => ElementwiseRuns.UnaryEntry<SigmoidKernel>(d));
        table.AddUnary<Erf>(KernelDTypes.Floating, static d => ElementwiseRuns.UnaryEntry<ErfKernel>(d));
        table.AddUnary<Gelu>(KernelDTypes.Floating, static d => ElementwiseRuns.UnaryEntry<GeluKernel>(d));
        table.Add<PowScalar>(KernelDTypes.Numeric, (op, x) => PowScalarKernel.Run(op, x[0]));

        // Other output dtypes: Bool comparisons; casts, chosen by the input's dtype.
        table.Add<Compare>(KernelDTypes.Numeric, (op, x) => CompareKernel.Run(op, x[0], x[1]));
        table.Add<Cast>(KernelDTypes.All, (op, x) => CopyKernel.Cast(x[0], op.To));
        // (cond, a, b): chosen by a's dtype, any dtype.
        table.Add<Where>(KernelDTypes.All, (_, x) => WhereDriver.Run(x[0], x[1], x[2]));
    }
}
