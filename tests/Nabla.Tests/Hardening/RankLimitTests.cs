namespace Nabla.Tests.Hardening;

/// <summary>
/// Issue 11 point 2: a tensor has at most 64 dims (PyTorch's limit), every path that makes a shape says
/// so naming the op, and printing walks the dims without recursion.
/// </summary>
public class RankLimitTests
{
    static int[] Ones(int rank) => Enumerable.Repeat(1, rank).ToArray();

    [Fact]
    public void MaxRankIsPyTorchs64()
    {
        Assert.Equal(64, Shape.MaxRank);
        Assert.Equal(64, Tensor.Zeros(Ones(64)).Rank);
    }

    [Fact]
    public void CreatingATensorOfRank65NamesTheOpAndTheLimit()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(Ones(65)));
        Assert.Contains("Tensor.Zeros", e.Message);
        Assert.Contains("rank 65", e.Message);
        Assert.Contains("64", e.Message);
        Assert.Contains("RankLimitTests.cs", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Randn(Ones(65)));
        Assert.Contains("Randn", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.FromArray(new float[1], Ones(65)));
        Assert.Contains("Tensor.FromArray", e.Message);
    }

    [Fact]
    public void ARankBombIsRefusedWithAShortMessage()
    {
        // A rank-40000 shape (as a hostile file may declare) fails fast, and the message does not list 40000 sizes.
        var e = Assert.Throws<ArgumentException>(() => new Shape(Ones(40000)));
        Assert.Contains("rank 40000", e.Message);
        Assert.True(e.Message.Length < 600, $"message of {e.Message.Length} chars");
    }

    [Fact]
    public void MovementOpsCannotGoPastRank64()
    {
        var x = Tensor.Zeros(Ones(64));
        var e = Assert.Throws<ArgumentException>(() => x.Unsqueeze(0));
        Assert.Contains("Unsqueeze", e.Message);
        Assert.Contains("64", e.Message);
        e = Assert.Throws<ArgumentException>(() => x.Reshape(Ones(65)));
        Assert.Contains("Reshape", e.Message);
        Assert.Contains("rank 65", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(1).Expand(Ones(65)));
        Assert.Contains("Expand", e.Message);
        Assert.Contains("rank 65", e.Message);
    }

    [Fact]
    public void ARank64TensorPrintsAllItsBrackets()
    {
        var x = Tensor.Zeros(Ones(64));
        string shape = "[" + string.Join(", ", Ones(64)) + "]";
        // PyTorch's layout: the body, then each suffix on its own line once the line is past 80 columns.
        string expected = "tensor(" + new string('[', 64) + "0." + new string(']', 64) +
            ",\n       shape=" + shape + ",\n       dtype=float32)";
        Assert.Equal(expected, x.ToString());
    }

    [Fact]
    public void ARank64TensorWithTwoBlocksSeparatesThemWith63Newlines()
    {
        // Shape [2, 1 x 62, 3]: two blocks of dim 0; between blocks of dim d PyTorch puts rank - d - 1 newlines.
        var dims = Ones(64);
        dims[0] = 2;
        dims[63] = 3;
        var x = Tensor.Arange(6, DType.Float32).Reshape(dims);
        // The rows start at column 7 + 63 = 70, so 80-column wrapping leaves room for two "0., " items per line.
        string wrap = ",\n" + new string(' ', 71);
        string body = new string('[', 64) + "0., 1." + wrap + "2." + new string(']', 63) + "," + new string('\n', 63) +
            new string(' ', 8) + new string('[', 63) + "3., 4." + wrap + "5." + new string(']', 64);
        Assert.StartsWith("tensor(" + body + ",", x.ToString());
    }

    [Fact]
    public void SummarizedRank64TensorPrintsOnASmallStack()
    {
        // The walk over the dims is a loop: printing a rank-64 summarized tensor fits in a 64 KB stack.
        var dims = Ones(64);
        dims[0] = 1001;
        dims[40] = 2;
        var x = (Tensor.Arange(2002, DType.Float32) + 1000).Reshape(dims);   // 1000..3001: whole numbers, one format
        string? text = null;
        var thread = new Thread(() => text = x.ToString(), 64 * 1024);
        thread.Start();
        thread.Join();
        Assert.NotNull(text);
        Assert.Contains("...", text);
        foreach (var shown in new[] { "[1000.]", "[1005.]", "[2996.]", "[3001.]" }) Assert.Contains(shown, text);
        Assert.DoesNotContain("1500.", text);   // summarized: only the first and last 3 blocks of dim 0
    }
}
