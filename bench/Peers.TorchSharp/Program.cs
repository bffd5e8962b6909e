// The TorchSharp side of the side-by-side benchmark: the workloads of bench/Nabla.Bench, run through
// TorchSharp 0.107.0 (libtorch 2.10.0 CPU), printing the same JSON lines. Run both with bench/compare.sh.
//   dotnet run -c Release --project bench/Peers.TorchSharp [-- --filter NAME] [-- --quick]
using Bench.Shared;
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
    ("gpt_train_step", GptTraining.GptTrainStep),
    ("lstm_train_step", TrainingLstm.LstmTrainStep),
    ("memory", Children.Memory),
    ("startup", Children.Startup),
};
int[] threadCounts = [1, 2];

var (selected, quick, exit) = BenchCore.ParseArgs("Peers.TorchSharp", args, benchmarks);
if (exit is int code) return code;

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
