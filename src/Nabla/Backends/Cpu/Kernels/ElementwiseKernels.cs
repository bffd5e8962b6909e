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
        table.AddEach<Add>(KernelDTypes.Numeric, static d => ElementwiseRuns.BinaryEntry<AddKernel>(d));
        table.AddEach<Sub>(KernelDTypes.Numeric, static d => ElementwiseRuns.BinaryEntry<SubKernel>(d));
        table.AddEach<Mul>(KernelDTypes.Numeric, static d => ElementwiseRuns.BinaryEntry<MulKernel>(d));
        table.AddEach<Div>(KernelDTypes.Floating, static d => ElementwiseRuns.BinaryEntry<DivKernel>(d));
        table.AddEach<Maximum>(KernelDTypes.Numeric, static d => ElementwiseRuns.BinaryEntry<MaximumKernel>(d));
        table.AddEach<Minimum>(KernelDTypes.Numeric, static d => ElementwiseRuns.BinaryEntry<MinimumKernel>(d));
        table.AddEach<Pow>(KernelDTypes.Numeric, static d => ElementwiseRuns.BinaryEntry<PowKernel>(d));
        table.AddEach<ReluBackward>(KernelDTypes.Numeric, static d => ElementwiseRuns.BinaryEntry<ReluBackwardKernel>(d));
        table.AddEach<TanhBackward>(KernelDTypes.Floating, static d => ElementwiseRuns.BinaryEntry<TanhBackwardKernel>(d));

        // y = f(x), same shape and dtype.
        table.AddEach<Neg>(KernelDTypes.Numeric, static d => ElementwiseRuns.UnaryEntry<NegKernel>(d));
        table.AddEach<Abs>(KernelDTypes.Numeric, static d => ElementwiseRuns.UnaryEntry<AbsKernel>(d));
        table.AddEach<Relu>(KernelDTypes.Numeric, static d => ElementwiseRuns.UnaryEntry<ReluKernel>(d));
        table.AddEach<Sqrt>(KernelDTypes.Floating, static d => ElementwiseRuns.UnaryEntry<SqrtKernel>(d));
        table.AddEach<Exp>(KernelDTypes.Floating, static d => ElementwiseRuns.UnaryEntry<ExpKernel>(d));
        table.AddEach<Log>(KernelDTypes.Floating, static d => ElementwiseRuns.UnaryEntry<LogKernel>(d));
        table.AddEach<Sin>(KernelDTypes.Floating, static d => ElementwiseRuns.UnaryEntry<SinKernel>(d));
        table.AddEach<Cos>(KernelDTypes.Floating, static d => ElementwiseRuns.UnaryEntry<CosKernel>(d));
        table.AddEach<Tan>(KernelDTypes.Floating, static d => ElementwiseRuns.UnaryEntry<TanKernel>(d));
        table.AddEach<Tanh>(KernelDTypes.Floating, static d => ElementwiseRuns.UnaryEntry<TanhKernel>(d));
        table.AddEach<Sigmoid>(KernelDTypes.Floating, static d => ElementwiseRuns.UnaryEntry<SigmoidKernel>(d));
        table.AddEach<Erf>(KernelDTypes.Floating, static d => ElementwiseRuns.UnaryEntry<ErfKernel>(d));
        table.AddEach<Gelu>(KernelDTypes.Floating, static d => ElementwiseRuns.UnaryEntry<GeluKernel>(d));
        table.Add<CtcLoss>(KernelDTypes.Floating, CtcKernel.Loss);
        table.Add<CtcLossGrad>(KernelDTypes.Floating, CtcKernel.Grad);
        table.AddEach<Log1p>(KernelDTypes.Floating, static d => ElementwiseRuns.UnaryEntry<Log1pKernel>(d));
        table.AddEach<Expm1>(KernelDTypes.Floating, static d => ElementwiseRuns.UnaryEntry<Expm1Kernel>(d));
        table.AddEach<Floor>(KernelDTypes.Numeric, static d => ElementwiseRuns.UnaryEntry<FloorKernel>(d));
        table.AddEach<Ceil>(KernelDTypes.Numeric, static d => ElementwiseRuns.UnaryEntry<CeilKernel>(d));
        table.AddEach<Trunc>(KernelDTypes.Numeric, static d => ElementwiseRuns.UnaryEntry<TruncKernel>(d));
        table.AddEach<Round>(KernelDTypes.Numeric, static d => ElementwiseRuns.UnaryEntry<RoundKernel>(d));
        table.AddEach<Sign>(KernelDTypes.Numeric, static d => ElementwiseRuns.UnaryEntry<SignKernel>(d));
        table.Add<PowScalar>(KernelDTypes.Numeric, (op, x) => PowScalarKernel.Run(op, x[0]));
        table.Add<Elu>(KernelDTypes.Floating, (op, x) => EluKernel.Run(op, x[0]));
        table.AddEach<FusedElementwise>(KernelDTypes.Floating, static _ => new KernelEntry((op, x) => FusedElementwiseKernel.Run((FusedElementwise)op, x),
            (op, x) => FusedElementwiseKernel.RunMany((FusedElementwise)op, x), null, (op, x, y) => FusedElementwiseKernel.Into((FusedElementwise)op, x, y),
            (op, x, into) => FusedElementwiseKernel.IntoMany((FusedElementwise)op, x, into)));

        // Other output dtypes: Bool comparisons; casts, chosen by the input's dtype.
        table.Add<Compare>(KernelDTypes.Numeric, (op, x) => CompareKernel.Run(op, x[0], x[1]));
        table.Add<Cast>(KernelDTypes.All, (op, x) => CopyKernel.Cast(x[0], op.To));
        // (cond, a, b): chosen by a's dtype, any dtype.
        table.Add<Where>(KernelDTypes.All, (_, x) => WhereDriver.Run(x[0], x[1], x[2]));
    }
}
