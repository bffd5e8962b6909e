using Nabla.Primitives.Linalg;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>CPU kernels of the linalg primitives.</summary>
internal static class LinalgKernels
{
    public static void Register(KernelTable table)
    {
        table.Add<MatMul>(KernelDTypes.Numeric, (_, x) => MatMulKernel.Run(x[0], x[1]), (_, x, y) => MatMulKernel.RunInto(x[0], x[1], y));
        table.Add<MatMulEpilogue>(KernelDTypes.Floating, MatMulEpilogueKernel.Run, MatMulEpilogueKernel.Into);
        table.Add<ConvEpilogue>(KernelDTypes.Floating, ConvEpilogueKernel.Run, ConvEpilogueKernel.Into);
        table.Add<MatMulFold>(KernelDTypes.Floating, MatMulFoldKernel.Run, MatMulFoldKernel.Into);
        table.Add<ReluBackwardRows>(KernelDTypes.Numeric, ReluBackwardRowsKernel.Run, ReluBackwardRowsKernel.Into);
        table.AddMany<LinearSolve>(KernelDTypes.Floating, (_, x) => FactorizationKernels.Solve(x[0], x[1]));
        table.Add<Determinant>(KernelDTypes.Floating, (_, x) => FactorizationKernels.Det(x[0]));
        table.AddMany<LogAbsDet>(KernelDTypes.Floating, (_, x) => FactorizationKernels.SlogDet(x[0]));
        table.Add<Adjugate>(KernelDTypes.Floating, (_, x) => FactorizationKernels.Adjugate(x[0]));
        table.AddMany<CholeskyFactor>(KernelDTypes.Floating, (_, x) => FactorizationKernels.Cholesky(x[0]));
        table.Add<TriangularSolve>(KernelDTypes.Floating, (op, x) => FactorizationKernels.TriangularSolve(op, x[0], x[1]));
        table.Add<Qr>(KernelDTypes.Floating, (op, x) => DecompositionKernel.Run(x[0], [Piece.Total(op.Pieces)], op.Factor));
        table.Add<Eigh>(KernelDTypes.Floating, (op, x) => DecompositionKernel.Run(x[0], [Piece.Total(op.Pieces)], op.Factor));
        table.AddMany<FusedAttention>(KernelDTypes.Floating, FusedAttentionKernel.Forward);
        table.Add<FusedAttentionGrad>(KernelDTypes.Floating, FusedAttentionKernel.Backward);
        table.Add<Svd>(KernelDTypes.Floating, (op, x) => DecompositionKernel.Run(x[0], [Piece.Total(op.Pieces)], op.Factor));
    }
}
