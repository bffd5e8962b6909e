using System.Text.RegularExpressions;

namespace Nabla.Tests.Graphs.Passes;

/// <summary>Graph text for golden comparisons: each line without its "# site" tail (line numbers move when a file is edited).</summary>
internal static partial class PassText
{
    public static string Ops(string graph) =>
        string.Join("\n", graph.Split('\n').Select(l => SiteTail().Replace(l.TrimEnd('\r'), "")).Where(l => l.Length > 0)) + "\n";

    [GeneratedRegex(@"\s+#\s.*$")]
    private static partial Regex SiteTail();

    /// <summary>Every pass but <paramref name="pass"/> and fusion (which would hide the other passes' results in one fused op).</summary>
    public static CompileOptions Without(GraphPasses pass) => new() { Passes = GraphPasses.All & ~pass & ~GraphPasses.Fusion };

    /// <summary>Every pass but fusion.</summary>
    public static CompileOptions Unfused => Without(GraphPasses.None);

    public static float[] F(Tensor t) => t.ToArray<float>();

    public static Tensor V(params float[] data) => Tensor.FromArray(data, [data.Length]);
}
