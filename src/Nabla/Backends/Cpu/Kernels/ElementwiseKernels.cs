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
        table.AddBinary<Add, AddKernel>(KernelDTypes.Numeric);
        table.AddBinary<Sub, SubKernel>(KernelDTypes.Numeric);
        table.AddBinary<Mul, MulKernel>(KernelDTypes.Numeric);
        table.AddBinary<Div, DivKernel>(KernelDTypes.Floating);
        table.AddBinary<Maximum, MaximumKernel>(KernelDTypes.Numeric);
        table.AddBinary<Minimum, MinimumKernel>(KernelDTypes.Numeric);
        table.AddBinary<Pow, PowKernel>(KernelDTypes.Numeric);
        table.AddBinary<ReluBackward, ReluBackwardKernel>(KernelDTypes.Numeric);
        table.AddBinary<TanhBackward, TanhBackwardKernel>(KernelDTypes.Floating);

        // y = f(x), same shape and dtype.
        table.AddUnary<Neg, NegKernel>(KernelDTypes.Numeric);
        table.AddUnary<Abs, AbsKernel>(KernelDTypes.Numeric);
        table.AddUnary<Relu, ReluKernel>(KernelDTypes.Numeric);
        table.AddUnary<Sqrt, SqrtKernel>(KernelDTypes.Floating);
        table.AddUnary<Exp, ExpKernel>(KernelDTypes.Floating);
        table.AddUnary<Log, LogKernel>(KernelDTypes.Floating);
        table.AddUnary<Sin, SinKernel>(KernelDTypes.Floating);
        table.AddUnary<Cos, CosKernel>(KernelDTypes.Floating);
        table.AddUnary<Tanh, TanhKernel>(KernelDTypes.Floating);
        table.AddUnary<Sigmoid, SigmoidKernel>(KernelDTypes.Floating);
        table.AddUnary<Erf, ErfKernel>(KernelDTypes.Floating);
        table.AddUnary<Gelu, GeluKernel>(KernelDTypes.Floating);
        table.Add<PowScalar>(KernelDTypes.Numeric, (op, x) => PowScalarKernel.Run(op, x[0]));

        // Other output dtypes: Bool comparisons; casts, chosen by the input's dtype.
        table.Add<Compare>(KernelDTypes.Numeric, (op, x) => CompareKernel.Run(op, x[0], x[1]));
        table.Add<Cast>(KernelDTypes.All, (op, x) => CopyKernel.Cast(x[0], op.To));
        // (cond, a, b): chosen by a's dtype, any dtype.
        table.Add<Where>(KernelDTypes.All, (_, x) => WhereDriver.Run(x[0], x[1], x[2]));
    }
}
