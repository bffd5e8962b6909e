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

    [ThreadStatic] static string? _replaying;

    /// <summary>
    /// While a compiled function replays an op, the user's line it was traced from: errors, anomaly checks and
    /// nested traces name that line, not the line that called the compiled function. Null otherwise.
    /// </summary>
    public static string? Replaying { get => _replaying; set => _replaying = value; }

    /// <summary>
    /// "File.cs:line" of the nearest caller outside Nabla and outside the .NET libraries, or "unknown location".
    /// NB: the .NET frames are skipped too because Nabla itself calls through them (a LINQ Select whose lambda
    /// validates a dim): stopping at the first non-Nabla frame would name System.Linq instead of the user.
    /// When no frame is left (Nabla called only from .NET code), the first non-Nabla frame is named.
    /// </summary>
    public static string Describe()
    {
        if (_replaying is { } traced) return traced;
        // Walking the stack without file information is about a third of the cost with it; the same frame
        // (method and IL offset) always formats the same, so its text is looked up, and the file-information
        // walk runs once per distinct line (a trace describes every op it records).
        var frames = new StackTrace(1, fNeedFileInfo: false).GetFrames();
        int index = UserFrame(frames);
        if (index < 0) return "unknown location";
        var method = frames[index].GetMethod()!;
        var key = (method.MethodHandle.Value, frames[index].GetILOffset());
        if (Described.TryGetValue(key, out var known)) return known;
        // The same frame again, with file information: "skip" counts from this method's caller, as above.
        var withFile = new StackTrace(1, fNeedFileInfo: true).GetFrames();
        var text = Format(UserFrame(withFile) is var i and >= 0 ? withFile[i] : frames[index]);
        if (Described.Count < MaxDescribed) Described[key] = text;
        return text;
    }

    const int MaxDescribed = 1 << 16;
    static readonly System.Collections.Concurrent.ConcurrentDictionary<(IntPtr Method, int ILOffset), string> Described = new();

    /// <summary>The first frame outside Nabla and the .NET libraries, else the first outside Nabla, else -1.</summary>
    static int UserFrame(StackFrame[] frames)
    {
        int firstOutside = -1;
        for (int i = 0; i < frames.Length; i++)
        {
            var type = frames[i].GetMethod()?.DeclaringType;
            if (type is null || type.Assembly == Self) continue;
            if (firstOutside < 0) firstOutside = i;
            if (!IsRuntimeLibrary(type.Assembly)) return i;
        }
        return firstOutside;
    }

    static string Format(StackFrame frame)
    {
        var name = Readable(frame.GetMethod()!);
        var file = frame.GetFileName();
        return file is null ? name : $"{name} ({Path.GetFileName(file)}:{frame.GetFileLineNumber()})";
    }

    /// <summary>The .NET base libraries (System.*, Microsoft.*, mscorlib, netstandard): never the user's code.</summary>
    // Asked for every frame of every described call (traces describe every op): AssemblyName allocates, so remember.
    static readonly System.Collections.Concurrent.ConcurrentDictionary<Assembly, bool> RuntimeLibraries = new();

    static bool IsRuntimeLibrary(Assembly assembly) => RuntimeLibraries.GetOrAdd(assembly, IsRuntimeLibraryUncached);

    static bool IsRuntimeLibraryUncached(Assembly assembly)
    {
        var name = assembly.GetName().Name ?? "";
        return name is "System" or "mscorlib" or "netstandard"
            || name.StartsWith("System.", StringComparison.Ordinal) || name.StartsWith("Microsoft.", StringComparison.Ordinal);
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

    /// <summary>
    /// Returns <paramref name="dtype"/> when it is one of the <see cref="DType"/> members, else throws an
    /// error naming <paramref name="op"/> (a cast such as <c>(DType)99</c> would otherwise fail deep inside
    /// a kernel table or storage allocation).
    /// </summary>
    public static DType CheckDType(string op, DType dtype) => Enum.IsDefined(dtype) ? dtype
        : throw Arg(op, $"{(int)dtype} is not a dtype; use one of {string.Join(", ", Enum.GetNames<DType>())}.");
}
