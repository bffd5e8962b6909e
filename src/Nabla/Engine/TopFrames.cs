using System.Reflection;
using System.Runtime.CompilerServices;

namespace Nabla.Engine;

/// <summary>
/// The top frames of the current thread's stack (method and IL offset), walking only as many as asked.
/// <see cref="System.Diagnostics.StackTrace"/> walks the whole stack and makes a frame object for each, so
/// its cost grows with everything below the user's code (a test runner, an application); a trace describes
/// every op it records (<see cref="CallSite.Describe"/>), and the user's frame is usually within the first
/// few frames. The runtime's stack walk stops after a set count (StackFrameHelper.iFrameCount, which
/// StackTrace leaves at 0: all frames); no public API sets it, so this reaches it with UnsafeAccessor.
/// NB: those are CoreLib internals. When they are missing (another runtime or version), <see cref="Walk"/>
/// returns null and callers use StackTrace: slower, the same frames.
/// </summary>
internal sealed class TopFrames
{
    const string HelperType = "System.Diagnostics.StackFrameHelper, System.Private.CoreLib";

    readonly object _helper;

    TopFrames(object helper, int count)
    {
        _helper = helper;
        Count = count;
    }

    /// <summary>How many frames were walked (fewer than asked when the stack is shorter: then it is the whole stack).</summary>
    public int Count { get; }

    /// <summary>Frame <paramref name="i"/>'s method (null for frames that have none, as in StackFrame), from the top.</summary>
    /// <remarks>Costly (reflection builds a method object each call): callers look frames up by <see cref="Handle"/> first.</remarks>
    public MethodBase? Method(int i) => MethodAt(_helper, i);

    /// <summary>Frame <paramref name="i"/>'s runtime method handle: the same value for every call of one method (one instantiation).</summary>
    public IntPtr Handle(int i) => MethodHandles(_helper)![i];

    /// <summary>Frame <paramref name="i"/>'s IL offset, as <see cref="System.Diagnostics.StackFrame.GetILOffset"/> gives it.</summary>
    public int ILOffset(int i) => ILOffsetAt(_helper, i);

    /// <summary>
    /// The top <paramref name="limit"/> frames, counted from the runtime's own walking frames (a caller skips
    /// frames up to its own), or null when this runtime does not offer the walk.
    /// </summary>
    public static TopFrames? Walk(int limit)
    {
        if (!_available) return null;
        try
        {
            var helper = NewHelper();
            FrameLimit(helper) = limit;
            Initialize(helper, fNeedFileInfo: false, exception: null);
            int count = FrameCount(helper);
            if (count > 0 && (MethodHandles(helper)?.Length ?? 0) < count) throw new MissingMemberException("StackFrameHelper.rgMethodHandle");
            return new TopFrames(helper, count);
        }
        catch (Exception e) when (e is MissingMemberException or TypeLoadException or MissingMethodException)
        {
            _available = false;
            return null;
        }
    }

    static volatile bool _available = true;

    /// <summary>Whether the limited walk works on this runtime (tests check that the fast path is the one taken).</summary>
    public static bool Available => Walk(1) is not null;

    [UnsafeAccessor(UnsafeAccessorKind.Constructor)]
    [return: UnsafeAccessorType(HelperType)]
    static extern object NewHelper();

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "iFrameCount")]
    static extern ref int FrameLimit([UnsafeAccessorType(HelperType)] object helper);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "InitializeSourceInfo")]
    static extern void Initialize([UnsafeAccessorType(HelperType)] object helper, bool fNeedFileInfo, Exception? exception);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "GetNumberOfFrames")]
    static extern int FrameCount([UnsafeAccessorType(HelperType)] object helper);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "rgMethodHandle")]
    static extern ref IntPtr[]? MethodHandles([UnsafeAccessorType(HelperType)] object helper);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "GetMethodBase")]
    static extern MethodBase? MethodAt([UnsafeAccessorType(HelperType)] object helper, int i);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "GetILOffset")]
    static extern int ILOffsetAt([UnsafeAccessorType(HelperType)] object helper, int i);
}
