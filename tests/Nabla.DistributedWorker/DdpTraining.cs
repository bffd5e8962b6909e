using System.Globalization;
using Nabla.Distributed;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.DistributedWorker;

/// <summary>
/// The small regression MLP, data and optimizers of the data-parallel scenarios, compiled into the worker and (linked)
/// into the tests, so that the single-process reference runs exactly the same code as each rank.
/// </summary>
internal static class DdpTraining
{
    public const int GlobalBatch = 12, In = 4, Hidden = 5, Out = 3;

    /// <summary>Linear(4, 5) → Tanh → Linear(5, 3), float32, initialized from <paramref name="seed"/>.</summary>
    public static Sequential Model(int seed) => new(new Linear(In, Hidden, seed: seed), new Tanh(), new Linear(Hidden, Out, seed: seed + 1));

    /// <summary>Step <paramref name="step"/>'s global batch: x = sin(…), y = cos(…), no randomness.</summary>
    public static (Tensor X, Tensor Y) Batch(int step)
    {
        var x = new float[GlobalBatch * In];
        var y = new float[GlobalBatch * Out];
        for (int i = 0; i < x.Length; i++) x[i] = (float)Math.Sin(0.37 * i + 1.3 * step + 0.1);
        for (int i = 0; i < y.Length; i++) y[i] = (float)Math.Cos(0.53 * i - 0.7 * step);
        return (Tensor.FromArray(x, [GlobalBatch, In]), Tensor.FromArray(y, [GlobalBatch, Out]));
    }

    /// <summary>
    /// Part <paramref name="part"/> of <paramref name="parts"/> equal row blocks: rank r's shard, or micro-batch m of a
    /// shard. The copy is contiguous, as a data loader's batch would be.
    /// </summary>
    public static (Tensor X, Tensor Y) Part((Tensor X, Tensor Y) batch, int part, int parts)
    {
        int rows = batch.X.Shape[0] / parts;
        return (batch.X.Narrow(0, part * rows, rows).Contiguous().Clone(), batch.Y.Narrow(0, part * rows, rows).Contiguous().Clone());
    }

    public static Tensor Loss(Module model, (Tensor X, Tensor Y) batch) => Functional.MseLoss(model.Call(batch.X), batch.Y);

    /// <summary>"sgd": SGD with momentum; "adam": Adam.</summary>
    public static Optimizer Optimizer(string name, IEnumerable<Tensor>? parameters) => name switch
    {
        "sgd" => new Sgd(parameters, learningRate: 0.1, momentum: 0.9),
        "adam" => new Adam(parameters, learningRate: 0.01),
        _ => throw new ArgumentException($"unknown optimizer {name}"),
    };

    /// <summary>A group with a 60 s timeout, deterministic ("det") or not.</summary>
    public static ProcessGroup Init(string deterministic) =>
        ProcessGroup.Init(new ProcessGroupOptions { Deterministic = deterministic == "det", Timeout = TimeSpan.FromSeconds(60) });

    /// <summary>Prints "rank R: <paramref name="label"/> I [shape] v v v" for every parameter, in one write.</summary>
    public static void PrintParameters(ProcessGroup world, string label, IEnumerable<Tensor> parameters)
    {
        int i = 0;
        Say(string.Concat(parameters.Select(p => $"rank {world.Rank}: {label} {i++} [{string.Join(",", p.Shape.ToArray())}] {Values(p)}\n")));
    }

    // mpirun merges the ranks' output as it arrives, and Console.Out writes a long line in 256-character pieces that
    // another rank's line can cut: these lines go to stdout in one write (under PIPE_BUF, 4096 bytes, a pipe keeps it whole).
    // Each rank's lines also reach its own file (Program.cs), which the tests read: mpirun may cut lines that ranks
    // print at the same moment.
    public static void Say(string text) => Console.Write(text.EndsWith('\n') ? text : text + "\n");

    public static string Values(Tensor t) =>
        string.Join(" ", t.To(DType.Float64).Reshape(-1).ToArray<double>().Select(v => v.ToString("R", CultureInfo.InvariantCulture)));

    /// <summary>
    /// What N ranks must produce, in one process: per step, rank r's gradient is the sum over its micro-batches
    /// (accumulated by Backward, as .Grad does on the rank), the ranks' gradients are added in rank order and divided
    /// by N, then one optimizer step. <paramref name="tape"/>: gradients from a GradientTape and ApplyGradients (TF style).
    /// </summary>
    public static Sequential Reference(int ranks, int micro, string optimizer, int steps, bool tape)
    {
        var model = Model(100);
        var parameters = model.Parameters().ToArray();
        var opt = Optimizer(optimizer, tape ? null : parameters);
        for (int step = 0; step < steps; step++)
        {
            var batch = Batch(step);
            Tensor[]? total = null;
            for (int r = 0; r < ranks; r++)
            {
                var shard = Part(batch, r, ranks);
                Tensor[] grads;
                if (tape)
                {
                    using var t = new GradientTape();
                    grads = [.. t.Gradient(Loss(model, shard), parameters).Select(g => g!)];
                }
                else
                {
                    foreach (var p in parameters) p.Grad = null;
                    for (int m = 0; m < micro; m++) Loss(model, Part(shard, m, micro)).Backward();
                    grads = [.. parameters.Select(p => p.Grad!.Clone())];
                }
                total = total is null ? grads : [.. total.Zip(grads, (a, b) => a + b)];
            }
            var average = total!.Select(g => g / ranks).ToArray();
            if (tape) opt.ApplyGradients(average.Zip(parameters).Select(x => ((Tensor?)x.First, x.Second)));
            else
            {
                for (int i = 0; i < parameters.Length; i++) parameters[i].Grad = average[i];
                opt.Step();
            }
        }
        return model;
    }
}
