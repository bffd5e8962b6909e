namespace Nabla.Engine;

/// <summary>
/// Whether ops are recorded for reverse mode. Per logical flow of control (<see cref="AsyncLocal{T}"/>),
/// so a <c>NoGrad</c> scope survives <c>await</c> and does not leak into other threads or tasks.
/// </summary>
internal static class GradMode
{
    static readonly AsyncLocal<bool?> Disabled = new();
    static readonly AsyncLocal<bool?> Anomaly = new();

    public static bool Enabled => Disabled.Value != true;

    public static bool AnomalyDetection => Anomaly.Value == true;

    public static IDisposable Set(bool enabled)
    {
        var previous = Disabled.Value;
        Disabled.Value = !enabled;
        return new RunOnce(() => Disabled.Value = previous);
    }

    public static IDisposable SetAnomaly(bool enabled)
    {
        var previous = Anomaly.Value;
        Anomaly.Value = enabled;
        return new RunOnce(() => Anomaly.Value = previous);
    }
}
