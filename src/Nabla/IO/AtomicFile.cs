namespace Nabla.IO;

/// <summary>
/// Writes a file atomically (a temporary file in the same folder, flushed to disk, then renamed over the
/// target) and cleans up the temporary files that writers killed mid-save left behind.
/// </summary>
/// <remarks>
/// The temporary file of target <c>NAME</c> is <c>.NAME.&lt;32 hex digits&gt;.tmp</c> in the target's folder,
/// so it can be recognised as belonging to that target and to no other. A writer holds its temporary file
/// open from creation until after the rename, and that open handle carries an OS lock (on Unix .NET takes
/// an advisory <c>flock</c> for every <see cref="FileShare"/> mode; on Windows the handle's share mode
/// refuses an exclusive open). Before each save of a target, every temporary file of that target is
/// tried with an exclusive open: one that opens is held by no live writer (its writer died, e.g. from a
/// SIGKILL or a power cut) and is deleted; one that refuses is being written now and is left alone.
/// Two guards: a temporary file modified in the last <see cref="FreshnessGrace"/> is skipped (on Unix a
/// writer creates its file and locks it in two steps, and a cleaner must not slip in between), and
/// nothing is cleaned where .NET's file locking is switched off (<c>DOTNET_SYSTEM_IO_DISABLEFILELOCKING</c>),
/// since a live writer could then not be told from a dead one.
/// NB: advisory locks do not work on every network file system; there a stale file may be kept, or a
/// writer that stalls for longer than the grace period may lose its temporary file (its save then
/// fails and the target stays intact).
/// </remarks>
internal static class AtomicFile
{
    /// <summary>A temporary file younger than this is never deleted, whatever its lock says.</summary>
    public static readonly TimeSpan FreshnessGrace = TimeSpan.FromSeconds(2);

    const string Suffix = ".tmp";
    const int RandomDigits = 32;   // a Guid in "N" format

    /// <summary>
    /// Writes <paramref name="path"/> with <paramref name="write"/>: into a fresh temporary file, flushed to
    /// disk and renamed over the target while still held. If anything fails, the old target (if any) is
    /// untouched and the temporary file is removed. <paramref name="wrap"/> wraps the file stream (tests use
    /// it to fail a write midway). <paramref name="op"/> names the caller in error messages.
    /// </summary>
    public static void Write(string path, string op, Action<Stream> write, Func<Stream, Stream>? wrap = null)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full) ?? throw new ArgumentException($"{op}: '{path}' has no folder.", nameof(path));
        var name = Path.GetFileName(full);
        RemoveStaleTemporaryFiles(folder, name);   // first, so the space a crashed save took is free again
        var temp = Path.Combine(folder, $".{name}.{Guid.NewGuid():N}{Suffix}");
        try
        {
            // FileShare.Delete lets Windows rename the file while this handle (and so its lock) is open;
            // on Unix any share mode takes a flock, which is what a cleaner tests for.
            using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.Delete, 1 << 16);
            var stream = wrap is null ? file : wrap(file);
            write(stream);
            stream.Flush();
            file.Flush(flushToDisk: true);
            // Renamed while still held: there is no moment at which a finished but unlocked temporary file
            // could be taken for a dead writer's.
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); }
            catch (IOException) { }           // best effort: the original error matters more
            catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>
    /// Deletes the temporary files of target <paramref name="fileName"/> in <paramref name="folder"/> that
    /// no live writer holds (see the class remarks for the rule) and returns how many it deleted. Never
    /// throws for a file it cannot inspect or delete: cleaning is best effort and must not fail a save.
    /// </summary>
    public static int RemoveStaleTemporaryFiles(string folder, string fileName)
    {
        if (FileLockingDisabled()) return 0;
        IEnumerable<string> candidates;
        // Hidden files included: on Unix the leading '.' makes them hidden.
        var options = new EnumerationOptions { AttributesToSkip = 0, MatchType = MatchType.Simple, IgnoreInaccessible = true };
        try { candidates = Directory.EnumerateFiles(folder, $".{fileName}.*{Suffix}", options).ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 0; }

        int removed = 0;
        foreach (var candidate in candidates)
        {
            if (!IsTemporaryFileOf(fileName, Path.GetFileName(candidate))) continue;
            try
            {
                if (DateTime.UtcNow - File.GetLastWriteTimeUtc(candidate) < FreshnessGrace) continue;
                // An exclusive open fails while a writer holds the file; when it succeeds, the file goes
                // when this handle closes (no gap in which a writer could pick the name up again: the names
                // are random and created with CreateNew, so no writer ever reopens one).
                using (new FileStream(candidate, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
                removed++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }   // live, gone already, or not ours to delete
        }
        return removed;
    }

    /// <summary>
    /// True when <paramref name="candidate"/> is exactly a temporary name this class makes for target
    /// <paramref name="fileName"/>: '.', the name, '.', 32 hex digits, ".tmp" (so the temporary files of
    /// "a.bin.bak" are never taken for those of "a.bin").
    /// </summary>
    public static bool IsTemporaryFileOf(string fileName, string candidate)
    {
        int start = 1 + fileName.Length + 1;
        if (candidate.Length != start + RandomDigits + Suffix.Length) return false;
        if (candidate[0] != '.' || !candidate.AsSpan(1).StartsWith(fileName, StringComparison.Ordinal) || candidate[start - 1] != '.')
            return false;
        if (!candidate.EndsWith(Suffix, StringComparison.Ordinal)) return false;
        foreach (char c in candidate.AsSpan(start, RandomDigits))
            if (!char.IsAsciiHexDigitLower(c)) return false;
        return true;
    }

    /// <summary>
    /// Whether .NET was told not to lock files (then a live writer holds no lock a cleaner could see).
    /// Windows enforces share modes itself, so the switch does not matter there.
    /// </summary>
    static bool FileLockingDisabled()
    {
        if (OperatingSystem.IsWindows()) return false;
        if (AppContext.TryGetSwitch("System.IO.DisableFileLocking", out bool disabled)) return disabled;
        var env = Environment.GetEnvironmentVariable("DOTNET_SYSTEM_IO_DISABLEFILELOCKING");
        return env is not null && (env == "1" || env.Equals("true", StringComparison.OrdinalIgnoreCase));
    }
}
