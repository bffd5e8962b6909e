using Nabla.IO;
using Nabla.NN;
using Nabla.Tests.IO;

namespace Nabla.Tests.Hardening;

/// <summary>
/// Issue 11, point 8: a save killed midway leaves its temporary file behind; the next save of the same
/// target removes every such file no live writer holds, and never one a writer holds now.
/// </summary>
/// <remarks>
/// A SIGKILL is simulated by what it leaves: a closed temporary file with the writer's name pattern and
/// some bytes in it. That is exactly the state the kernel leaves when it kills the writer (the process's
/// handles close, so its lock goes), and it keeps the test in-process: launching and killing a second
/// .NET process per case would cost seconds and tie the suite to a platform. The live writer is a real
/// one: a save blocked midway on another thread, holding its file as it would in another process (flock
/// locks belong to the open file, not to the process, so a second handle in this process is refused
/// just as a handle in another process would be).
/// </remarks>
public class SaveTempFileTests
{
    const string Target = "model.safetensors";

    static Dictionary<string, Tensor> Tensors(float value) => new() { ["w"] = Tensor.Full([2, 3], value) };

    /// <summary>A temporary file as a killed save leaves it: the target's pattern, some bytes, last written an hour ago.</summary>
    static string LeaveStaleTemporaryFile(TempDirectory dir, string target = Target)
    {
        var path = dir.File($".{target}.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(path, new byte[1000]);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddHours(-1));
        return path;
    }

    [Fact]
    public void StaleTemporaryFilesOfTheTargetAreRemovedByItsNextSave()
    {
        using var dir = new TempDirectory();
        var path = dir.File(Target);
        SafeTensors.Save(path, Tensors(1));
        for (int i = 0; i < 10; i++) LeaveStaleTemporaryFile(dir);
        Assert.Equal(11, dir.Entries().Length);

        SafeTensors.Save(path, Tensors(2));

        Assert.Equal([Target], dir.Entries());
        Assert.Equal(new float[] { 2, 2, 2, 2, 2, 2 }, SafeTensors.Load(path)["w"].ToArray<float>());
    }

    [Fact]
    public void ATemporaryFileHeldOpenExclusivelySurvivesTheSaveAndGoesAfterItIsReleased()
    {
        using var dir = new TempDirectory();
        var path = dir.File(Target);
        var stale = LeaveStaleTemporaryFile(dir);
        var held = LeaveStaleTemporaryFile(dir);
        using (var writer = new FileStream(held, FileMode.Open, FileAccess.Write, FileShare.None))
        {
            SafeTensors.Save(path, Tensors(3));
            Assert.False(File.Exists(stale));
            Assert.True(File.Exists(held));
            Assert.Equal(1000, writer.Length);   // untouched, still writable by its owner
        }
        SafeTensors.Save(path, Tensors(4));
        Assert.Equal([Target], dir.Entries());
    }

    [Fact]
    public async Task ASaveInProgressKeepsItsFileWhileAnotherSaveOfTheSameTargetRuns()
    {
        using var dir = new TempDirectory();
        var path = dir.File(Target);
        using var midway = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        string? firstTemp = null;
        var first = Task.Run(() => SafeTensors.Save(path, Tensors(5), null, file =>
        {
            firstTemp = ((FileStream)file).Name;
            return new PausingStream(file, pauseAfter: 20, () =>
            {
                // Make the live file look old, so only its lock (not the freshness grace) can protect it.
                File.SetLastWriteTimeUtc(firstTemp, DateTime.UtcNow.AddHours(-1));
                midway.Set();
                Assert.True(release.Wait(TimeSpan.FromSeconds(30)));
            });
        }));
        Assert.True(midway.Wait(TimeSpan.FromSeconds(30)));

        SafeTensors.Save(path, Tensors(6));
        Assert.True(File.Exists(firstTemp));
        Assert.Equal(new float[] { 6, 6, 6, 6, 6, 6 }, SafeTensors.Load(path)["w"].ToArray<float>());

        release.Set();
        await first.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal([Target], dir.Entries());   // the paused save finished and renamed its file: last rename wins
        Assert.Equal(new float[] { 5, 5, 5, 5, 5, 5 }, SafeTensors.Load(path)["w"].ToArray<float>());
    }

    [Fact]
    public void AFreshUnlockedTemporaryFileIsLeftForALaterSave()
    {
        using var dir = new TempDirectory();
        var path = dir.File(Target);
        var fresh = dir.File($".{Target}.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(fresh, [1, 2, 3]);   // written just now: a writer may be between creating and locking it
        SafeTensors.Save(path, Tensors(1));
        Assert.True(File.Exists(fresh));

        File.SetLastWriteTimeUtc(fresh, DateTime.UtcNow - AtomicFile.FreshnessGrace - TimeSpan.FromSeconds(1));
        SafeTensors.Save(path, Tensors(1));
        Assert.False(File.Exists(fresh));
    }

    [Fact]
    public void OnlyTheTargetsOwnTemporaryFilesAreRemoved()
    {
        using var dir = new TempDirectory();
        var path = dir.File(Target);
        var others = new[]
        {
            $".{Target}.bak.{Guid.NewGuid():N}.tmp",          // the temporary file of target "model.safetensors.bak"
            $".other.safetensors.{Guid.NewGuid():N}.tmp",     // another target's
            $".{Target}.{Guid.NewGuid():N}.tmp.keep",         // not ending in .tmp
            $".{Target}.{Guid.NewGuid():N}"[..^1] + "X.tmp",  // not 32 lowercase hex digits
            $"{Target}.{Guid.NewGuid():N}.tmp",               // no leading dot
            $".{Target}.tmp",
            "notes.txt",
        };
        foreach (var name in others)
        {
            File.WriteAllBytes(dir.File(name), [7]);
            File.SetLastWriteTimeUtc(dir.File(name), DateTime.UtcNow.AddHours(-1));
        }
        LeaveStaleTemporaryFile(dir);

        SafeTensors.Save(path, Tensors(1));

        Assert.Equal(others.Append(Target).Order(StringComparer.Ordinal), dir.Entries());
    }

    [Fact]
    public void TemporaryNamesAreRecognisedExactly()
    {
        var hex = Guid.NewGuid().ToString("N");
        Assert.True(AtomicFile.IsTemporaryFileOf("a.bin", $".a.bin.{hex}.tmp"));
        Assert.False(AtomicFile.IsTemporaryFileOf("a.bin", $".a.bin.bak.{hex}.tmp"));
        Assert.False(AtomicFile.IsTemporaryFileOf("a.bin.bak", $".a.bin.{hex}.tmp"));
        Assert.False(AtomicFile.IsTemporaryFileOf("a.bin", $".a.bin.{hex.ToUpperInvariant()}.tmp"));
        Assert.False(AtomicFile.IsTemporaryFileOf("a.bin", $".a.bin.{hex[..31]}.tmp"));
        Assert.False(AtomicFile.IsTemporaryFileOf("a.bin", $".a.bin.{hex}.tmpx"));
        Assert.False(AtomicFile.IsTemporaryFileOf("a.bin", $".a.bin_{hex}.tmp"));
        Assert.False(AtomicFile.IsTemporaryFileOf("a.bin", $"xa.bin.{hex}.tmp"));
    }

    [Fact]
    public void ModuleSaveCleansStaleTemporaryFilesToo()
    {
        using var dir = new TempDirectory();
        var path = dir.File(Target);
        LeaveStaleTemporaryFile(dir);
        LeaveStaleTemporaryFile(dir);
        var model = new Linear(3, 2, seed: 1);
        model.Save(path);
        Assert.Equal([Target], dir.Entries());
        var copy = new Linear(3, 2, seed: 2);
        copy.Load(path);
        Assert.Equal(model.StateDict()["weight"].ToArray<float>(), copy.StateDict()["weight"].ToArray<float>());
    }

    [Fact]
    public void NothingIsCleanedWhenDotNetFileLockingIsSwitchedOff()
    {
        using var dir = new TempDirectory();
        var path = dir.File(Target);
        // .NET reads its own copy of the switch once, at its first locked open; make sure that has happened,
        // so that setting the switch below cannot turn locking off for the rest of the test run.
        using (new FileStream(dir.File("warm-up"), FileMode.Create, FileAccess.Write, FileShare.None)) { }
        File.Delete(dir.File("warm-up"));
        var stale = LeaveStaleTemporaryFile(dir);
        bool windows = OperatingSystem.IsWindows();   // Windows enforces share modes itself; the switch means nothing there
        AppContext.SetSwitch("System.IO.DisableFileLocking", true);
        try
        {
            SafeTensors.Save(path, Tensors(1));
            Assert.Equal(!windows, File.Exists(stale));
        }
        finally
        {
            AppContext.SetSwitch("System.IO.DisableFileLocking", false);
        }
        SafeTensors.Save(path, Tensors(1));
        Assert.False(File.Exists(stale));
    }

    /// <summary>Passes writes through; after <c>pauseAfter</c> bytes runs <c>pause</c> once (a writer stalled midway).</summary>
    sealed class PausingStream(Stream inner, long pauseAfter, Action pause) : IO.CountingWriteStream(inner)
    {
        bool _paused;

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Inner.Write(buffer);
            Written += buffer.Length;
            if (!_paused && Written >= pauseAfter)
            {
                _paused = true;
                Inner.Flush();
                pause();
            }
        }
    }
}
