namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// The CPU backend's kernel table: every primitive the CPU runs, by dtype. Each group of ops registers
/// its kernels in its own file (<c>&lt;Group&gt;Kernels.Register</c>); adding an op's CPU kernel is one line
/// there. A group is registered on the first lookup of one of its primitives (by the primitive's
/// namespace), so a program pays start-up only for the kinds of ops it uses.
/// </summary>
internal static class CpuKernels
{
    static readonly Action<KernelTable> Elementwise = ElementwiseKernels.Register;
    static readonly Action<KernelTable> Movement = MovementKernels.Register;
    static readonly Action<KernelTable> Reduce = ReduceKernels.Register;
    static readonly Action<KernelTable> Index = IndexKernels.Register;
    static readonly Action<KernelTable> Linalg = LinalgKernels.Register;
    static readonly Action<KernelTable> Pool = PoolKernels.Register;
    static readonly Action<KernelTable> Random = RandomKernels.Register;
    static readonly Action<KernelTable> Writes = table =>
    {
        WriteKernels.Register(table);
        AdamKernel.Register(table);
    };
    static readonly Action<KernelTable> Creation = CreationKernels.Register;

    public static KernelTable Build() =>
        new(GroupOf, [Elementwise, Movement, Reduce, Index, Linalg, Pool, Random, Writes, Creation]);

    /// <summary>The group that registers a primitive's kernels, by the primitive's namespace (folder).</summary>
    static Action<KernelTable>? GroupOf(Type op) => op.Namespace switch
    {
        "Nabla.Primitives.Elementwise" or "Nabla.Primitives.Special" => Elementwise,
        "Nabla.Primitives.Movement" => Movement,
        "Nabla.Primitives.Reduce" => Reduce,
        "Nabla.Primitives.Index" => Index,
        "Nabla.Primitives.Linalg" => Linalg,
        "Nabla.Primitives.Pool" => Pool,
        "Nabla.Primitives.Random" => Random,
        "Nabla.Primitives.Write" => Writes,
        "Nabla.Primitives.Creation" => Creation,
        _ => null,
    };
}
