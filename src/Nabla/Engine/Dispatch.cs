using Nabla.Backends;
using Nabla.Primitives;

namespace Nabla.Engine;

/// <summary>
/// The one entry point for every effect: primitive calls (<see cref="Call"/>, <see cref="CallMany"/>,
/// <see cref="Create"/>), writes into existing tensors (<see cref="Write"/>) and copies between host
/// memory and a device (<see cref="ToHost{T}"/>, <see cref="FromHost{T}"/>). Each runs on the backend of
/// the tensors' device, then is shown to the active interpreters in order: reverse-mode graph recording,
/// those added with <see cref="Observe"/> (a tracer), then forward mode and anomaly checks (the built-in
/// ones are <see cref="BuiltIn"/>).
/// </summary>
internal static class Dispatch
{
    /// <summary>Reverse-mode recording: the first interpreter every call reaches.</summary>
    static readonly Interpreter Recording = new GraphRecorder();

    /// <summary>
    /// The built-in interpreters shown a call after the scoped ones. NB: a tracer must see a call before forward
    /// mode does: a JVP rule that reads the output (exp: dy = dx·y) dispatches ops on y, and a tracer that did
    /// not know y yet as this call's output would take it for a capture and freeze its traced value.
    /// </summary>
    static readonly Interpreter[] AfterScoped = [new ForwardModeInterpreter(), new AnomalyInterpreter()];

    /// <summary>The interpreters every call reaches (the scoped ones come between the first and the others).</summary>
    internal static readonly Interpreter[] BuiltIn = [Recording, .. AfterScoped];

    static readonly AsyncLocal<Interpreter[]?> Scoped = new();
    // Until Observe has ever been called, no flow holds a scoped interpreter and the AsyncLocal is not read.
    // It never resets: a task started inside a scope may outlive the scope and still carry its list.
    static volatile bool _everObserved;

    /// <summary>Runs <paramref name="op"/> on its inputs' backend and returns its (first) output.</summary>
    public static Tensor Call(Primitive op, params Tensor[] inputs)
    {
        KernelCache lookup = default;
        if (Run(op, inputs, ref lookup) is not { } y) return CallMany(op, inputs)[0];
        Notify(op, inputs, new ReadOnlySpan<Tensor>(ref y));
        return y;
    }

    /// <summary><see cref="Create"/> shown to no interpreter: a graph pass computing a constant when it compiles.</summary>
    public static Tensor CreateUnobserved(Primitive op, Device device)
    {
        var backend = Backend.For(device);
        return backend.Run(KernelFor(op, [], backend), op, []);
    }

    /// <summary>
    /// <see cref="Call"/> for a caller that has established that no interpreter would act on this call: a graph
    /// replay of an op that records no node (grad off, or nothing it reads requires grad), with no forward
    /// mode, anomaly mode, tape or observer active. It skips showing the call to the interpreters, and finds
    /// the kernel through <paramref name="cache"/> (one per call site, so a replay looks each kernel up once).
    /// </summary>
    /// <remarks>
    /// <paramref name="into"/>: a tensor the caller owns, which the result is written into (and returned) when
    /// the kernel has an into-form that accepts it (<see cref="KernelEntry.Into"/>); otherwise the result is a
    /// view or a fresh tensor, as without it.
    /// </remarks>
    public static Tensor CallUnobserved(Primitive op, Tensor[] inputs, ref KernelCache cache, Tensor? into = null) =>
        Run(op, inputs, ref cache, into) ?? CallMany(op, inputs)[0];

    /// <summary>
    /// The view or single-output kernel result of <paramref name="op"/>, not yet shown to interpreters; null
    /// when the op's kernel makes several outputs (<see cref="CallMany"/> runs it). <paramref name="cache"/>
    /// holds the kernel found last for this backend and dtype; <paramref name="into"/>: see <see cref="CallUnobserved"/>.
    /// </summary>
    static Tensor? Run(Primitive op, Tensor[] inputs, ref KernelCache cache, Tensor? into = null)
    {
        if (op.TryView(inputs) is { } view)
        {
            view.BecomeViewOf(inputs[0]);   // PyTorch's _base: in-place changes through it rewrite the base's history
            return view;
        }
        var backend = BackendOf(op, inputs);
        var dtype = op.KernelDType(inputs);
        if (!ReferenceEquals(cache.Backend, backend) || cache.DType != dtype || cache.Entry is null)
            cache = new KernelCache(backend, dtype, KernelFor(op, inputs, backend));
        var entry = cache.Entry!;
        if (into is not null && entry.Into is not null && backend.RunInto(entry, op, inputs, into)) return into;
        return entry.Single is null ? null : backend.Run(entry, op, inputs);
    }

    /// <summary>
    /// <see cref="CallMany"/> shown to no interpreter, for the same callers as <see cref="CallUnobserved"/>: output k is
    /// written into <paramref name="into"/>[k] where one is given and the kernel's <see cref="KernelEntry.ManyInto"/> form
    /// takes them all; otherwise every output is new, as without them.
    /// </summary>
    public static Tensor[] CallManyUnobserved(Primitive op, Tensor[] inputs, ref KernelCache cache, Tensor?[] into)
    {
        var backend = BackendOf(op, inputs);
        var dtype = op.KernelDType(inputs);
        if (!ReferenceEquals(cache.Backend, backend) || cache.DType != dtype || cache.Entry is null)
            cache = new KernelCache(backend, dtype, KernelFor(op, inputs, backend));
        var y = backend.RunManyInto(cache.Entry!, op, inputs, into) ?? backend.RunMany(cache.Entry!, op, inputs);
        if (y.Length != op.OutputCount)
            throw new InvalidOperationException($"internal: {op.Name}'s kernel returned {y.Length} outputs, the op declares {op.OutputCount}");
        return y;
    }

    /// <summary>Runs an op with several outputs (output 0 differentiable, the others as <see cref="Primitive.OutputRule"/> says).</summary>
    public static Tensor[] CallMany(Primitive op, params Tensor[] inputs)
    {
        var backend = BackendOf(op, inputs);
        var y = backend.RunMany(KernelFor(op, inputs, backend), op, inputs);
        if (y.Length != op.OutputCount)
            throw new InvalidOperationException($"internal: {op.Name}'s kernel returned {y.Length} outputs, the op declares {op.OutputCount}");
        op.SideOutputs = y[1..];
        Notify(op, inputs, y);
        return y;
    }

    /// <summary>Runs an op without inputs (a random draw, a fill, a range) on <paramref name="device"/>.</summary>
    public static Tensor Create(Primitive op, Device device)
    {
        Tensor[] none = [];
        var backend = Backend.For(device);
        Tensor y = backend.Run(KernelFor(op, none, backend), op, none);
        Notify(op, none, new ReadOnlySpan<Tensor>(ref y));
        return y;
    }

    /// <summary>
    /// Runs a write op (<see cref="Primitive.Writes"/>): its kernel changes those inputs in place; each
    /// written tensor's version goes up, noted as <paramref name="what"/> (the public op's name) for errors.
    /// </summary>
    public static void Write(Primitive op, Tensor[] inputs, string? what = null)
    {
        var backend = BackendOf(op, inputs);
        backend.RunWrite(KernelFor(op, inputs, backend), op, inputs);
        string? where = GradMode.AnomalyDetection ? CallSite.Describe() : null;
        foreach (int i in op.Writes) inputs[i].VersionCounter.Bump(what ?? op.Name, where);
        foreach (var interpreter in BuiltIn) interpreter.Write(op, inputs);
        if (ScopedInterpreters() is { } scoped)
            foreach (var interpreter in scoped) interpreter.Write(op, inputs);
    }

    /// <summary>A contiguous copy of <paramref name="x"/> on <paramref name="device"/>, through host memory.</summary>
    public static Tensor Transfer(Tensor x, Device device)
    {
        var op = new Primitives.Movement.Transfer(x.Device, device);
        Tensor y = Backend.For(device).Empty(x.DType, x.Shape);
        Backend.CopyAcross(x, y);
        Notify(op, [x], new ReadOnlySpan<Tensor>(ref y));
        return y;
    }

    /// <summary>Copies the elements of <paramref name="t"/> row-major into host memory at <paramref name="start"/>.</summary>
    public static void ToHost<T>(Tensor t, T[] dst, int start = 0) where T : unmanaged
    {
        if (ScopedInterpreters() is { } scoped)
            foreach (var interpreter in scoped) interpreter.HostRead(t);
        t.Storage.Backend.CopyToHost(t, dst, start);
    }

    /// <summary>A new tensor on <paramref name="device"/> holding row-major host values.</summary>
    public static Tensor FromHost<T>(ReadOnlySpan<T> src, Shape shape, Device device) where T : unmanaged
    {
        var t = Backend.For(device).Empty(DTypes.Of<T>(), shape);
        t.Storage.Backend.CopyFromHost(src, t);
        if (ScopedInterpreters() is { } scoped)
            foreach (var interpreter in scoped) interpreter.HostWrite(t);
        return t;
    }

    /// <summary>
    /// A new CPU tensor that takes <paramref name="owned"/> as its memory, without copying (loaders of
    /// large files and data sets). The caller must not use the array afterwards.
    /// </summary>
    public static Tensor AdoptHost<T>(T[] owned, Shape shape) where T : unmanaged
    {
        var t = Backend.AdoptHost(owned, shape);
        if (ScopedInterpreters() is { } scoped)
            foreach (var interpreter in scoped) interpreter.HostWrite(t);
        return t;
    }

    /// <summary>
    /// Records <paramref name="y"/> = <paramref name="op"/>(<paramref name="inputs"/>), computed outside a
    /// kernel (custom functions call this once per output they return).
    /// </summary>
    public static void Record(Primitive op, Tensor[] inputs, Tensor y) => Notify(op, inputs, new ReadOnlySpan<Tensor>(ref y));

    /// <summary>
    /// Runs <paramref name="check"/> on <paramref name="t"/>'s values (reads and ops inside it are not shown to
    /// the scoped interpreters: they are no part of the computation), then shows the check to them, so a tracer
    /// records it to run again on every replay.
    /// </summary>
    public static void Check(Tensor t, ValueCheck check)
    {
        _checking++;
        try { check.Run(t); }
        finally { _checking--; }
        if (ScopedInterpreters() is { } scoped)
            foreach (var interpreter in scoped) interpreter.Checked(t, check);
    }

    [ThreadStatic] static int _checking;

    /// <summary>Shows a finished outermost backward pass to the scoped interpreters (a tracer records it as one step).</summary>
    public static void Backward(BackwardCall call, Tensor?[] results)
    {
        if (ScopedInterpreters() is { } scoped)
            foreach (var interpreter in scoped) interpreter.Backward(call, results);
    }

    /// <summary>Shows a read of <paramref name="t"/>.Grad by user code to the scoped interpreters.</summary>
    public static void GradRead(Tensor t)
    {
        if (ScopedInterpreters() is { } scoped)
            foreach (var interpreter in scoped) interpreter.GradRead(t);
    }

    /// <summary>Shows an assignment to <paramref name="t"/>.Grad by user code to the scoped interpreters.</summary>
    public static void GradAssigned(Tensor t, Tensor? value)
    {
        if (ScopedInterpreters() is { } scoped)
            foreach (var interpreter in scoped) interpreter.GradAssigned(t, value);
    }

    /// <summary>Adds <paramref name="interpreter"/> after the others for this flow of control until the result is disposed.</summary>
    public static IDisposable Observe(Interpreter interpreter)
    {
        _everObserved = true;
        var outer = Scoped.Value;
        Scoped.Value = outer is null ? [interpreter] : [.. outer, interpreter];
        return new RunOnce(() => Scoped.Value = outer);
    }

    static Interpreter[]? ScopedInterpreters() => _everObserved && _checking == 0 ? Scoped.Value : null;

    /// <summary>The interpreters added with <see cref="Observe"/> in this flow (null when none).</summary>
    internal static Interpreter[]? Observers => ScopedInterpreters();

    static void Notify(Primitive op, Tensor[] inputs, ReadOnlySpan<Tensor> outputs)
    {
        Recording.Call(op, inputs, outputs);
        if (ScopedInterpreters() is { } scoped)
            foreach (var interpreter in scoped) interpreter.Call(op, inputs, outputs);
        foreach (var interpreter in AfterScoped) interpreter.Call(op, inputs, outputs);
    }

    static Backend BackendOf(Primitive op, Tensor[] inputs)
    {
        var backend = inputs[0].Storage.Backend;
        for (int i = 1; i < inputs.Length; i++)
            if (inputs[i].Storage.Backend != backend) throw OtherDevice(op, inputs, i);
        return backend;
    }

    // Apart, so that BackendOf (on every op) stays small enough to inline.
    static ArgumentException OtherDevice(Primitive op, Tensor[] inputs, int i) =>
        Errors.Arg(op.Name, $"input 0 is on {inputs[0].Device} but input {i} is on {inputs[i].Device}; move them to one device with To(Device).");

    static KernelEntry KernelFor(Primitive op, Tensor[] inputs, Backend backend)
    {
        var dtype = op.KernelDType(inputs);
        return backend.Find(op, dtype) ?? throw Errors.NoKernel(op.Name, dtype, backend.Device);
    }
}

/// <summary>The kernel one call site used last, with the backend and dtype it was found for (see <see cref="Dispatch.CallUnobserved"/>).</summary>
internal readonly record struct KernelCache(Backend? Backend, DType DType, KernelEntry? Entry);
