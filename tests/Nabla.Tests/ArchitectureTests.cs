using Nabla.Tests.TestUtil;

namespace Nabla.Tests;

/// <summary>
/// The layering of docs/ARCHITECTURE.md, checked by reflection over signatures and IL: backends know
/// nothing of gradients, graphs or front ends; the core (tensors, engine, primitives, backends) knows
/// nothing of layers, optimizers, data or file formats; primitives hold no kernels; and only backend
/// code touches raw memory.
/// </summary>
public class ArchitectureTests
{
    static readonly Type[] NablaTypes = typeof(Tensor).Assembly.GetTypes().Where(t => !t.IsNested).ToArray();

    /// <summary>
    /// The types of namespace Nabla that backends may use: the tensor handle and its vocabulary. Every
    /// other type there is a front end (Autograd, GradientTape, Variable, ForwardAccumulator,
    /// CustomFunction, GradCheck, ...), including ones added later.
    /// </summary>
    static readonly HashSet<string> CoreTypes = new(StringComparer.Ordinal)
    {
        "Nabla.Tensor", "Nabla.Shape", "Nabla.DType", "Nabla.DTypes", "Nabla.Device", "Nabla.Generator",
    };

    static bool IsFrontEnd(Type t) =>
        t.Namespace == "Nabla" && !CoreTypes.Contains(t.FullName ?? "") && !(t.FullName ?? "").StartsWith("<", StringComparison.Ordinal);

    /// <summary>Namespaces of everything above the core: layers, optimizers, data and file formats.</summary>
    static bool AboveCore(Type r) =>
        InNamespace(r, "Nabla.NN") || InNamespace(r, "Nabla.Optim") || InNamespace(r, "Nabla.Data") || InNamespace(r, "Nabla.IO");

    static bool IsCore(Type t) =>
        (t.Namespace == "Nabla" && !IsFrontEnd(t)) || InNamespace(t, "Nabla.Engine") || InNamespace(t, "Nabla.Primitives") || InNamespace(t, "Nabla.Backends");

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
            r => InNamespace(r, "Nabla.Engine") || IsFrontEnd(r) || AboveCore(r));
        Assert.True(bad.Count == 0, "Backends must know nothing of gradients, graphs or front ends:\n" + string.Join("\n", bad));
    }

    [Fact]
    public void CoreDoesNotReferenceNNOptimOrData()
    {
        var bad = Violations(IsCore, AboveCore);
        Assert.True(bad.Count == 0, "The core must not depend on layers, optimizers, data or IO:\n" + string.Join("\n", bad));
    }

    [Fact]
    public void PrimitivesHoldNoKernels()
    {
        var bad = Violations(t => InNamespace(t, "Nabla.Primitives"),
            r => InNamespace(r, "Nabla.Backends") && !InNamespace(r, "Nabla.Backends.Reference"));
        Assert.True(bad.Count == 0, "Primitives hold an op's meaning; kernels belong to Backends/<device>/Kernels:\n" + string.Join("\n", bad));
    }

    /// <summary>Raw memory: the managed arrays behind storage, the pool, and the scopes that guard reuse.</summary>
    static readonly HashSet<string> RawMemoryTypes = new(StringComparer.Ordinal)
    {
        "Nabla.Backends.HostMemory", "Nabla.Backends.RawAccess", "Nabla.Backends.Storage`1", "Nabla.Backends.BufferPool",
        "Nabla.Backends.BufferPool`1", "Nabla.Backends.PoolLease`1",
    };

    [Fact]
    public void OnlyBackendsTouchRawMemory()
    {
        var bad = Violations(t => !InNamespace(t, "Nabla.Backends"),
            r => RawMemoryTypes.Contains(r.IsGenericType ? r.GetGenericTypeDefinition().FullName ?? "" : r.FullName ?? "")
                 || InNamespace(r, "Nabla.Backends.Cpu"));
        Assert.True(bad.Count == 0,
            "Outside Backends/, copy through Dispatch (ToHost/FromHost) and the backend's span methods, never raw arrays:\n" + string.Join("\n", bad));
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
        Assert.Contains(fromBackends, r => r.Referenced.FullName == "Nabla.Backends.HostMemory");
        // Every name the raw-memory rule lists exists (a rename must not switch the rule off).
        var names = typeof(Tensor).Assembly.GetTypes().Select(t => t.FullName).ToHashSet();
        foreach (var name in RawMemoryTypes.Concat(CoreTypes)) Assert.Contains(name, names);
    }
}
