using System.Text.RegularExpressions;

namespace Nabla.Tests.Graphs;

/// <summary>DOT export of a traced graph: one box per op of GraphFor, ellipses for arguments and captures, an edge per value use.</summary>
public class GraphDotTests
{
    [Fact]
    public void DotHasABoxPerOpAndAnEdgePerValueUse()
    {
        var w = new Variable(Tensor.FromArray(new[] { 1f, -2f, 3f }, [3]), name: "w \"quoted\"");
        var f = Graph.Compile((Tensor x) => (x * w).Relu().Sum());
        var x = Tensor.FromArray(new[] { 0.5f, 0.5f, 0.5f }, [3]);
        f.Call(x);
        var ssa = f.GraphFor(x);
        var dot = f.DotFor(x);

        int opLines = ssa.Split('\n').Count(l => l.StartsWith("  %") && !l.Contains("= capture"));
        Assert.StartsWith("digraph \"", dot);
        Assert.Equal(opLines, Regex.Matches(dot, @"^  op\d+ \[shape=box", RegexOptions.Multiline).Count);
        Assert.Single(Regex.Matches(dot, @"^  p\d+ \[shape=ellipse", RegexOptions.Multiline));
        Assert.Single(Regex.Matches(dot, @"^  c\d+ \[shape=ellipse, style=dashed", RegexOptions.Multiline));
        // mul reads x and w, relu reads mul, sum reads relu, the result is returned: 5 edges.
        Assert.Equal(5, Regex.Matches(dot, " -> ").Count);
        Assert.Contains("-> out", dot);
        Assert.Equal(dot.Count(ch => ch == '{'), dot.Count(ch => ch == '}'));
        // Every label is one quoted string: quotes inside names are escaped.
        foreach (Match m in Regex.Matches(dot, @"label=(""(?:[^""\\]|\\.)*"")"))
            Assert.DoesNotContain("\n", m.Groups[1].Value);
        Assert.Contains("%0 x: [3] float32", dot);
        Assert.Contains("capture Variable 'w \\\"quoted\\\"'", dot);
    }
}
