using Nabla.Tests.TestUtil;

namespace Nabla.Tests;

/// <summary>
/// DESIGN.md's forbidden dependencies, checked by reflection over signatures and IL: backends know
/// nothing of gradients or graphs, and the core (tensors, engine, primitives, backends) knows nothing
/// of layers, optimizers or data.
/// </summary>
public class ArchitectureTests
{
    static readonly Type[] NablaTypes = typeof(Tensor).Assembly.GetTypes().Where(t => !t.IsNested).ToArray();

    /// <summary>Front-end types (full names; some may not exist yet) that backends must not use.</summary>
    static readonly HashSet<string> FrontEndTypes = new(StringComparer.Ordinal)
    {
        "Nabla.Autograd", "Nabla.GradCheck", "Nabla.GradCheckException", "Nabla.GradientTape", "Nabla.Variable",
        "Nabla.ForwardAccumulator", "Nabla.UnconnectedGradients",
    };

    static bool InNamespace(Type t, string ns) =>
        t.Namespace is { } n && (n == ns || n.StartsWith(ns + ".", StringComparison.Ordinal));

    static List<string> Violations(Func<Type, bool> from, Func<Type, bool> forbidden) =>
        NablaTypes.Where(from)
            .SelectMany(TypeReferences.Of)
            .Where(r => forbidden(r.Referenced))
            .Select(r => $"{r.From} -> {r.Referenced.FullName ?? r.Referenced.Name}")
            .Distinct()
            .OrderBy(s => s, StringComparer.Ordinal)
            .ToList();

    [Fact]
    public void BackendsDoNotReferenceEngineOrFrontEnds()
    {
        var bad = Violations(t => InNamespace(t, "Nabla.Backends"),
            r => InNamespace(r, "Nabla.Engine") || FrontEndTypes.Contains(r.FullName ?? ""));
        Assert.True(bad.Count == 0, "Backends must know nothing of gradients, graphs or front ends:\n" + string.Join("\n", bad));
    }

    [Fact]
    public void CoreDoesNotReferenceNNOptimOrData()
    {
        var bad = Violations(
            t => t.Namespace == "Nabla" || InNamespace(t, "Nabla.Engine") || InNamespace(t, "Nabla.Primitives") || InNamespace(t, "Nabla.Backends"),
            r => InNamespace(r, "Nabla.NN") || InNamespace(r, "Nabla.Optim") || InNamespace(r, "Nabla.Data"));
        Assert.True(bad.Count == 0, "The core must not depend on layers, optimizers or data:\n" + string.Join("\n", bad));
    }

    [Fact]
    public void ScannerSeesReferencesInsideMethodBodies()
    {
        // Guards the checks above against a scanner that finds nothing: Tensor.Backward's signature
        // names no engine type, its body calls Nabla.Engine.Backprop; and the backends do use Tensor.
        var backward = typeof(Tensor).GetMethod(nameof(Tensor.Backward))!;
        Assert.Contains(TypeReferences.InBody(backward), r => r.Type.FullName == "Nabla.Engine.Backprop");
        var recorder = NablaTypes.Single(t => t.FullName == "Nabla.Engine.GraphRecorder");
        Assert.Contains(TypeReferences.Of(recorder), r => r.Referenced.FullName == "Nabla.Engine.OpNode");
        var fromBackends = NablaTypes.Where(t => InNamespace(t, "Nabla.Backends")).SelectMany(TypeReferences.Of).ToList();
        Assert.Contains(fromBackends, r => r.Referenced == typeof(Tensor));
    }
}
