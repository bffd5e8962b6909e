using System.Text;
using Nabla.IO;
using Nabla.Tests.IO;

namespace Nabla.Tests.Hardening;

/// <summary>
/// Issue 11, point 2 (loader side): a safetensors header may not declare more than 64 dims, more than
/// 2^31 - 1 elements per tensor, or sizes whose arithmetic would overflow; each is refused, before any
/// tensor memory is allocated, with an error naming the file, the tensor and the number at fault.
/// </summary>
public class SafeTensorsRankTests
{
    static byte[] FileBytes(string header, byte[] data)
    {
        var json = Encoding.UTF8.GetBytes(header);
        return [.. BitConverter.GetBytes((ulong)json.Length), .. json, .. data];
    }

    static string Entry(string name, string shape, string offsets, string dtype = "F32") =>
        $"{{\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":{offsets}}}}}";

    static string Ones(int rank) => "[" + string.Join(",", Enumerable.Repeat(1, rank)) + "]";

    static InvalidDataException LoadFails(TempDirectory dir, string header, byte[] data, out string path)
    {
        path = dir.File("bad.safetensors");
        File.WriteAllBytes(path, FileBytes(header, data));
        var p = path;
        return Assert.Throws<InvalidDataException>(() => SafeTensors.Load(p));
    }

    [Fact]
    public void ARankBombIsRefusedNamingTheFileTheTensorAndTheRank()
    {
        using var dir = new TempDirectory();
        var e = LoadFails(dir, Entry("bomb", Ones(40000), "[0,4]"), BitConverter.GetBytes(1f), out var path);
        Assert.Equal($"Invalid safetensors file '{path}': tensor 'bomb' has rank 40000 (a shape of 40000 dims), above the limit of 64 dims; " +
            "the header is corrupt or hostile.", e.Message);
        // Reading only the header refuses it the same way.
        Assert.Equal(e.Message, Assert.Throws<InvalidDataException>(() => SafeTensors.ReadHeader(path)).Message);
    }

    [Fact]
    public void Rank64LoadsAndRank65IsRefused()
    {
        using var dir = new TempDirectory();
        var ok = dir.File("ok.safetensors");
        File.WriteAllBytes(ok, FileBytes(Entry("deep", Ones(64), "[0,4]"), BitConverter.GetBytes(3.5f)));
        var t = SafeTensors.Load(ok)["deep"];
        Assert.Equal(Enumerable.Repeat(1, 64), t.Shape.ToArray());
        Assert.Equal(new[] { 3.5f }, t.ToArray<float>());

        var e = LoadFails(dir, Entry("deeper", Ones(65), "[0,4]"), BitConverter.GetBytes(3.5f), out var path);
        Assert.Equal($"Invalid safetensors file '{path}': tensor 'deeper' has rank 65 (a shape of 65 dims), above the limit of 64 dims; " +
            "the header is corrupt or hostile.", e.Message);
    }

    [Fact]
    public void ARankBombIsRefusedBeforeItsSizesAreChecked()
    {
        // 100 dims of 2^31 - 1: the rank is at fault first, not the element count.
        using var dir = new TempDirectory();
        var shape = "[" + string.Join(",", Enumerable.Repeat(int.MaxValue, 100)) + "]";
        var e = LoadFails(dir, Entry("x", shape, "[0,4]"), new byte[4], out _);
        Assert.Contains("tensor 'x' has rank 100 (a shape of 100 dims), above the limit of 64 dims", e.Message);
    }

    public static TheoryData<string, string, string> OverflowingHeaders() => new()
    {
        // 46341^2 = 2,147,488,281: just past 2^31 - 1.
        { "[46341,46341]", "[0,4]", "tensor 'x' has shape [46341, 46341] with more than 2147483647 elements, beyond what a Nabla tensor can hold." },
        // A product that would overflow a long: caught as soon as it passes 2^31 - 1.
        { Ones(10).Replace("1", "2147483647"), "[0,4]", "with more than 2147483647 elements, beyond what a Nabla tensor can hold." },
        { "[3000000000]", "[0,4]", "tensor 'x' has shape entry 0 = 3000000000, larger than Nabla's limit of 2147483647 per dimension." },
        { "[9223372036854775808]", "[0,4]", "tensor 'x' has shape entry 0 = 9223372036854775808, which is not a size (a whole number >= 0)." },
        { "[1e400]", "[0,4]", "tensor 'x' has shape entry 0 = 1e400, which is not a size (a whole number >= 0)." },
        { "[-1]", "[0,4]", "tensor 'x' has shape entry 0 = -1, which is not a size (a whole number >= 0)." },
        { "[1]", "[0,9223372036854775807]", "tensor 'x' has data_offsets [0, 9223372036854775807] outside the data buffer of 4 bytes" },
        { "[0]", "[9223372036854775807,9223372036854775807]", "tensor 'x' has data_offsets [9223372036854775807, 9223372036854775807] outside the data buffer of 4 bytes" },
        { "[1]", "[0,18446744073709551615]", "tensor 'x' has data_offsets [0,18446744073709551615], which are not two whole numbers >= 0." },
        { "[1]", "[4,0]", "tensor 'x' has data_offsets [4, 0] with begin > end." },
    };

    [Theory]
    [MemberData(nameof(OverflowingHeaders))]
    public void SizesWhoseArithmeticWouldOverflowAreRefused(string shape, string offsets, string problem)
    {
        using var dir = new TempDirectory();
        var e = LoadFails(dir, Entry("x", shape, offsets), new byte[4], out var path);
        Assert.StartsWith($"Invalid safetensors file '{path}': ", e.Message);
        Assert.True(e.Message.Contains(problem, StringComparison.Ordinal), $"expected \"{problem}\" in \"{e.Message}\"");
    }
}
