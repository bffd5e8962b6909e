using System.Reflection;

namespace Nabla.Tests.OpDb;

/// <summary>
/// The registry of op entries. Entries live in files named OpDb.&lt;Area&gt;.cs, each a static method
/// whose name ends in "Entries" returning IEnumerable&lt;OpInfo&gt;; they are collected by reflection.
/// </summary>
internal static partial class OpDb
{
    static IReadOnlyList<OpInfo>? _all;

    public static IReadOnlyList<OpInfo> All => _all ??= typeof(OpDb)
        .GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)
        .Where(m => m.Name.EndsWith("Entries", StringComparison.Ordinal) && m.ReturnType == typeof(IEnumerable<OpInfo>))
        .OrderBy(m => m.Name, StringComparer.Ordinal)
        .SelectMany(m => (IEnumerable<OpInfo>)m.Invoke(null, null)!)
        .ToList();

    public static OpInfo Get(string name) => All.Single(e => e.Name == name);

    /// <summary>Entry names for xunit's MemberData.</summary>
    public static IEnumerable<object[]> Names => All.Select(e => new object[] { e.Name });
}
