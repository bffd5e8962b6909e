// The main job: trains a small CNN (or an MLP) on MNIST with Nabla, PyTorch style or TensorFlow style.
// Run with:  dotnet run -c Release --project examples/Mnist [-- --help]
using System.Diagnostics;
using Nabla;
using Nabla.Data;
using Nabla.Examples.Mnist;
using Nabla.Optim;
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

Tensor.ManualSeed(options.Seed);
var train = Mnist.Load(options.DataDirectory, train: true, normalize: true);
var test = Mnist.Load(options.DataDirectory, train: false, normalize: true);
var trainImages = options.Limit is int limit ? train.Images[..Math.Min(limit, train.Count)] : train.Images;
var trainLabels = options.Limit is int limit2 ? train.Labels[..Math.Min(limit2, train.Count)] : train.Labels;
var loader = new DataLoader(new TensorDataset(trainImages, trainLabels), options.BatchSize, shuffle: true, seed: options.Seed);

var model = options.Model == "cnn" ? Models.Cnn(options.Seed) : Models.Mlp(options.Seed);
var optimizer = new Adam(model.Parameters(), learningRate: options.LearningRate);
// Cosine annealing per step (torch's CosineAnnealingLR with T_max = every step of the run): the last steps
// take small ones. With lr 0.002 it reached 99.12 % (seed 0) and 99.15 % (seed 1) against 98.93 % for a constant 0.001.
LRScheduler? schedule = options.Schedule == "cosine" ? new CosineAnnealingLR(optimizer, tMax: options.Epochs * loader.Count) : null;
var trainer = new Trainer(model, optimizer, options.Style, options.Compile, trainImages.Shape.ToArray()[1..]);
int parameters = model.Parameters().Sum(p => p.NumElements);
AnsiConsole.MarkupLine($"[bold]Nabla MNIST[/]: {options.Model} ({parameters:N0} parameters), {options.Style} style{(options.Compile ? ", compiled" : ", eager")}, " +
    $"{trainImages.Shape[0]:N0} training images, batch {options.BatchSize}, Adam lr {options.LearningRate} ({options.Schedule}), " +
    $"{options.Epochs} epoch(s), {Environment.ProcessorCount} cores");

var epochs = new List<EpochResult>();
var stepLosses = new List<double>();
for (int epoch = 1; epoch <= options.Epochs; epoch++)
{
    double lossSum = 0;
    long correct = 0, seen = 0;
    var clock = Stopwatch.StartNew();
    AnsiConsole.Progress()
        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
        .Start(ctx =>
        {
            var task = ctx.AddTask($"epoch {epoch}", maxValue: loader.Count);
            foreach (var batch in loader)
            {
                var (loss, right) = trainer.Step(batch[0], batch[1]);
                schedule?.Step();
                int n = batch[0].Shape[0];
                lossSum += loss * n;
                correct += right;
                seen += n;
                stepLosses.Add(loss);
                task.Description = $"epoch {epoch}  loss {lossSum / seen:F4}  acc {(double)correct / seen:P2}  " +
                                   $"{seen / clock.Elapsed.TotalSeconds:F0} img/s";
                task.Increment(1);
            }
        });
    double seconds = clock.Elapsed.TotalSeconds;
    double testAccuracy = Trainer.Evaluate(model, test.Images, test.Labels);
    var result = new EpochResult(epoch, lossSum / seen, (double)correct / seen, testAccuracy, seconds, seen / seconds);
    epochs.Add(result);
    AnsiConsole.MarkupLine($"epoch {epoch}: train loss {result.TrainLoss:F4}, train acc {result.TrainAccuracy:P2}, " +
                           $"test acc {result.TestAccuracy:P2}, {seconds:F1} s ({result.ImagesPerSecond:F0} images/s)");
}

Report.Table(epochs);
if (trainer.Explain() is { } explained) Console.Write(explained);
Directory.CreateDirectory(options.OutputDirectory);
var modelPath = Path.Combine(options.OutputDirectory, "mnist-model.safetensors");
var plotPath = Path.Combine(options.OutputDirectory, "mnist-training.png");
model.Save(modelPath);
Report.Plot(plotPath, stepLosses, loader.Count, epochs);
AnsiConsole.MarkupLine($"wrote {modelPath} and {plotPath}");
Console.WriteLine($"test accuracy: {epochs[^1].TestAccuracy:F4}");
return 0;
