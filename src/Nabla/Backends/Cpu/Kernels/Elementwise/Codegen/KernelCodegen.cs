using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Nabla.Backends.Cpu.Kernels.Codegen;

/// <summary>
/// Whether fused kernels may be generated as IL at run time. They are when the runtime JIT-compiles dynamic code
/// and the app is not trimmed: the generators find the runtime's vector helpers (Vector256.Add, ...) by reflection,
/// which trimming may remove, and NativeAOT would interpret the IL (the tile interpreter is the better choice there).
/// Nabla's package sets the switch <c>Nabla.Codegen.IsSupported</c> to false for trimmed and NativeAOT publishes, so the
/// trimmer drops the generators; everywhere else the interpreter and the generated kernels give the same bits.
/// </summary>
internal static class KernelCodegen
{
    [FeatureSwitchDefinition("Nabla.Codegen.IsSupported")]
    [FeatureGuard(typeof(RequiresDynamicCodeAttribute))]
    [FeatureGuard(typeof(RequiresUnreferencedCodeAttribute))]
    public static bool IsSupported { get; } =
        (!AppContext.TryGetSwitch("Nabla.Codegen.IsSupported", out bool on) || on) && RuntimeFeature.IsDynamicCodeCompiled;

    /// <summary>Why the generators carry <see cref="RequiresDynamicCodeAttribute"/> and <see cref="RequiresUnreferencedCodeAttribute"/>.</summary>
    public const string Why = "Emits IL and finds the runtime's vector helpers by reflection; called only when KernelCodegen.IsSupported.";
}
