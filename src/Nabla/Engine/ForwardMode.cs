namespace Nabla.Engine;

/// <summary>
/// Forward mode (JVPs) with nesting levels, as DiffSharp's tags / JAX's traces. Each
/// <c>ForwardAccumulator</c> opens a level; a tensor carries one tangent per level. Every dispatched
/// op whose inputs carry tangents at an active level computes its output's tangent with the
/// primitive's JVP rule. Levels are processed outermost first, and the rule for level L runs with only
/// the levels below L active: so an inner level's tangents carry the outer levels' tangents
/// (forward-over-forward gives second derivatives) and the two never mix (no perturbation confusion).
/// Per async flow, like grad mode.
/// </summary>
/// <remarks>
/// Levels and tapes share one entry clock (<see cref="Tapes.NextStamp"/>), because TensorFlow's nesting
/// rule is about the order scopes were entered: the rule for level L also runs with only the tapes
/// entered before L, so a tape entered inside an accumulator treats that accumulator's tangents as
/// constants, while a tape entered outside it records the JVP computation (and can differentiate it).
/// Under <see cref="GradMode.StopRecording"/> the levels entered before the stop compute nothing.
/// </remarks>
internal static class ForwardMode
{
    /// <summary>An active level and when it was entered (on the clock shared with tapes).</summary>
    readonly record struct Frame(int Level, long Stamp);

    static readonly AsyncLocal<Frame[]?> Levels = new();
    static int _lastLevel;

    // Read on every op: skipped until a level has ever been opened (see GradMode for why it never resets).
    public static bool Active
    {
        get
        {
            if (Volatile.Read(ref _lastLevel) == 0 || Levels.Value is not { Length: > 0 } frames) return false;
            if (GradMode.RecordingStoppedAt is not { } stop) return true;
            foreach (var f in frames)
                if (f.Stamp > stop) return true;
            return false;
        }
    }

    /// <summary>Opens a new innermost level; dispose the result to close it (levels close innermost first).</summary>
    public static IDisposable Enter(out int level)
    {
        level = Interlocked.Increment(ref _lastLevel);
        return Reenter(level);
    }

    /// <summary>
    /// Makes <paramref name="level"/> the innermost active level again (an accumulator re-entering its
    /// scope, as TF's second <c>with acc:</c>); dispose the result to leave it.
    /// </summary>
    public static IDisposable Reenter(int level)
    {
        var frame = new Frame(level, Tapes.NextStamp());
        var previous = Levels.Value;
        Levels.Value = previous is null ? [frame] : [.. previous, frame];
        return new RunOnce(() =>
        {
            var now = Levels.Value;
            if (now is not null) Levels.Value = Array.FindAll(now, f => f.Level != level);
        });
    }

    /// <summary>Whether <paramref name="level"/> is active in this flow (an accumulator inside its scope).</summary>
    public static bool IsActive(int level)
    {
        if (Levels.Value is not { } frames) return false;
        foreach (var f in frames)
            if (f.Level == level) return true;
        return false;
    }

    /// <summary>A scope with no active level (a custom function's own forward must not carry tangents).</summary>
    public static IDisposable Suspend()
    {
        var previous = Levels.Value;
        Levels.Value = null;
        return new RunOnce(() => Levels.Value = previous);
    }

    /// <summary>y = f(x) and its directional derivative J·v, with v the tangents of x (a fresh level).</summary>
    public static (Tensor Output, Tensor Tangent) Jvp(Func<Tensor[], Tensor> f, Tensor[] x, Tensor[] v)
    {
        if (x.Length != v.Length) throw Errors.Arg("Jvp", $"got {v.Length} tangents for {x.Length} inputs; one tangent per input is needed.");
        using var scope = Enter(out int level);
        var duals = new Tensor[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            if (!v[i].Shape.Equals(x[i].Shape))
                throw Errors.Arg("Jvp", $"tangent {i} has shape {v[i].Shape} but its input has shape {x[i].Shape}.");
            duals[i] = x[i].Alias();
            duals[i].SetTangent(level, v[i].To(x[i].DType));
        }
        var y = f(duals);
        return (y, y.TangentAt(level) ?? Tensor.ZerosLike(y));
    }

    /// <summary>Computes the output's tangent at every active level where an input has one.</summary>
    public static void Propagate(Primitives.Primitive op, Tensor[] inputs, Tensor y)
    {
        var frames = Levels.Value!;
        if (!y.DType.IsFloating()) return;
        long? stop = GradMode.RecordingStoppedAt;
        for (int k = 0; k < frames.Length; k++)
        {
            var (level, stamp) = frames[k];
            if (stamp < stop) continue;   // entered before Autograd.StopRecording(): paused
            Tensor?[]? dx = null;
            for (int i = 0; i < inputs.Length; i++)
                if (inputs[i].TangentAt(level) is { } t) (dx ??= new Tensor?[inputs.Length])[i] = t;
            if (dx is null) continue;
            Levels.Value = frames[..k];
            // Only tapes entered before this level see its JVP computation (TF's nesting rule).
            var tapes = Tapes.KeepOnlyEnteredBefore(stamp, out bool narrowed);
            try
            {
                if (op.Jvp(dx, inputs, y) is { } dy) y.SetTangent(level, dy);
            }
            finally
            {
                Levels.Value = frames;
                if (narrowed) Tapes.Restore(tapes);
            }
        }
    }
}
