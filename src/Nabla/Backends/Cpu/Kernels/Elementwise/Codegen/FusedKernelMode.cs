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
/// kernel last looked up for one dtype and input pattern (broadcast or splatted inputs), so a call finds it without
/// building the process-wide cache's signature key. Elementwise and row programs keep separate tables.
/// </summary>
internal sealed class LastGeneratedKernel
{
    sealed record Entry(Type DType, ulong Pattern, object? Kernel);

    Entry? last;

    /// <summary>The kernel last stored for <paramref name="dtype"/> and <paramref name="pattern"/> (null: none, or none generated).</summary>
    public bool TryGet(Type dtype, ulong pattern, out object? kernel)
    {
        var entry = last;
        kernel = entry?.Kernel;
        return entry is not null && entry.DType == dtype && entry.Pattern == pattern;
    }

    public void Set(Type dtype, ulong pattern, object? kernel) => last = new Entry(dtype, pattern, kernel);
}

/// <summary>The generated kernel of a fused elementwise program (null: none, the interpreter runs it).</summary>
internal static class FusedProgramKernels
{
    static readonly ConditionalWeakTable<int[], LastGeneratedKernel> Table = new();

    public static FusedBody<T>? For<T>(FusedElementwise op, int inputs, ulong broadcast) where T : unmanaged
    {
        if (!KernelCodegen.IsSupported) return null;
        var slot = Table.GetValue(op.Operands, static _ => new LastGeneratedKernel());
        if (!slot.TryGet(typeof(T), broadcast, out var kernel))
            slot.Set(typeof(T), broadcast, kernel = FusedKernelGenerator.For<T>(op, inputs, broadcast));
        return (FusedBody<T>?)kernel;
    }
}
