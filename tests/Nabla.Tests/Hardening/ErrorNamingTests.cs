using Nabla.NN;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.Hardening;

/// <summary>
/// Errors name the public op the caller used and the caller's file:line, even when the bad argument would
/// otherwise surface inside a helper op (issue 11, point 6).
/// </summary>
public class ErrorNamingTests
{
    const string ThisFile = "ErrorNamingTests.cs:";

    static void AssertNames<TException>(string op, Action call, params string[] alsoContains) where TException : Exception
    {
        var e = Assert.Throws<TException>(call);
        Assert.StartsWith(op + ":", e.Message);
        Assert.Contains(ThisFile, e.Message);
        foreach (var s in alsoContains) Assert.Contains(s, e.Message);
    }

    [Fact]
    public void StackWithDimOutOfRangeNamesStack()
    {
        Tensor[] xs = [Tensor.Zeros([2]), Tensor.Zeros([2])];
        AssertNames<ArgumentException>("Stack", () => Tensor.Stack(xs, 3), "dim 3", "-2..1");
        AssertNames<ArgumentException>("Stack", () => Tensor.Stack(xs, -3), "dim -3");
        AssertNames<ArgumentException>("Stack", () => Tensor.Stack([Tensor.Scalar(1.0), Tensor.Scalar(2.0)], 1), "-1..0");
        // The edges of the valid range still work: -2 and 1 both add a last dim to vectors.
        Assert.Equal([2, 2], Tensor.Stack(xs, 1).Shape.ToArray());
        Assert.Equal([2, 2], Tensor.Stack(xs, -2).Shape.ToArray());
        Assert.Equal([2], Tensor.Stack([Tensor.Scalar(1.0), Tensor.Scalar(2.0)], -1).Shape.ToArray());
    }

    [Fact]
    public void CrossEntropyErrorsNameCrossEntropy()
    {
        var logits = Tensor.Zeros([2, 3]);
        AssertNames<ArgumentException>("CrossEntropy", () => F.CrossEntropy(Tensor.Scalar(1.0), Tensor.Zeros([], DType.Int64)), "0-d");
        AssertNames<ArgumentException>("CrossEntropy", () => F.CrossEntropy(logits, Tensor.Zeros([3], DType.Int64)), "[2]", "[3] int64");
        AssertNames<ArgumentException>("CrossEntropy", () => F.CrossEntropy(logits, Tensor.Zeros([2])), "float32");
        AssertNames<ArgumentException>("CrossEntropy", () => F.CrossEntropy(logits, Tensor.Zeros([2], DType.Int64), weight: Tensor.Ones([2])), "[3]");
        AssertNames<ArgumentOutOfRangeException>("CrossEntropy", () => F.CrossEntropy(logits, Tensor.Full([2], 5, DType.Int64)), "target 5");
        AssertNames<ArgumentException>("CrossEntropy", () => F.CrossEntropy(logits, Tensor.Zeros([2], DType.Int64), reduction: (Reduction)7), "reduction 7");
    }

    [Fact]
    public void CrossEntropyAfterEarlyValidationKeepsItsValues()
    {
        // Validation moved before LogSoftmax: the values must be unchanged. logits [[1, 2, 3], [1, 1, 1]],
        // targets [2, 0]: -log softmax = [log(e + e² + e³) - 3, log 3].
        var logits = Tensor.FromArray([1.0, 2.0, 3.0, 1.0, 1.0, 1.0], [2, 3]);
        var t = Tensor.FromArray([2L, 0L], [2]);
        double first = Math.Log(Math.E + Math.Exp(2) + Math.Exp(3)) - 3, second = Math.Log(3);
        AssertClose([first, second], F.CrossEntropy(logits, t, reduction: Reduction.None));
        Assert.Equal((first + second) / 2, F.CrossEntropy(logits, t).Item<double>(), 1e-12);
        // Classes in dim 1 of a [N, C, d] input: the same two rows as one sample with d = 2.
        var spatial = logits.Unsqueeze(0).Permute(0, 2, 1);   // [1, 3, 2]
        AssertClose([first, second], F.CrossEntropy(spatial, t.Reshape(1, 2), reduction: Reduction.None).Reshape(-1));
        // A 1-d input with a 0-d target.
        Assert.Equal(first, F.CrossEntropy(logits[0], Tensor.Full([], 2, DType.Int64)).Item<double>(), 1e-12);
    }

    static void AssertClose(double[] expected, Tensor actual)
    {
        var values = actual.ToArray<double>();
        Assert.Equal(expected.Length, values.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], values[i], 1e-12);
    }

    [Fact]
    public void NllLossErrorsStillNameNllLoss()
    {
        AssertNames<ArgumentException>("NllLoss", () => F.NllLoss(Tensor.Scalar(1.0), Tensor.Zeros([], DType.Int64)), "0-d");
        AssertNames<ArgumentOutOfRangeException>("NllLoss", () => F.NllLoss(Tensor.Zeros([2, 3]), Tensor.Full([2], -2, DType.Int64)), "target -2");
    }

    [Fact]
    public void ToWithAnInvalidDTypeNamesToBeforeAllocating()
    {
        var x = Tensor.Ones([2]);
        AssertNames<ArgumentException>("To", () => x.To((DType)99), "99 is not a dtype", "Float32");
        // A valid dtype equal to the tensor's own still returns the tensor itself.
        Assert.Same(x, x.To(DType.Float32));
    }

    [Fact]
    public void EmbeddingIndexOutOfRangeNamesTheCaller()
    {
        AssertNames<ArgumentOutOfRangeException>("Embedding", () => F.Embedding(Tensor.FromArray([1L, 9L], [2]), Tensor.Ones([4, 2])), "index 9", "0..3");
    }

    [Fact]
    public void LossWithUnknownReductionNamesTheLoss()
    {
        var x = Tensor.Zeros([2]);
        AssertNames<ArgumentException>("MseLoss", () => F.MseLoss(x, x, (Reduction)9), "reduction 9");
        AssertNames<ArgumentException>("NllLoss", () => F.NllLoss(Tensor.Zeros([2, 3]), Tensor.Zeros([2], DType.Int64), reduction: (Reduction)9), "reduction 9");
    }

    [Fact]
    public void ErrorRaisedInsideALinqLambdaOfNablaStillNamesTheUser()
    {
        // Norm validates its dims inside a Select: the caller found must be this file, not System.Linq.
        AssertNames<ArgumentException>("Norm", () => Tensor.Ones([2, 3]).Norm(2, 5), "dim 5");
    }

    [Fact]
    public void ErrorFromUserCodeCalledThroughLinqNamesTheUserLambda()
    {
        // The user's own LINQ: the frame named is the user's lambda in this file, not the iterator.
        var xs = new[] { Tensor.Ones([2]), Tensor.Ones([3]) };
        var e = Assert.Throws<ArgumentException>(() => xs.Select(x => x.Sum(4)).ToList());
        Assert.StartsWith("Sum:", e.Message);
        Assert.Contains(ThisFile, e.Message);
    }
}
