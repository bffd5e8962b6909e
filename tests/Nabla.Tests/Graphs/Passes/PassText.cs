using System.Text.RegularExpressions;

namespace Nabla.Tests.Graphs.Passes;

/// <summary>Graph text for golden comparisons: each line without its "# site" tail (line numbers move when a file is edited).</summary>
internal static partial class PassText
{
    public static string Ops(string graph) =>
        string.Join("\n", graph.Split('\n').Select(l => SiteTail().Replace(l.TrimEnd('\r'), "")).Where(l => l.Length > 0)) + "\n";

    [GeneratedRegex(@"\s+#\s.*$")]
    private static partial Regex SiteTail();

    public static CompileOptions Without(GraphPasses pass) => new() { Passes = GraphPasses.All & ~pass };

    public static float[] F(Tensor t) => t.ToArray<float>();

    public static Tensor V(params float[] data) => Tensor.FromArray(data, [data.Length]);
}
