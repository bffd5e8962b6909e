namespace Nabla.Engine;

/// <summary>
/// Whether ops are recorded for reverse mode. Per logical flow of control (<see cref="AsyncLocal{T}"/>),
/// so a <c>NoGrad</c> scope survives <c>await</c> and does not leak into other threads or tasks.
/// </summary>
internal static class GradMode
{
    // Mirrored into a thread-static by the change handler, which the runtime calls whenever the value seen
    // by this thread changes: a scope set or left, and every switch of execution context (await, thread-pool
    // work). So the per-op read is a thread-static field, not an AsyncLocal lookup, with the same meaning.
    static readonly AsyncLocal<bool?> Disabled = new(change => _disabledHere = change.CurrentValue == true);
    [ThreadStatic] static bool _disabledHere;
    static readonly AsyncLocal<bool?> Anomaly = new();
    static readonly AsyncLocal<long?> StoppedAt = new();

    // Every op reads the other modes too. Until a scope has ever set one, every flow of control holds the
    // default, so the (slower) AsyncLocal read is skipped. The flags never go back: a task started inside a scope
    // may outlive it and still carry its value.
    static volatile bool _anomalyEverSet, _everStopped;

    public static bool Enabled => !_disabledHere;

    /// <summary>
    /// Inside <see cref="StopRecording"/>: the stamp it took on the entry clock (tapes and forward levels
    /// entered before it are paused); null outside.
    /// </summary>
    public static long? RecordingStoppedAt => _everStopped ? StoppedAt.Value : null;

    public static bool AnomalyDetection => _anomalyEverSet && Anomaly.Value == true;

    public static IDisposable Set(bool enabled)
    {
        var previous = Disabled.Value;
        Disabled.Value = !enabled;
        return new RunOnce(() => Disabled.Value = previous);
    }

    /// <summary>
    /// TF's record.stop_recording: pauses every tape and forward-mode level entered before it, and turns
    /// grad mode off (as <c>NoGrad</c>). Scopes entered inside it are its own: an <c>EnableGrad</c> turns
    /// graph recording back on (for tapes entered inside it too), an accumulator entered inside computes
    /// its tangents.
    /// </summary>
    public static IDisposable StopRecording()
    {
        _everStopped = true;
        var previousStop = StoppedAt.Value;
        var previousDisabled = Disabled.Value;
        StoppedAt.Value = Tapes.NextStamp();
        Disabled.Value = true;
        return new RunOnce(() =>
        {
            StoppedAt.Value = previousStop;
            Disabled.Value = previousDisabled;
        });
    }

    public static IDisposable SetAnomaly(bool enabled)
    {
        _anomalyEverSet = true;
        var previous = Anomaly.Value;
        Anomaly.Value = enabled;
        return new RunOnce(() => Anomaly.Value = previous);
    }
}
