using System.Diagnostics;
using System.Reflection;
using System.Diagnostics.CodeAnalysis;

namespace Nabla.Engine;

/// <summary>
/// Finds the user's code on the current stack: the first frame outside the Nabla assembly. Costly (a stack
/// walk): used when an error is being built, under anomaly detection, and for each op a trace records whose line may be
/// needed later (Tracer).
/// </summary>
[UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "A frame's method only names the caller in messages. Where trimming or NativeAOT left no metadata, GetMethod() returns null, such frames count as Nabla's and are skipped, and a message says \"unknown location\".")]
internal static class CallSite
{
    static readonly Assembly Self = typeof(CallSite).Assembly;

    [ThreadStatic] static SourceSite? _replaying;

    /// <summary>
    /// While a compiled function replays an op, the user's line it was traced from: errors, anomaly checks and
    /// nested traces name that line, not the line that called the compiled function (which they name where the trace did not
    /// record the op's line: <see cref="SourceSite.NotRecorded"/>). Null otherwise.
    /// </summary>
    public static SourceSite? Replaying { get => _replaying; set => _replaying = value; }

    /// <summary>
    /// "File.cs:line" of the nearest caller outside Nabla and outside the .NET libraries, or "unknown location".
    /// NB: the .NET frames are skipped too because Nabla itself calls through them (a LINQ Select whose lambda
    /// validates a dim): stopping at the first non-Nabla frame would name System.Linq instead of the user.
    /// When no frame is left (Nabla called only from .NET code), the first non-Nabla frame is named.
    /// </summary>
    public static string Describe() => Here().Text;

    /// <summary><see cref="Describe"/>'s site, made into text only when shown (a trace records one per op and shows few).</summary>
    public static SourceSite Here()
    {
        if (_replaying is { } traced)
        {
            if (traced.IsRecorded) return traced;
            // An op whose trace did not record its line: the user's line that called the compiled function, from the stack.
            _replaying = null;
            try { return SourceSite.CallerOfUnrecorded(Here()); }
            finally { _replaying = traced; }
        }
        // The user's frame is usually among the top frames: walk only those (TopFrames). Here, not in a helper method:
        // the walk's cost grows with each frame above the user's, and a trace walks once per op it records.
        // How deep the walk goes adapts per thread: it grows when the user's frame was deeper than the limit,
        // and shrinks back slowly, so code that calls from a deep stack pays one full walk, not one per call.
        int limit = Math.Max(_nearLimit, MinNearLimit);
        if (TopFrames.Walk(limit) is { } top)
        {
            int i = 0;
            while (i < top.Count && KindAt(top, i) != FrameKind.Nabla) i++;   // the runtime's own walking frames
            for (; i < top.Count; i++)
            {
                if (KindAt(top, i) != FrameKind.User) continue;
                _nearLimit = Math.Max(i + 1 + NearMargin, limit - 1);
                return Site((top.Handle(i), top.ILOffset(i)), top, i);
            }
            // Not found: the whole stack was walked (it is short and has no user frame) or the user is deeper.
            _nearLimit = Math.Min(limit * 2, MaxNearLimit);
        }
        var trace = new StackTrace(1, fNeedFileInfo: false);
        int index = UserFrame(trace);
        if (index < 0) return Unknown;
        var frame = trace.GetFrame(index)!;   // NB: GetFrame(i), not GetFrames(), which copies the array each call
        return Site((frame.GetMethod()!.MethodHandle.Value, frame.GetILOffset()), method: frame.GetMethod());
    }

    static readonly SourceSite Unknown = SourceSite.Known("unknown location");

    /// <summary>
    /// Whether the method that called <paramref name="callee"/> (skipping frames of <paramref name="passThrough"/>, such
    /// as accessors that may or may not be inlined) is outside Nabla: from a walk of the top frames, else (the runtime
    /// lacks that walk, or the frames are deeper) from the whole stack.
    /// </summary>
    public static bool CallerOutsideNabla(IntPtr callee, IntPtr[] passThrough)
    {
        if (TopFrames.Walk(24) is { } top)
        {
            int i = 0;
            while (i < top.Count && top.Handle(i) != callee) i++;
            for (i++; i < top.Count; i++)
                if (Array.IndexOf(passThrough, top.Handle(i)) < 0) return KindAt(top, i) != FrameKind.Nabla;
        }
        var trace = new StackTrace(fNeedFileInfo: false);
        bool past = false;
        for (int i = 0; i < trace.FrameCount; i++)
        {
            if (trace.GetFrame(i)!.GetMethod() is not { } method) continue;
            var handle = method.MethodHandle.Value;
            if (!past) past = handle == callee;
            else if (Array.IndexOf(passThrough, handle) < 0) return KindOf(handle, method) != FrameKind.Nabla;
        }
        return false;
    }

    [ThreadStatic] static int _nearLimit;
    const int MinNearLimit = 8, NearMargin = 2, MaxNearLimit = 256;

    /// <summary>
    /// The site of the user frame found, <paramref name="key"/> its method handle and IL offset; the frame's method is
    /// <paramref name="top"/>'s frame <paramref name="frame"/>, else <paramref name="method"/>. The same frame always
    /// gives the same site: it is looked up, and made once per distinct line, lazily (<see cref="SourceSite"/>) when the
    /// method's assembly is a file whose symbols can be read later; else now, from the stack with file information.
    /// </summary>
    static SourceSite Site((IntPtr Method, int ILOffset) key, TopFrames? top = null, int frame = -1, MethodBase? method = null)
    {
        if (Described.TryGetValue(key, out var known)) return known;
        method ??= top?.Method(frame);
        SourceSite site;
        if (method is not null && SourceSite.CanResolveLater(method)) site = SourceSite.At(method, key.ILOffset);
        else
        {
            // The same stack again, with file information: the frames above the caller's are Nabla's, which UserFrame skips.
            var withFile = new StackTrace(fNeedFileInfo: true);
            site = SourceSite.Known(UserFrame(withFile) is var i and >= 0 ? Format(withFile.GetFrame(i)!) : "unknown location");
        }
        if (Described.Count < MaxDescribed) Described[key] = site;
        return site;
    }

    const int MaxDescribed = 1 << 16;
    static readonly System.Collections.Concurrent.ConcurrentDictionary<(IntPtr Method, int ILOffset), SourceSite> Described = new();

    /// <summary>The first frame outside Nabla and the .NET libraries, else the first outside Nabla, else -1.</summary>
    static int UserFrame(StackTrace trace)
    {
        int firstOutside = -1;
        for (int i = 0; i < trace.FrameCount; i++)
        {
            var method = trace.GetFrame(i)!.GetMethod();
            var kind = method is null ? FrameKind.Nabla : KindOf(method.MethodHandle.Value, method);
            if (kind == FrameKind.Nabla) continue;
            if (firstOutside < 0) firstOutside = i;
            if (kind == FrameKind.User) return i;
        }
        return firstOutside;
    }

    enum FrameKind : byte { Nabla, RuntimeLibrary, User }

    // Asked for every frame up to the user's of every described call (traces describe every op): a method's
    // assembly is a call into the runtime, AssemblyName allocates, and a frame's method object is built by
    // reflection on each walk, so the answer is remembered per method handle.
    // NB: a handle of a collectible method could be reused after its assembly unloads; Described has the same limit.
    static readonly System.Collections.Concurrent.ConcurrentDictionary<IntPtr, FrameKind> Kinds = new();

    static FrameKind KindAt(TopFrames top, int i)
    {
        var handle = top.Handle(i);
        return Kinds.TryGetValue(handle, out var kind) ? kind : KindOf(handle, top.Method(i));
    }

    static FrameKind KindOf(IntPtr handle, MethodBase? method)
    {
        if (Kinds.TryGetValue(handle, out var kind)) return kind;
        var type = method?.DeclaringType;
        kind = type is null || type.Assembly == Self ? FrameKind.Nabla   // a frame without a method is skipped, as Nabla's
            : IsRuntimeLibrary(type.Assembly) ? FrameKind.RuntimeLibrary : FrameKind.User;
        if (Kinds.Count < MaxDescribed) Kinds[handle] = kind;
        return kind;
    }

    static string Format(StackFrame frame)
    {
        var name = Readable(frame.GetMethod()!);
        var file = frame.GetFileName();
        return file is null ? name : $"{name} ({Path.GetFileName(file)}:{frame.GetFileLineNumber()})";
    }

    /// <summary>The .NET base libraries (System.*, Microsoft.*, mscorlib, netstandard): never the user's code.</summary>
    static bool IsRuntimeLibrary(Assembly assembly)
    {
        var name = assembly.GetName().Name ?? "";
        return name is "System" or "mscorlib" or "netstandard"
            || name.StartsWith("System.", StringComparison.Ordinal) || name.StartsWith("Microsoft.", StringComparison.Ordinal);
    }

    /// <summary>"Type.Method", with lambdas, local functions and async methods named after the method that contains them.</summary>
    internal static string Readable(MethodBase method)
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

    public static NotSupportedException NotSupported(string op, string what) =>
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
