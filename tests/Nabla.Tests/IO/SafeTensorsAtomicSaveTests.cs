using Nabla.IO;

namespace Nabla.Tests.IO;

/// <summary>Save writes a temporary file and renames it: a failure at any point leaves the old file and no litter.</summary>
public class SafeTensorsAtomicSaveTests
{
    static Dictionary<string, Tensor> NewTensors() => new()
    {
        ["a"] = Tensor.Arange(1000, DType.Float32),
        ["b"] = Tensor.Ones([10, 10], DType.Float64),
    };

    [Theory]
    [InlineData(0)]       // before the length prefix
    [InlineData(5)]       // inside the length prefix
    [InlineData(40)]      // inside the header
    [InlineData(2000)]    // inside the tensor data
    [InlineData(4700)]    // a few bytes before the end
    public void AWriteThatFailsMidwayLeavesTheOldFileIntact(int failAfter)
    {
        using var dir = new TempDirectory();
        var path = dir.File("model.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["old"] = Tensor.FromArray(new[] { 42L }, [1]) });
        var before = File.ReadAllBytes(path);
        Assert.True(SafeTensors.Serialize(NewTensors()).Length > failAfter);

        var e = Assert.Throws<IOException>(() => SafeTensors.Save(path, NewTensors(), null, s => new FailingStream(s, failAfter)));
        Assert.Equal("disk full (simulated)", e.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["model.safetensors"], dir.Entries());
        Assert.Equal(42L, SafeTensors.Load(path)["old"].ToArray<long>()[0]);
    }

    [Fact]
    public void AFailedFirstSaveLeavesNoFileAtAll()
    {
        using var dir = new TempDirectory();
        var path = dir.File("model.safetensors");
        Assert.Throws<IOException>(() => SafeTensors.Save(path, NewTensors(), null, s => new FailingStream(s, 100)));
        Assert.Empty(dir.Entries());
    }

    [Fact]
    public void ASuccessfulSaveReplacesTheFileAndLeavesNoTemporaryFiles()
    {
        using var dir = new TempDirectory();
        var path = dir.File("model.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["old"] = Tensor.Ones(3) });
        SafeTensors.Save(path, NewTensors());
        Assert.Equal(["model.safetensors"], dir.Entries());
        Assert.Equal(SafeTensors.Serialize(NewTensors()), File.ReadAllBytes(path));
    }

    [Fact]
    public void InvalidArgumentsFailBeforeAnyFileIsCreated()
    {
        using var dir = new TempDirectory();
        var path = dir.File("model.safetensors");
        SafeTensors.Save(path, NewTensors());
        var before = File.ReadAllBytes(path);
        Assert.Throws<ArgumentException>(() => SafeTensors.Save(path, new Dictionary<string, Tensor> { ["__metadata__"] = Tensor.Ones(1) }));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["model.safetensors"], dir.Entries());
    }

    [Fact]
    public void SavingOverAFolderFailsAndCleansUp()
    {
        using var dir = new TempDirectory();
        var folder = dir.File("taken");
        Directory.CreateDirectory(folder);
        Assert.ThrowsAny<IOException>(() => SafeTensors.Save(folder, NewTensors()));
        Assert.Equal(["taken"], dir.Entries());
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    [Fact]
    public void SavingIntoAMissingFolderFailsWithoutCreatingIt()
    {
        using var dir = new TempDirectory();
        Assert.Throws<DirectoryNotFoundException>(() => SafeTensors.Save(dir.File("no/such/model.safetensors"), NewTensors()));
        Assert.Empty(dir.Entries());
    }

    /// <summary>Passes writes through until <c>limit</c> bytes have gone, then throws as a full disk would.</summary>
    sealed class FailingStream(Stream inner, long limit) : CountingWriteStream(inner)
    {

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Written + buffer.Length > limit)
            {
                int room = (int)(limit - Written);
                Inner.Write(buffer[..room]);
                Written = limit;
                throw new IOException("disk full (simulated)");
            }
            Inner.Write(buffer);
            Written += buffer.Length;
        }
    }
}
