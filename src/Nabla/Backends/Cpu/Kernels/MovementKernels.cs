using Nabla.Primitives.Movement;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// CPU kernels of the movement primitives. Expand, Permute and Slice are views (<c>TryView</c>) and have
/// no kernel; Reshape's kernel runs only when no view exists; Transfer is run by <c>Dispatch.Transfer</c>.
/// </summary>
internal static class MovementKernels
{
    public static void Register(KernelTable table)
    {
        table.Add<Reshape>(KernelDTypes.All, (op, x) => ReshapeKernel.Run(op, x[0]), (op, x, y) => ReshapeKernel.RunInto(op, x[0], y));
        table.Add<Copy>(KernelDTypes.All, (_, x) => CopyKernel.Contiguous(x[0]));
        table.Add<Flip>(KernelDTypes.All, (op, x) => FlipKernel.Run(op, x[0]));
        table.Add<Pad>(KernelDTypes.All, (op, x) => PadKernel.Run(op, x[0]));
        table.Add<Concat>(KernelDTypes.All, ConcatKernel.Run);
        table.Add<AsStrided>(KernelDTypes.All, (op, x) => StridedRegionKernel.AsStrided(op, x[0]));
        table.Add<StridedScatter>(KernelDTypes.All, (op, x) => StridedRegionKernel.Scatter(op, x[0], x[1]));
        table.Add<Unfold>(KernelDTypes.Floating, (op, x) => Im2ColKernel.RunUnfold(op, x[0]), (op, x, y) => Im2ColKernel.RunUnfoldInto(op, x[0], y));
        table.Add<Fold>(KernelDTypes.Floating, (op, x) => Im2ColKernel.RunFold(op, x[0]), (op, x, y) => Im2ColKernel.RunFoldInto(op, x[0], y));
    }
}
