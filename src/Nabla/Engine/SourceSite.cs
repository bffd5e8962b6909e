using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Runtime.CompilerServices;
using System.Diagnostics.CodeAnalysis;

namespace Nabla.Engine;

/// <summary>
/// A line of the user's code, as <see cref="CallSite"/> found it on the stack: "Type.Method (File.cs:line)", made into
/// text only when something shows it (an error, a printed graph, Explain). A trace records one for every op, and most
/// are never shown: finding the file and line reads the method's debug symbols, which the first time in a process also
/// loads and compiles the symbol reader (tens of milliseconds), so a trace keeps the method and IL offset instead.
/// </summary>
[UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "An empty Assembly.Location (single-file, NativeAOT) means no PDB file to read: CanResolveLater says no and the site is resolved from the live stack frame instead.")]
internal sealed class SourceSite
{
    readonly MethodBase? _method;
    readonly int _ilOffset;
    readonly SourceSite? _caller;
    string? _text;

    SourceSite(MethodBase? method, int ilOffset, string? text, SourceSite? caller = null)
    {
        _method = method;
        _ilOffset = ilOffset;
        _text = text;
        _caller = caller;
    }

    /// <summary>
    /// The site of an op whose line a trace did not record: an op that can't fail in a replay once its shapes and dtypes are
    /// the traced ones (<c>Primitive.MayFailInReplay</c>), traced without <c>CompileOptions.RecordAllSites</c>. Printed as such.
    /// </summary>
    public static readonly SourceSite NotRecorded = new(null, 0, NotRecordedText);

    /// <summary><see cref="NotRecorded"/>'s text, as graph text, Explain and saved graph files show it.</summary>
    public const string NotRecordedText = "line not recorded";

    /// <summary>Whether this names a line (false only for <see cref="NotRecorded"/>).</summary>
    public bool IsRecorded => !ReferenceEquals(this, NotRecorded);

    /// <summary>
    /// <paramref name="caller"/> (the user's line that called a compiled function), named for an op of it whose own line was
    /// not recorded: what errors, anomaly reports and nested traces say while such an op replays. Its text holds
    /// <see cref="NotRecordedText"/>, the op's site: a replay error that says it keeps its type (Replay.NamesNoSite).
    /// </summary>
    public static SourceSite CallerOfUnrecorded(SourceSite caller) => new(null, 0, null, caller);

    /// <summary>A site whose text is already known.</summary>
    public static SourceSite Known(string text) => new(null, 0, text);

    /// <summary>The site at <paramref name="ilOffset"/> of <paramref name="method"/>, resolved when first shown.</summary>
    public static SourceSite At(MethodBase method, int ilOffset) => new(method, ilOffset, null);

    /// <summary>
    /// Whether <see cref="At"/> finds the same line a stack trace with file information names: the assembly is a file
    /// whose portable PDB (beside it or embedded) this reader opens. Assemblies loaded from memory or emitted at run time
    /// may carry symbols only the runtime sees: their sites are resolved while the frame is on the stack, as before.
    /// </summary>
    public static bool CanResolveLater(MethodBase method) =>
        method.Module.Assembly is { IsDynamic: false, Location.Length: > 0 };

    /// <summary>Whether <see cref="Text"/> was made (tests check that a trace and its compile leave it to be made when shown).</summary>
    internal bool IsResolved => _text is not null;

    /// <summary>"Type.Method (File.cs:line)", or "Type.Method" when the method has no line information.</summary>
    public string Text => _text ??= _caller is { } caller
        ? $"{caller.Text}, calling a compiled function (the op's {NotRecordedText}; CompileOptions.RecordAllSites records it)"
        : Resolve(_method!, _ilOffset);

    public override string ToString() => Text;

    static string Resolve(MethodBase method, int ilOffset)
    {
        string name = CallSite.Readable(method);
        return LineOf(method, ilOffset) is var (file, line) ? $"{name} ({Path.GetFileName(file)}:{line})" : name;
    }

    /// <summary>
    /// The document and line of the last visible sequence point at or before <paramref name="ilOffset"/>: the rule the
    /// runtime's stack traces use (System.Diagnostics.StackTrace's symbol reader), so the text is the one they print.
    /// </summary>
    static (string File, int Line)? LineOf(MethodBase method, int ilOffset)
    {
        try
        {
            if (Symbols(method.Module.Assembly) is not { } provider) return null;
            var reader = provider.GetMetadataReader();
            var handle = MetadataTokens.Handle(method.MetadataToken);
            if (handle.Kind != HandleKind.MethodDefinition) return null;
            var info = reader.GetMethodDebugInformation(((MethodDefinitionHandle)handle).ToDebugInformationHandle());
            if (info.SequencePointsBlob.IsNil) return null;
            SequencePoint? best = null;
            foreach (var point in info.GetSequencePoints())
            {
                if (point.Offset > ilOffset) break;
                if (point.StartLine != SequencePoint.HiddenLine) best = point;
            }
            return best is { } p ? (reader.GetString(reader.GetDocument(p.Document).Name), p.StartLine) : null;
        }
        catch (Exception e) when (e is BadImageFormatException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return null;   // as a stack trace without symbols: the method's name only
        }
    }

    /// <summary>Each assembly's portable PDB reader, opened once (null: none found).</summary>
    static MetadataReaderProvider? Symbols(Assembly assembly) => Readers.GetValue(assembly, Open).Provider;

    static readonly ConditionalWeakTable<Assembly, Opened> Readers = new();

    sealed record Opened(MetadataReaderProvider? Provider);

    static Opened Open(Assembly assembly)
    {
        string path = assembly.Location;
        if (path.Length == 0 || !File.Exists(path)) return new(null);
        try
        {
            using var pe = new PEReader(File.OpenRead(path));
            return new(pe.TryOpenAssociatedPortablePdb(path, TryOpen, out var provider, out _) ? provider : null);
        }
        catch (Exception e) when (e is BadImageFormatException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return new(null);
        }
    }

    static Stream? TryOpen(string path) => File.Exists(path) ? File.OpenRead(path) : null;
}
