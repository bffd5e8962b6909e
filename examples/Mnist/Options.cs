namespace Nabla.Examples.Mnist;

/// <summary>Command-line options of the MNIST example.</summary>
sealed record Options
{
    public string Model { get; init; } = "cnn";
    public int Epochs { get; init; } = 2;
    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 2e-3;
    public int Seed { get; init; } = 0;
    public string Style { get; init; } = "torch";
    public int? Limit { get; init; }
    public string OutputDirectory { get; init; } = ".";
    public string? DataDirectory { get; init; }
    public bool Compile { get; init; } = true;
    public string Schedule { get; init; } = "cosine";
    public bool Distributed { get; init; }
    public string? Checkpoint { get; init; }
    public bool Resume { get; init; }

    public const string Usage = """
        Trains a network on MNIST with Nabla and reports the test accuracy.

        Usage: dotnet run -c Release --project examples/Mnist -- [options]
          --model mlp|cnn        network (default cnn)
          --epochs N             passes over the training set (default 2)
          --batch-size N         images per step (default 64)
          --lr X                 Adam learning rate (default 0.002)
          --schedule cosine|constant
                                 learning rate per step: cosine annealing from --lr to 0 over the whole
                                 run (default), or --lr throughout
          --seed N               seed for initialization and shuffling (default 0)
          --style torch|tf       Backward()/Step() or GradientTape/ApplyGradients (same numbers)
          --limit N              train on the first N training images only (quick runs)
          --eager                run the training step op by op instead of compiled (the default: forward,
                                 loss, gradients and Adam update as one graph, Graph.Compile, replayed every
                                 step; the same numbers bit for bit, and faster); --compile is the default
          --out DIR              where mnist-model.safetensors and mnist-training.png go (default .)
          --data DIR             folder with the MNIST files (default: the repo's data/mnist)
          --distributed          data-parallel over the ranks of `mpirun -np N` (PyTorch style:
                                 DistributedDataParallel; tf style: MultiWorkerMirroredStrategy): each rank
                                 trains on its shard with batch-size/N, so the global batch stays --batch-size;
                                 compiled or --eager; only rank 0 prints and writes files. Without mpirun: one rank
          --checkpoint FILE      save model, Adam and schedule state to FILE after every epoch (rank 0 writes)
          --resume               continue from --checkpoint FILE when it exists (every rank loads it)
        """;

    /// <summary>The options that take a value, with the values allowed (null: any, checked when parsed).</summary>
    static readonly Dictionary<string, string[]?> Valued = new()
    {
        ["--model"] = ["mlp", "cnn"], ["--epochs"] = null, ["--batch-size"] = null, ["--lr"] = null, ["--seed"] = null,
        ["--schedule"] = ["cosine", "constant"], ["--style"] = ["torch", "tf"], ["--limit"] = null, ["--out"] = null,
        ["--data"] = null, ["--checkpoint"] = null,
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
            if (name is "--distributed" or "--resume")
            {
                o = name == "--distributed" ? o with { Distributed = true } : o with { Resume = true };
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
                    "--model" => o with { Model = value },
                    "--epochs" => o with { Epochs = Positive(name, int.Parse(value)) },
                    "--batch-size" => o with { BatchSize = Positive(name, int.Parse(value)) },
                    "--lr" => o with { LearningRate = PositiveNumber(name, double.Parse(value, System.Globalization.CultureInfo.InvariantCulture)) },
                    "--seed" => o with { Seed = int.Parse(value) },
                    "--schedule" => o with { Schedule = value },
                    "--style" => o with { Style = value },
                    "--limit" => o with { Limit = Positive(name, int.Parse(value)) },
                    "--out" => o with { OutputDirectory = value },
                    "--checkpoint" => o with { Checkpoint = value },
                    _ => o with { DataDirectory = value },
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
        if (o.Resume && o.Checkpoint is null) return (null, "--resume needs --checkpoint FILE (the file to continue from)");
        return (o, null);
    }

    static int Positive(string name, int value) =>
        value > 0 ? value : throw new FormatException($"{name} must be positive, got {value}");

    static double PositiveNumber(string name, double value) =>
        value > 0 && double.IsFinite(value) ? value : throw new FormatException($"{name} must be a positive number, got {value}");
}
