using System.Diagnostics;
using System.Reflection;

namespace Nabla.Engine;

/// <summary>
/// Finds the user's code on the current stack: the first frame outside the Nabla assembly. Costly
/// (a stack walk), so it is used only when an error is being built or under anomaly detection.
/// </summary>
internal static class CallSite
{
    static readonly Assembly Self = typeof(CallSite).Assembly;

    /// <summary>"File.cs:line" of the nearest caller outside Nabla, or "unknown location".</summary>
    public static string Describe()
    {
        var trace = new StackTrace(1, fNeedFileInfo: true);
        foreach (var frame in trace.GetFrames())
        {
            var method = frame.GetMethod();
            if (method?.DeclaringType is null || method.DeclaringType.Assembly == Self) continue;
            var file = frame.GetFileName();
            var name = $"{method.DeclaringType.Name}.{method.Name}";
            return file is null ? name : $"{name} ({Path.GetFileName(file)}:{frame.GetFileLineNumber()})";
        }
        return "unknown location";
    }
}

/// <summary>Builds the exceptions Nabla throws for bad input: op name, shapes/dtypes, caller, and advice.</summary>
internal static class Errors
{
    public static ArgumentException Arg(string op, string what) =>
        new($"{op}: {what} (called from {CallSite.Describe()})");

    public static InvalidOperationException State(string op, string what) =>
        new($"{op}: {what} (called from {CallSite.Describe()})");

    public static string Describe(Tensor t) => $"{Shape.Format(t.Shape.Span)} {t.DType.TorchName()}";
}
