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
            var name = Readable(method);
            return file is null ? name : $"{name} ({Path.GetFileName(file)}:{frame.GetFileLineNumber()})";
        }
        return "unknown location";
    }

    /// <summary>"Type.Method", with lambdas, local functions and async methods named after the method that contains them.</summary>
    static string Readable(MethodBase method)
    {
        var type = method.DeclaringType!;
        string name = method.Name;
        // Closures and async state machines are nested types with compiler names such as <>c__DisplayClass3_0 or <Run>d__5.
        while (type.Name.StartsWith('<') && type.DeclaringType is { } outer)
        {
            if (name == "MoveNext" && type.Name.IndexOf('>') is > 1 and var end) name = type.Name[1..end];
            type = outer;
        }
        // <Outer>b__0 is a lambda in Outer; <Outer>g__Local|3_0 is the local function Local in Outer.
        if (name.StartsWith('<') && name.IndexOf('>') is > 1 and var close)
        {
            var outerName = name[1..close];
            int local = name.IndexOf("g__", close, StringComparison.Ordinal);
            name = local > 0
                ? $"{outerName}.{name[(local + 3)..].Split('|')[0]}"
                : $"{outerName} (lambda)";
        }
        return $"{type.Name}.{name}";
    }
}

/// <summary>Builds the exceptions Nabla throws for bad input: op name, shapes/dtypes, caller, and advice.</summary>
internal static class Errors
{
    public static ArgumentException Arg(string op, string what) =>
        new($"{op}: {what} (called from {CallSite.Describe()})");

    public static InvalidOperationException State(string op, string what) =>
        new($"{op}: {what} (called from {CallSite.Describe()})");

    /// <summary>An op with no kernel for a dtype on a device (the backend does not implement it).</summary>
    public static NotSupportedException NoKernel(string op, DType dtype, Device device) =>
        new($"{op}: no kernel for {dtype.TorchName()} on device '{device}'. Move the tensors with To(Device.Cpu), " +
            $"or convert them with To(DType) to a dtype the op supports there (called from {CallSite.Describe()})");

    public static string Describe(Tensor t) => $"{Shape.Format(t.Shape.Span)} {t.DType.TorchName()}";
}
