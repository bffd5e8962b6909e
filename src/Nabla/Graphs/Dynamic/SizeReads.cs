using System.Runtime.CompilerServices;

namespace Nabla.Graphs;

/// <summary>
/// Notices user code reading a tensor's sizes (<c>x.Shape</c>, <c>x.NumElements</c>) while a function with
/// dynamic dimensions is traced. A size read in C# becomes a plain number (a reshape target, a divisor) that the
/// graph would keep for every call; the trace then stays specialized to the traced sizes, and
/// <see cref="CompiledFunction.Explain"/> names the line. Nabla's own code is exempt: its ops take sizes from
/// their inputs when they run (<c>SizeOf</c>), or carry shapes that the dynamic graph recomputes.
/// </summary>
internal static class SizeReads
{
    /// <summary>Whether some thread traces with dynamic dimensions (one static read on every size access otherwise).</summary>
    public static bool Watching => s_watchers > 0;

    static int s_watchers;

    [ThreadStatic] static Tracer? t_tracer;

    static readonly IntPtr NoteHandle = typeof(SizeReads).GetMethod(nameof(Note))!.MethodHandle.Value;

    static readonly IntPtr[] Accessors =
        [typeof(Tensor).GetProperty(nameof(Tensor.Shape))!.GetMethod!.MethodHandle.Value,
         typeof(Tensor).GetProperty(nameof(Tensor.NumElements))!.GetMethod!.MethodHandle.Value];

    /// <summary>Watches this thread's size reads for <paramref name="tracer"/> until disposed.</summary>
    public static Scope Watch(Tracer tracer)
    {
        var outer = t_tracer;
        t_tracer = tracer;
        Interlocked.Increment(ref s_watchers);
        return new Scope(outer);
    }

    public readonly struct Scope(Tracer? outer) : IDisposable
    {
        public void Dispose()
        {
            t_tracer = outer;
            Interlocked.Decrement(ref s_watchers);
        }
    }

    /// <summary>Called by the size accessors when <see cref="Watching"/>: records the read if user code made it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Note(Tensor t)
    {
        if (t_tracer is not { } tracer) return;
        // Kernels (inside a raw-access scope) are Nabla's; a read anywhere else costs a walk of the top frames.
        if (Backends.Backend.RunningKernel || !tracer.MayHaveDynamicSizes(t)) return;
        if (Engine.CallSite.CallerOutsideNabla(NoteHandle, Accessors)) tracer.NoteSizeRead(t);
    }
}
