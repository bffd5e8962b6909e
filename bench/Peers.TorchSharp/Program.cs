// The TorchSharp side of the side-by-side benchmark: the workloads of bench/Nabla.Bench, run through
// TorchSharp 0.107.0 (libtorch 2.10.0 CPU), printing the same JSON lines. Run both with bench/compare.sh.
//   dotnet run -c Release --project bench/Peers.TorchSharp [-- --filter NAME] [-- --quick]
using System.Diagnostics;
using Peers.TorchSharp;
using TorchSharp;

if (Children.Run(args) is int childExit) return childExit;

var benchmarks = new (string Name, Action<int, bool> Run)[]
{
    ("matmul", Workloads.MatMul),
    ("overhead", Workloads.Overhead),
    ("overhead_chain", Workloads.OverheadChain),
    ("elementwise", Workloads.Elementwise),
    ("second_derivative", Workloads.SecondDerivative),
    ("mlp_train_step", Training.MlpTrainStep),
    ("cnn_train_step", Training.CnnTrainStep),
    ("memory", Children.Memory),
    ("startup", Children.Startup),
};
int[] threadCounts = [1, 2];

string? filter = null;
bool quick = false;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--quick":
            quick = true;
            break;
        case "--filter" when i + 1 < args.Length:
            filter = args[++i];
            break;
        case "-h" or "--help":
            Console.Error.WriteLine("usage: Peers.TorchSharp [--filter NAME] [--quick]");
            Console.Error.WriteLine($"  --filter NAME  run only benchmarks whose name contains NAME ({string.Join(", ", benchmarks.Select(b => b.Name))})");
            Console.Error.WriteLine("  --quick        smaller sizes and fewer repetitions");
            return 0;
        default:
            Console.Error.WriteLine($"unknown argument '{args[i]}'; try --help");
            return 2;
    }
}

var selected = benchmarks.Where(b => filter is null || b.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)).ToList();
if (selected.Count == 0)
{
    Console.Error.WriteLine($"no benchmark matches '{filter}'; names: {string.Join(", ", benchmarks.Select(b => b.Name))}");
    return 2;
}

Console.Error.WriteLine($"# TorchSharp {typeof(torch).Assembly.GetName().Version}, libtorch {torch.__version__}, {Environment.ProcessorCount} cores, " +
    $".NET {Environment.Version}, quick={quick}");
var total = Stopwatch.StartNew();
foreach (var (name, run) in selected)
    foreach (var threads in threadCounts)
    {
        torch.set_num_threads(threads);
        run(threads, quick);
    }
Console.Error.WriteLine($"# done in {total.Elapsed.TotalSeconds:F1} s");
return 0;
