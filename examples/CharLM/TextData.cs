using System.IO.Compression;

namespace Nabla.Examples.CharLM;

/// <summary>
/// Tiny Shakespeare as character ids: the vocabulary is the sorted set of characters of the whole file (65),
/// the first 90% of the characters train and the last 10% validate. Batches are windows of <c>context + 1</c>
/// characters at random offsets: inputs are the first <c>context</c>, targets the same shifted by one.
/// </summary>
sealed class TextData
{
    public TextData(string text)
    {
        if (text.Length < 100) throw new InvalidDataException($"the text has {text.Length} characters; a language model needs more.");
        Codec = new Codec(text.Distinct().Order().ToArray());
        var ids = Codec.Encode(text, "the text");
        int split = (int)(ids.Length * 0.9);
        Train = ids[..split];
        Validation = ids[split..];
    }

    public Codec Codec { get; }
    public char[] Vocabulary => Codec.Vocabulary;
    public int[] Train { get; }
    public int[] Validation { get; }

    /// <summary>Reads data/tinyshakespeare/input.txt(.gz) from <paramref name="directory"/>, or the repo's data folder.</summary>
    public static TextData Load(string? directory) => new(ReadText(directory));

    public static string ReadText(string? directory)
    {
        string dir = directory ?? FindDataDirectory()
            ?? throw new DirectoryNotFoundException($"no data/tinyshakespeare folder found from '{Directory.GetCurrentDirectory()}' or " +
                $"'{AppContext.BaseDirectory}' upwards; run from the repository or pass --data DIR.");
        string plain = Path.Combine(dir, "input.txt");
        if (File.Exists(plain)) return File.ReadAllText(plain);
        string gz = plain + ".gz";
        if (!File.Exists(gz)) throw new FileNotFoundException($"neither '{plain}' nor '{gz}' exists.", gz);
        using var stream = new GZipStream(File.OpenRead(gz), CompressionMode.Decompress);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The first data/tinyshakespeare folder found walking up from the current directory, then from the program's.</summary>
    public static string? FindDataDirectory()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "data", "tinyshakespeare");
                if (Directory.Exists(candidate)) return candidate;
            }
        return null;
    }

    /// <summary>A batch of inputs [batch, context] and targets [batch, context] (int64) from <paramref name="ids"/>.</summary>
    public static (Tensor Inputs, Tensor Targets) Batch(int[] ids, int batch, int context, Random random)
    {
        if (ids.Length <= context)
            throw new ArgumentException($"the text has {ids.Length} characters, fewer than context + 1 = {context + 1}.");
        var x = new long[batch * context];
        var y = new long[batch * context];
        for (int b = 0; b < batch; b++)
        {
            int start = random.Next(ids.Length - context);
            for (int t = 0; t < context; t++)
            {
                x[b * context + t] = ids[start + t];
                y[b * context + t] = ids[start + t + 1];
            }
        }
        return (Tensor.FromArray(x, [batch, context]), Tensor.FromArray(y, [batch, context]));
    }
}

/// <summary>Characters to ids and back, over a fixed vocabulary (sorted characters).</summary>
sealed class Codec
{
    readonly Dictionary<char, int> index = new();

    public Codec(char[] vocabulary)
    {
        Vocabulary = vocabulary;
        for (int i = 0; i < vocabulary.Length; i++) index[vocabulary[i]] = i;
    }

    public char[] Vocabulary { get; }

    public int[] Encode(string text, string what)
    {
        var result = new int[text.Length];
        for (int i = 0; i < text.Length; i++)
            result[i] = index.TryGetValue(text[i], out int id) ? id
                : throw new ArgumentException($"{what}: the character '{text[i]}' (U+{(int)text[i]:X4}) is not in the model's vocabulary " +
                    $"(the {Vocabulary.Length} characters of its training text).");
        return result;
    }

    public string Decode(IEnumerable<int> ids) => new(ids.Select(i => Vocabulary[i]).ToArray());
}
