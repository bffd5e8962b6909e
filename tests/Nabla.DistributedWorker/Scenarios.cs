namespace Nabla.DistributedWorker;

/// <summary>The scenarios by name. Each group of scenarios lives in its own file and is listed here, one line each
/// (the last one ends the call).</summary>
internal static partial class Scenarios
{
    public static readonly Dictionary<string, Func<string[], int>> All = Collect(
        CollectiveScenarios.List,
        DdpScenarios.List,
        CheckpointScenarios.List,
        MetricScenarios.List,
        CompiledScenarios.List);

    static Dictionary<string, Func<string[], int>> Collect(params (string Name, Func<string[], int> Run)[][] groups) =>
        groups.SelectMany(g => g).ToDictionary(s => s.Name, s => s.Run);
}
