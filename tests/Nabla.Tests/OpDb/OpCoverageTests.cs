using System.Reflection;

namespace Nabla.Tests.OpDb;

/// <summary>Every public op on <see cref="Tensor"/> must be covered by an OpDb entry (its generic tests).</summary>
public class OpCoverageTests
{
    /// <summary>Public members of Tensor that are not ops, so they need no OpDb entry. Keep each reason.</summary>
    static readonly HashSet<string> NotOps = new(StringComparer.Ordinal)
    {
        // object members
        "ToString", "Equals", "GetHashCode", "GetType",
        // facts about a tensor (property getters)
        "Shape", "Rank", "DType", "Device", "NumElements",
        // autodiff state and API (tested in Autodiff/*, not by the generic op tests)
        "Grad", "RequiresGrad", "IsLeaf", "GradFn", "RetainsGrad", "RetainGrad", "Backward", "Detach", "RegisterHook",
        "RegisterPostAccumulateGradHook",
        // view tracking and the version counter (PyTorch's _base, _is_view(), _version; tested in Autodiff/ViewInPlace*)
        "Base", "IsView", "Version",
        // reading values out
        "Item", "ToArray", "ToMultiArray", "ToArray2D", "ToArray3D",
        // creation functions (no tensor inputs to differentiate)
        "FromArray", "Zeros", "Ones", "Full", "Scalar", "Arange", "Eye", "Rand", "Randn", "RandInt", "ManualSeed",
        "ZerosLike", "OnesLike", "FullLike", "Linspace", "Logspace",
        // random draws from a tensor of weights (no gradient; checked statistically in Ops/SamplingTests)
        "Multinomial",
        // in-place fills without an "InPlace" suffix (PyTorch's fill_/zero_); checked by Ops/InPlaceTests
        "Fill", "Zero",
    };

    /// <summary>
    /// True for members excluded by rule rather than by name: in-place ops (PyTorch's trailing
    /// underscore, or an "InPlace" suffix; they are checked by the in-place/version-counter tests),
    /// and conversion operators (creation from C# values).
    /// NB: To(Device) shares the name "To" with To(DType); the cast is an op, so "To" stays required.
    /// </summary>
    static bool ExcludedByRule(string name) =>
        name.EndsWith('_') || name.EndsWith("InPlace", StringComparison.Ordinal) || name is "op_Implicit" or "op_Explicit";

    /// <summary>Public op names on Tensor: methods and operators (op_*), and properties such as T or an indexer.</summary>
    internal static SortedSet<string> PublicOpNames()
    {
        const BindingFlags flags = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var m in typeof(Tensor).GetMethods(flags))
            if (!m.IsSpecialName || m.Name.StartsWith("op_", StringComparison.Ordinal)) names.Add(m.Name);
        foreach (var p in typeof(Tensor).GetProperties(flags)) names.Add(p.Name);
        names.RemoveWhere(n => NotOps.Contains(n) || ExcludedByRule(n));
        return names;
    }

    [Fact]
    public void EveryPublicTensorOpHasAnOpDbEntry()
    {
        var covered = OpDb.All.SelectMany(e => e.Covers).ToHashSet(StringComparer.Ordinal);
        var missing = PublicOpNames().Where(n => !covered.Contains(n)).ToList();
        Assert.True(missing.Count == 0,
            $"{missing.Count} public Tensor op(s) have no OpDb entry listing them in Covers: {string.Join(", ", missing)}. " +
            "Add an OpInfo in tests/Nabla.Tests/OpDb/OpDb.<Area>.cs, or, if a member is not an op, add it to NotOps with a reason.");
    }

    [Fact]
    public void CoversNameRealMembers()
    {
        // A typo in Covers would silently cover nothing; every name must be a public member somewhere in Nabla.
        var members = typeof(Tensor).Assembly.GetExportedTypes()
            .SelectMany(t => t.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
            .Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        var unknown = OpDb.All.SelectMany(e => e.Covers.Where(c => !members.Contains(c)).Select(c => $"{e.Name}: {c}")).ToList();
        Assert.True(unknown.Count == 0, "OpDb Covers names that are no public member: " + string.Join(", ", unknown));
    }

    [Fact]
    public void ReflectionSeesOperatorsAndMethods()
    {
        // Guards the scan itself: if it found nothing, the coverage test above could never fail.
        var names = PublicOpNames();
        Assert.Contains("op_Addition", names);
        Assert.Contains("op_UnaryNegation", names);
        Assert.Contains("MatMul", names);
        Assert.Contains("T", names);
        Assert.DoesNotContain("Backward", names);
        Assert.DoesNotContain("get_Shape", names);
    }
}
