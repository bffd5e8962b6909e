using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Nabla.Engine;

/// <summary>
/// The one warning a Debug build of Nabla prints when it loads: a project that references Nabla's project (not its
/// package) builds it in the configuration the app is built in, Debug unless told otherwise, and unoptimized kernels run
/// many times slower. Set the environment variable <c>NABLA_NO_DEBUG_WARNING=1</c> to silence it.
/// </summary>
internal static class DebugBuildNotice
{
    /// <summary>Whether this Nabla.dll was compiled without optimizations (a Debug build).</summary>
    public static bool IsDebugBuild { get; } =
        typeof(DebugBuildNotice).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled ?? false;

    /// <summary>The warning, or null for an optimized build.</summary>
    public static string? Message => IsDebugBuild
        ? "warning: Nabla.dll is a Debug build (compiled without optimizations): its kernels run many times slower " +
          "than a Release build's (the MNIST example trained 11-16x slower). Build and run your app with -c Release " +
          "(a project-referenced Nabla is then built in Release too), or use the Nabla package. " +
          "Set NABLA_NO_DEBUG_WARNING=1 to hide this."
        : null;

#pragma warning disable CA2255 // a library's module initializer: the notice must come before any use, once per process
    [ModuleInitializer]
    internal static void WarnOnLoad() => Warn(Console.Error, Environment.GetEnvironmentVariable("NABLA_NO_DEBUG_WARNING"));
#pragma warning restore CA2255

    /// <summary>Writes the warning to <paramref name="error"/> unless <paramref name="silence"/> (the variable's value) is "1".</summary>
    internal static void Warn(TextWriter error, string? silence)
    {
        if (Message is { } text && silence is not "1") error.WriteLine(text);
    }
}
