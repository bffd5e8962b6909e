// The second main job: trains a small GPT on Tiny Shakespeare, character by character, with Nabla, then
// evaluates it and generates a passage. Run with:  dotnet run -c Release --project examples/CharLM [-- --help]
using System.Diagnostics;
using Nabla;
using Nabla.Examples.CharLM;
using Checkpoint = Nabla.Examples.CharLM.Checkpoint;   // not Nabla.IO.Checkpoint (the library's training checkpoint)
using Nabla.IO;
using Spectre.Console;

var (options, error) = Options.Parse(args);
if (options is null)
{
    Console.WriteLine(Options.Usage);
    if (!string.IsNullOrEmpty(error)) Console.Error.WriteLine($"error: {error}");
    return string.IsNullOrEmpty(error) ? 0 : 2;
}

// Piped or redirected output has no terminal width: Spectre would wrap at 80 columns, mid-phrase. Lines stay whole.
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 400;

try
{
    return options.Sample ? SampleFromCheckpoint(options) : Train(options);
}
catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

static int Train(Options o)
{
    Tensor.ManualSeed(o.Seed);
    var data = TextData.Load(o.DataDirectory);
    var config = new GptConfig(data.Vocabulary.Length, o.Context, o.Layers, o.Heads, o.Width, o.Dropout);
    var model = new Gpt(config, o.Seed);
    var trainer = new Trainer(model, o, o.Steps);
    int steps = Math.Min(o.Steps, o.Limit ?? o.Steps);
    long tokensPerStep = (long)o.BatchSize * o.Context;
    AnsiConsole.MarkupLine($"[bold]Nabla CharLM[/]: GPT {o.Layers} layers x {o.Width} wide, {o.Heads} heads, context {o.Context} " +
        $"({model.ParameterCount():N0} parameters), {o.Style} style{(o.Compile ? ", compiled" : ", eager")}; " +
        $"{data.Train.Length:N0} training / {data.Validation.Length:N0} validation characters, vocabulary {data.Vocabulary.Length}; " +
        $"batch {o.BatchSize}, {steps} steps, AdamW lr {o.LearningRate} (warm-up {o.Warmup}, cosine), clip {o.ClipNorm}, " +
        $"{Environment.ProcessorCount} cores");

    var random = new Random(o.Seed);
    var stepLosses = new List<double>();
    var validation = new List<(int Step, double Loss)>();
    int evalEvery = Math.Max(1, o.Steps / 4);
    var clock = Stopwatch.StartNew();
    double trainSeconds = 0;
    AnsiConsole.Progress()
        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
        .Start(ctx =>
        {
            var task = ctx.AddTask("training", maxValue: steps);
            var window = new Queue<double>();
            var steady = new Stopwatch();
            for (int step = 1; step <= steps; step++)
            {
                var (x, y) = TextData.Batch(data.Train, o.BatchSize, o.Context, random);
                if (step == 2) steady.Start();   // tokens/s from the second step: the first one traces
                double loss = trainer.Step(x, y);
                stepLosses.Add(loss);
                window.Enqueue(loss);
                if (window.Count > 20) window.Dequeue();
                double rate = step >= 2 && steady.Elapsed.TotalSeconds > 0 ? (step - 1) * tokensPerStep / steady.Elapsed.TotalSeconds : 0;
                task.Description = $"step {step}/{steps}  loss {window.Average():F4}  lr {trainer.Optimizer.LearningRate:G3}  {rate:F0} tokens/s";
                task.Increment(1);
                if (step % evalEvery == 0 && step < steps)
                {
                    trainSeconds += clock.Elapsed.TotalSeconds;
                    double val = Trainer.Evaluate(model, data.Validation, Math.Max(1, o.EvalBatches / 4), o.BatchSize);
                    validation.Add((step, val));
                    AnsiConsole.MarkupLine($"step {step}: train loss {window.Average():F4}, validation loss (estimate, {Math.Max(1, o.EvalBatches / 4)} batches) {val:F4}");
                    clock.Restart();
                }
            }
            trainSeconds += clock.Elapsed.TotalSeconds;
        });
    double tokensPerSecond = steps * tokensPerStep / trainSeconds;
    AnsiConsole.MarkupLine($"trained {steps} steps in {trainSeconds:F1} s ({tokensPerSecond:F0} tokens/s, {trainSeconds / steps * 1000:F0} ms/step, first step's trace included)");
    if (trainer.Explain() is { } explained) Console.Write(explained);

    var evalClock = Stopwatch.StartNew();
    double validationLoss = Trainer.Evaluate(model, data.Validation, o.EvalBatches, o.BatchSize);
    validation.Add((steps, validationLoss));
    AnsiConsole.MarkupLine($"evaluated {o.EvalBatches} validation batches in {evalClock.Elapsed.TotalSeconds:F1} s");

    Directory.CreateDirectory(o.OutputDirectory);
    var modelPath = Path.Combine(o.OutputDirectory, "charlm-model.safetensors");
    var plotPath = Path.Combine(o.OutputDirectory, "charlm-training.png");
    Checkpoint.Save(modelPath, model, data.Vocabulary);
    Report.Plot(plotPath, stepLosses, validation);
    AnsiConsole.MarkupLine($"wrote {modelPath} and {plotPath}");
    Console.WriteLine($"validation loss: {validationLoss:F4}");

    PrintSample(model, data.Vocabulary, o);
    return 0;
}

static int SampleFromCheckpoint(Options o)
{
    var (model, vocabulary) = Checkpoint.Load(o.Checkpoint!);
    PrintSample(model, vocabulary, o);
    return 0;
}

static void PrintSample(Gpt model, char[] vocabulary, Options o)
{
    var text = new Codec(vocabulary);
    var prompt = text.Encode(o.Prompt, "--prompt");
    var clock = Stopwatch.StartNew();
    var ids = Trainer.Generate(model, prompt, o.Tokens, o.Temperature, o.TopK, o.Seed);
    Console.WriteLine($"--- sample ({o.Tokens} characters, temperature {o.Temperature}, top-k {(o.TopK?.ToString() ?? "all")}, seed {o.Seed}, {clock.Elapsed.TotalSeconds:F1} s) ---");
    Console.WriteLine(text.Decode(ids));
    Console.WriteLine("---");
}
