namespace Nabla.Engine;

/// <summary>
/// Counts in-place changes to a storage; shared by a tensor and all its views. A node that saved a
/// tensor remembers the count, and backward refuses to use it if the count moved (PyTorch's rule).
/// </summary>
internal sealed class VersionCounter
{
    public int Value;

    /// <summary>Name (and, under anomaly detection, place) of the last in-place op, for error messages.</summary>
    public string? LastMutation;

    public void Bump(string opName, string? where)
    {
        Value++;
        LastMutation = where is null ? opName : $"{opName} at {where}";
    }
}
