using System.Runtime.CompilerServices;
using Nabla.Primitives.Elementwise;

namespace Nabla.Backends.Cpu.Kernels.Codegen;

/// <summary>How the CPU runs a <see cref="FusedElementwise"/> op.</summary>
internal enum FusedKernelKind
{
    /// <summary>A generated kernel where every step has a vector form, else the tile interpreter (the default: the
    /// faster one wherever both run, bench/README.md compiled_elementwise).</summary>
    Auto,

    /// <summary>Always the tile interpreter (<see cref="FusedElementwiseKernel"/>).</summary>
    Interpreter,

    /// <summary>The generated kernel where one exists (as Auto; the interpreter where none does).</summary>
    Codegen,
}

/// <summary>
/// The switch between generated fused kernels and the tile interpreter: the environment variable
/// NABLA_FUSED_KERNEL=interpreter|codegen read at start-up, or <see cref="Kind"/> set by tests and the bench.
/// </summary>
internal static class FusedKernelMode
{
    /// <summary>The kind in force for the whole process.</summary>
    public static FusedKernelKind Kind { get; set; } = FromEnvironment();

    static FusedKernelKind FromEnvironment() => Environment.GetEnvironmentVariable("NABLA_FUSED_KERNEL")?.Trim().ToLowerInvariant() switch
    {
        "interpreter" => FusedKernelKind.Interpreter,
        "codegen" => FusedKernelKind.Codegen,
        _ => FusedKernelKind.Auto,
    };
}

/// <summary>
/// Per fused program (keyed by its operands array, which the op instances a replay makes share), the generated
/// kernel last looked up for one dtype and broadcast pattern, so a call finds it without building the process-wide
/// cache's signature key.
/// </summary>
internal sealed class FusedProgramKernels
{
    static readonly ConditionalWeakTable<int[], FusedProgramKernels> Table = new();

    sealed record Entry(Type DType, ulong Broadcast, Delegate? Kernel);

    Entry? last;

    /// <summary>The generated kernel of <paramref name="op"/> (null: none, the interpreter runs it).</summary>
    public static FusedBody<T>? For<T>(FusedElementwise op, int inputs, ulong broadcast) where T : unmanaged
    {
        var program = Table.GetValue(op.Operands, _ => new FusedProgramKernels());
        var entry = program.last;
        if (entry is null || entry.DType != typeof(T) || entry.Broadcast != broadcast)
            program.last = entry = new Entry(typeof(T), broadcast, FusedKernelGenerator.For<T>(op, inputs, broadcast));
        return (FusedBody<T>?)entry.Kernel;
    }
}
