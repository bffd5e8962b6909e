using Nabla.Backends;

namespace Nabla.Tests.Hardening;

/// <summary>
/// Issue 11 point 1: element counts past 2^31 - 1 are refused by every shape-making path, with an
/// error that names the public op, the shape and the limit, and before any memory is asked for.
/// </summary>
public class SizeOverflowTests
{
    const string Limit = "2147483647";
    const string ThisFile = "SizeOverflowTests.cs";

    /// <summary>
    /// Runs <paramref name="call"/>, which must throw <typeparamref name="TException"/>, and checks that it
    /// allocated almost nothing (a refused 8 GB tensor must not have been allocated first).
    /// </summary>
    static TException Refused<TException>(Func<object?> call) where TException : Exception
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<TException>(() => call());
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 4 << 20, $"the refused call allocated {allocated} bytes");
        Assert.Contains(ThisFile, e.Message);   // Errors.Arg names the caller's file:line
        return e;
    }

    static void AssertNames(Exception e, params string[] parts)
    {
        foreach (var part in parts) Assert.Contains(part, e.Message);
    }

    [Fact]
    public void ZerosWhoseSizeProductWrapsEvenLongIsRefused()
    {
        // 2^22 * 2^21 * 2^21 = 2^64: a 64-bit product wraps to 0, which used to make this an "empty" tensor.
        var e = Refused<ArgumentException>(() => Tensor.Zeros([4194304, 2097152, 2097152]));
        AssertNames(e, "Tensor.Zeros", "[4194304, 2097152, 2097152]", "18446744073709551616", Limit);
    }

    [Fact]
    public void ZerosPastTheIntLimitNamesOpShapeAndLimit()
    {
        var e = Refused<ArgumentException>(() => Tensor.Zeros([65536, 65536, 2]));
        AssertNames(e, "Tensor.Zeros", "[65536, 65536, 2]", "8589934592", Limit);
    }

    [Fact]
    public void RandnPastTheIntLimitNamesOpShapeAndLimit()
    {
        var e = Refused<ArgumentException>(() => Tensor.Randn([100000, 100000]));
        AssertNames(e, "Randn", "[100000, 100000]", "10000000000", Limit);
        e = Refused<ArgumentException>(() => Tensor.Rand([100000, 100000], seed: 1));
        AssertNames(e, "Rand", "[100000, 100000]");
        e = Refused<ArgumentException>(() => Tensor.RandInt(0, 5, [100000, 100000]));
        AssertNames(e, "RandInt", "[100000, 100000]");
    }

    [Fact]
    public void OnesOfIntMaxValueIsRefusedUpFrontWithItsSizeInBytes()
    {
        // 2^31 - 1 elements is a valid shape, but no .NET array (so no storage) can hold it: refused
        // before allocating, naming the op, the shape and the 8 GB it would need.
        Assert.True(Storage.MaxLength < int.MaxValue);
        var e = Refused<ArgumentException>(() => Tensor.Ones([int.MaxValue]));
        AssertNames(e, "Tensor.Ones", "[2147483647]", "8589934588 bytes", "8.0 GiB", Storage.MaxLength.ToString());
        e = Refused<ArgumentException>(() => Tensor.Full([Storage.MaxLength + 1], 2.0, DType.Float64));
        AssertNames(e, "Tensor.Full", $"[{Storage.MaxLength + 1}]", "float64", "17179868736 bytes");
    }

    [Fact]
    public void ExpandPastTheIntLimitIsRefusedThoughItHoldsNoMemory()
    {
        var e = Refused<ArgumentException>(() => Tensor.Zeros(1).Expand(65536, 65536));
        AssertNames(e, "Expand", "[65536, 65536]", "4294967296", Limit);
        // 46341^2 = 2147488281 is the first square past the limit; 46340^2 = 2147395600 fits.
        Refused<ArgumentException>(() => Tensor.Ones(1, 1).Expand(46341, 46341));
        var big = Tensor.FromArray(new float[] { 7 }, [1, 1]).Expand(46340, 46340);
        Assert.Equal(2147395600, big.NumElements);
        Assert.Equal(7f, big[46339, 46339].Item<float>());
    }

    [Fact]
    public void PadPastTheIntLimitIsRefusedInsteadOfWrappingNegative()
    {
        var e = Refused<ArgumentException>(() => Tensor.Zeros(3).Pad(int.MaxValue, 1));
        AssertNames(e, "Pad", "[3]", "2147483651", Limit);
        // Each dim fits, the product does not: [65536, 1] padded to [65536, 65536].
        e = Refused<ArgumentException>(() => Tensor.Zeros(65536, 1).Pad(0, 65535));
        AssertNames(e, "Pad", "[65536, 65536]", "4294967296", Limit);
    }

    [Fact]
    public void ReshapeWhoseSizesWrapIsRefused()
    {
        // The 64-bit product of these sizes wraps to exactly 0, which used to equal the input's 0 elements.
        var e = Refused<ArgumentException>(() => Tensor.Zeros(0).Reshape(4194304, 2097152, 2097152));
        AssertNames(e, "Reshape", "[4194304, 2097152, 2097152]", "18446744073709551616", Limit);
        e = Refused<ArgumentException>(() => Tensor.Zeros(0).Reshape(-1, 4194304, 2097152, 2097152));
        AssertNames(e, "Reshape", Limit);
        e = Refused<ArgumentException>(() => Tensor.Zeros(6).Reshape(int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue));
        AssertNames(e, "Reshape", Limit);
        // A product that fits but does not match is the ordinary mismatch error.
        e = Refused<ArgumentException>(() => Tensor.Zeros(6).Reshape(4, -1));
        AssertNames(e, "Reshape", "[4, -1]", "size 6");
    }

    [Fact]
    public void ArangePastTheIntLimitIsRefused()
    {
        var e = Refused<ArgumentException>(() => Tensor.Arange(0, 3e9));
        AssertNames(e, "Tensor.Arange", "3000000000", Limit);
        e = Refused<ArgumentException>(() => Tensor.Arange(0, 1e300, 0.5));
        AssertNames(e, "Tensor.Arange", Limit);
        Assert.Equal(new long[] { 0, 1, 2 }, Tensor.Arange(3).ToArray<long>());
    }

    [Fact]
    public void FromArrayNamesAShapeThatOverflowsOrDoesNotMatch()
    {
        var e = Refused<ArgumentException>(() => Tensor.FromArray(new float[6], [4194304, 2097152, 2097152]));
        AssertNames(e, "Tensor.FromArray", "[4194304, 2097152, 2097152]", Limit);
        e = Refused<ArgumentException>(() => Tensor.FromArray(new float[6], [2, 4]));
        AssertNames(e, "Tensor.FromArray", "[2, 4]", "8 elements", "has 6");
    }

    [Fact]
    public void BroadcastAndMatMulResultsPastTheIntLimitAreRefused()
    {
        var column = Tensor.Zeros(65536, 1);
        var row = Tensor.Zeros(1, 65536);
        var e = Refused<ArgumentException>(() => column + row);
        AssertNames(e, "add", "[65536, 65536]", Limit);
        e = Refused<ArgumentException>(() => column.MatMul(row));
        AssertNames(e, "MatMul", "[65536, 65536]", Limit);
    }

    [Fact]
    public void ConcatWhoseSizesAddPastTheLimitIsRefused()
    {
        // Two stride-0 views of 1.5e9 elements each (no memory): their sizes add up to 3e9, which used to wrap negative.
        var a = Tensor.Zeros(1).Expand(1500000000);
        var e = Refused<ArgumentException>(() => Tensor.Concat([a, a]));
        AssertNames(e, "Concat", "[1500000000]", "3000000000", Limit);
    }

    [Fact]
    public void AnOutputShapeMadeInsideAKernelNamesThePublicOp()
    {
        // Summing the empty dim of [0, 65536, 65536] would give a 2^32-element result; the shape is made in the
        // kernel, and the error still names the method the user called.
        var x = Tensor.Zeros([0, 65536, 65536]);
        var e = Refused<ArgumentException>(() => x.Sum(0));
        AssertNames(e, "Tensor.Sum", "65536, 65536]", "4294967296", Limit);
    }

    [Fact]
    public void DiagonalAtTheMostNegativeOffsetIsEmpty()
    {
        // -int.MinValue wraps to int.MinValue in int arithmetic, which used to give the main diagonal.
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4 }, [2, 2]);
        Assert.Equal(new[] { 0 }, x.Diagonal(int.MinValue).Shape.ToArray());
        Assert.Equal(new[] { 0 }, x.Diagonal(int.MaxValue).Shape.ToArray());
        Assert.Equal(new float[] { 3 }, x.Diagonal(-1).ToArray<float>());
    }

    [Fact]
    public void AZeroSizeMakesAnyShapeEmptyAsInPyTorch()
    {
        // torch.zeros(0, 2**31 - 1, 2**31 - 1) is an empty tensor: numel is the product, 0.
        var x = Tensor.Zeros([0, int.MaxValue, int.MaxValue]);
        Assert.Equal(0, x.NumElements);
        Assert.All(x.Strides, s => Assert.True(s >= 0, $"stride {s} wrapped negative"));
        Assert.Equal("tensor([], shape=[0, 2147483647, 2147483647], dtype=float32)", x.ToString());
        Assert.Equal(0, Tensor.Zeros(0).Reshape(0, 65536, 65536).NumElements);
        Assert.Equal(0, new Shape(int.MaxValue, 0, int.MaxValue).NumElements);
    }

    [Fact]
    public void PrintingAHugeExpandedViewReadsOnlyItsEdges()
    {
        // 2147395600 elements of stride 0: printing used to copy all of them (8.6 GB) to the host first.
        var huge = Tensor.FromArray(new float[] { 7 }, [1, 1]).Expand(46340, 46340);
        long before = GC.GetAllocatedBytesForCurrentThread();
        string text = huge.ToString();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 16 << 20, $"printing allocated {allocated} bytes");
        // Laid out exactly as a materialized tensor that is summarized the same way.
        string small = Tensor.Full([1001, 1001], 7).ToString();
        Assert.Equal(small.Replace("shape=[1001, 1001]", "shape=[46340, 46340]"), text);
        Assert.Contains("[7., 7., 7.,  ..., 7., 7., 7.]", text);
    }

    [Fact]
    public void ShapeCountIsExactUpToTheLimit()
    {
        Assert.Equal(int.MaxValue, new Shape(int.MaxValue).NumElements);
        Assert.Equal(2147395600, new Shape(46340, 46340).NumElements);
        Assert.Equal(1, new Shape().NumElements);
        var e = Assert.Throws<ArgumentException>(() => new Shape(46341, 46341));
        AssertNames(e, "Shape", "[46341, 46341]", "2147488281", Limit);
        e = Assert.Throws<ArgumentException>(() => new Shape(2, -1));
        AssertNames(e, "Shape", ">= 0", "[2, -1]");
    }

    [Fact]
    public void StorageSizeSaysElementsAndBytes()
    {
        Assert.Equal("1000 float32 elements (4000 bytes, 3.9 KiB)", Storage.Size(DType.Float32, 1000));
        Assert.Equal("3 bool elements (3 bytes)", Storage.Size(DType.Bool, 3));
        Assert.Equal("268435456 float64 elements (2147483648 bytes, 2.0 GiB)", Storage.Size(DType.Float64, 1 << 28));
    }
}
