using System.Globalization;

namespace Nabla.Examples.CharLM;

/// <summary>Command-line options of the CharLM example.</summary>
sealed record Options
{
    public int Layers { get; init; } = 4;
    public int Heads { get; init; } = 4;
    public int Width { get; init; } = 128;
    public int Context { get; init; } = 128;
    public int BatchSize { get; init; } = 32;
    public int Steps { get; init; } = 1600;
    public double LearningRate { get; init; } = 2e-3;
    public int Warmup { get; init; } = 100;
    public double WeightDecay { get; init; } = 0.1;
    public double Dropout { get; init; } = 0;
    public double ClipNorm { get; init; } = 1.0;
    public int EvalBatches { get; init; } = 40;
    public int Seed { get; init; } = 0;
    public string Style { get; init; } = "torch";
    public int? Limit { get; init; }
    public bool Compile { get; init; } = true;
    public string OutputDirectory { get; init; } = ".";
    public string? DataDirectory { get; init; }
    public bool Sample { get; init; }
    public string? Checkpoint { get; init; }
    public string Prompt { get; init; } = "ROMEO:";
    public int Tokens { get; init; } = 500;
    public double Temperature { get; init; } = 0.8;
    public int? TopK { get; init; } = 20;

    public const string Usage = """
        Trains a small GPT on Tiny Shakespeare, character by character, with Nabla; reports the validation loss and
        prints a passage generated from a prompt. With --sample, generates from a saved checkpoint instead.

        Usage: dotnet run -c Release --project examples/CharLM -- [options]
               dotnet run -c Release --project examples/CharLM -- --sample --checkpoint PATH [--prompt TEXT] [options]
        Model and training:
          --layers N             transformer blocks (default 4)
          --heads N              attention heads per block; must divide --width (default 4)
          --width N              embedding width (default 128)
          --context N            characters the model sees at once (default 128)
          --batch-size N         sequences per step (default 32)
          --steps N              training steps (default 1600)
          --lr X                 AdamW peak learning rate (default 0.002), reached after --warmup steps, then cosine
                                 decay to a tenth of it at the last step
          --warmup N             linear warm-up steps (default 100)
          --weight-decay X       AdamW decoupled weight decay (default 0.1)
          --dropout X            dropout probability in [0, 1) (default 0)
          --clip X               clip the gradients' total norm to X (default 1.0)
          --eval-batches N       validation batches (fixed, seeded) for the validation loss (default 40)
          --seed N               seed for initialization, batches and sampling (default 0)
          --style torch|tf       Backward()/Step() or GradientTape/ApplyGradients
          --limit N              stop after N steps (quick runs; the schedule still spans --steps)
          --eager                run the training step op by op instead of compiled (the default: forward, loss,
                                 gradients, clipping and the AdamW update as one graph, Graph.Compile, replayed
                                 every step); --compile is the default
          --out DIR              where charlm-model.safetensors and charlm-training.png go (default .)
          --data DIR             folder with input.txt or input.txt.gz (default: the repo's data/tinyshakespeare)
        Generation (after training, or with --sample):
          --sample               generate from --checkpoint instead of training
          --checkpoint PATH      a charlm-model.safetensors written by a training run
          --prompt TEXT          the text to continue (default "ROMEO:")
          --tokens N             characters to generate (default 500)
          --temperature T        sampling temperature, > 0 (default 0.8)
          --top-k K              sample among the K most likely characters; 0 for all (default 20)
        """;

    /// <summary>The options that take a value, with the values allowed (null: any, checked when parsed).</summary>
    static readonly Dictionary<string, string[]?> Valued = new()
    {
        ["--layers"] = null, ["--heads"] = null, ["--width"] = null, ["--context"] = null, ["--batch-size"] = null,
        ["--steps"] = null, ["--lr"] = null, ["--warmup"] = null, ["--weight-decay"] = null, ["--dropout"] = null,
        ["--clip"] = null, ["--eval-batches"] = null, ["--seed"] = null, ["--style"] = ["torch", "tf"], ["--limit"] = null,
        ["--out"] = null, ["--data"] = null, ["--checkpoint"] = null, ["--prompt"] = null, ["--tokens"] = null,
        ["--temperature"] = null, ["--top-k"] = null,
    };

    /// <summary>Parses the arguments: the options, or an error message ("" for --help).</summary>
    public static (Options? Options, string? Error) Parse(string[] args)
    {
        var o = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name is "-h" or "--help") return (null, "");
            if (name is "--compile" or "--eager")
            {
                o = o with { Compile = name == "--compile" };
                continue;
            }
            if (name == "--sample")
            {
                o = o with { Sample = true };
                continue;
            }
            if (!Valued.TryGetValue(name, out var choices))
                return (null, name.StartsWith('-') ? $"unknown option {name} (--help lists the options)"
                    : $"unexpected argument '{name}': options start with -- (--help lists them)");
            if (i + 1 >= args.Length) return (null, $"option {name} needs a value");
            string value = args[++i];
            if (choices is not null && !choices.Contains(value))
                return (null, $"{name}: '{value}' is not one of {string.Join(", ", choices)}");
            try
            {
                o = name switch
                {
                    "--layers" => o with { Layers = Positive(name, Int(value)) },
                    "--heads" => o with { Heads = Positive(name, Int(value)) },
                    "--width" => o with { Width = Positive(name, Int(value)) },
                    "--context" => o with { Context = Positive(name, Int(value)) },
                    "--batch-size" => o with { BatchSize = Positive(name, Int(value)) },
                    "--steps" => o with { Steps = Positive(name, Int(value)) },
                    "--lr" => o with { LearningRate = PositiveNumber(name, Number(value)) },
                    "--warmup" => o with { Warmup = NonNegative(name, Int(value)) },
                    "--weight-decay" => o with { WeightDecay = NonNegativeNumber(name, Number(value)) },
                    "--dropout" => o with { Dropout = Probability(name, Number(value)) },
                    "--clip" => o with { ClipNorm = PositiveNumber(name, Number(value)) },
                    "--eval-batches" => o with { EvalBatches = Positive(name, Int(value)) },
                    "--seed" => o with { Seed = Int(value) },
                    "--style" => o with { Style = value },
                    "--limit" => o with { Limit = Positive(name, Int(value)) },
                    "--out" => o with { OutputDirectory = value },
                    "--data" => o with { DataDirectory = value },
                    "--checkpoint" => o with { Checkpoint = value },
                    "--prompt" => o with { Prompt = value.Length > 0 ? value : throw new FormatException("--prompt must not be empty") },
                    "--tokens" => o with { Tokens = Positive(name, Int(value)) },
                    "--temperature" => o with { Temperature = PositiveNumber(name, Number(value)) },
                    _ => o with { TopK = NonNegative(name, Int(value)) is int k && k > 0 ? k : null },
                };
            }
            catch (FormatException e)
            {
                return (null, e.Message.StartsWith(name, StringComparison.Ordinal) ? e.Message : $"{name}: '{value}' is not a valid value");
            }
            catch (OverflowException)
            {
                return (null, $"{name}: '{value}' is out of range");
            }
        }
        if (o.Width % o.Heads != 0)
            return (null, $"--heads {o.Heads} does not divide --width {o.Width}: each head gets width/heads features");
        if (o.Sample && o.Checkpoint is null)
            return (null, "--sample needs --checkpoint PATH (a charlm-model.safetensors written by a training run)");
        if (!o.Sample && o.Warmup >= o.Steps)
            return (null, $"--warmup {o.Warmup} must be smaller than --steps {o.Steps} (lower --warmup, or keep --steps and stop early with --limit N)");
        return (o, null);
    }

    static int Int(string value) => int.Parse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    static double Number(string value) => double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture);

    static int Positive(string name, int value) =>
        value > 0 ? value : throw new FormatException($"{name} must be positive, got {value}");

    static int NonNegative(string name, int value) =>
        value >= 0 ? value : throw new FormatException($"{name} must not be negative, got {value}");

    static double PositiveNumber(string name, double value) =>
        value > 0 && double.IsFinite(value) ? value : throw new FormatException($"{name} must be a positive number, got {value}");

    static double NonNegativeNumber(string name, double value) =>
        value >= 0 && double.IsFinite(value) ? value : throw new FormatException($"{name} must be a non-negative number, got {value}");

    static double Probability(string name, double value) =>
        value >= 0 && value < 1 ? value : throw new FormatException($"{name} must be in [0, 1), got {value}");
}
