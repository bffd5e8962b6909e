namespace Nabla.Engine;

/// <summary>
/// Whether ops are recorded for reverse mode. Per logical flow of control (<see cref="AsyncLocal{T}"/>),
/// so a <c>NoGrad</c> scope survives <c>await</c> and does not leak into other threads or tasks.
/// </summary>
internal static class GradMode
{
    static readonly AsyncLocal<bool?> Disabled = new();
    static readonly AsyncLocal<bool?> Anomaly = new();

    // Every op reads these modes. Until a scope has ever set one, every flow of control holds the default,
    // so the (slower) AsyncLocal read is skipped. The flags never go back: a task started inside a scope
    // may outlive it and still carry its value.
    static volatile bool _everSet, _anomalyEverSet;

    public static bool Enabled => !_everSet || Disabled.Value != true;

    public static bool AnomalyDetection => _anomalyEverSet && Anomaly.Value == true;

    public static IDisposable Set(bool enabled)
    {
        _everSet = true;
        var previous = Disabled.Value;
        Disabled.Value = !enabled;
        return new RunOnce(() => Disabled.Value = previous);
    }

    public static IDisposable SetAnomaly(bool enabled)
    {
        _anomalyEverSet = true;
        var previous = Anomaly.Value;
        Anomaly.Value = enabled;
        return new RunOnce(() => Anomaly.Value = previous);
    }
}
