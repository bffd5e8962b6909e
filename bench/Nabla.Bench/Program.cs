// Nabla benchmarks: one JSON line per result on stdout, notes on stderr.
//   dotnet run -c Release --project bench/Nabla.Bench [-- --filter NAME] [-- --quick]
// See bench/README.md for what each benchmark measures.
using Bench.Shared;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.Intrinsics;
using Nabla;
using Nabla.Backends.Cpu;
using Nabla.Bench;

var benchmarks = new (string Name, Action<int, bool> Run)[]
{
    ("matmul", Benchmarks.MatMul),
    ("overhead", Benchmarks.Overhead),
    ("elementwise", Benchmarks.Elementwise),
    ("cnn_train_step", Training.CnnTrainStep),
    ("mlp_train_step", Training.MlpTrainStep),
    ("gpt_train_step", GptTraining.GptTrainStep),
    ("lstm_train_step", TrainingLstm.LstmTrainStep),
    ("elementwise_kernels", KernelBenchmarks.ElementwiseKernels),
    ("storage_alignment", StorageBenchmarks.Alignment),
    ("compiled_overhead", GraphBenchmarks.CompiledOverhead),
    ("compiled_mlp_train_step", GraphBenchmarks.CompiledMlpTrainStep),
    ("compiled_cnn_train_step", GraphBenchmarks.CompiledCnnTrainStep),
    ("compile_time", CompileTimeBenchmarks.CompileTime),
    ("compiled_elementwise", FusionBenchmarks.CompiledElementwise),
    ("compiled_second_derivative", CompiledGradBenchmarks.CompiledSecondDerivative),
    ("compiled_partition", CompiledGradBenchmarks.CompiledPartition),
    ("compiled_alloc", MemoryPlanBenchmarks.CompiledAlloc),
    ("compiled_peak_memory", MemoryPlanBenchmarks.CompiledPeakMemory),
    ("compiled_rows", FusionBenchmarks.CompiledRows),
    ("matmul_transposed_b", GemmEpilogueBenchmarks.MatMulTransposedB),
    ("compiled_linear_epilogue", GemmEpilogueBenchmarks.CompiledLinearEpilogue),
    ("compiled_conv_epilogue", ConvEpilogueBenchmarks.CompiledConvEpilogue),
    ("compiled_broadcast", BroadcastBenchmarks.CompiledBroadcast),
    ("compiled_inplace_updates", InPlaceUpdateBenchmarks.CompiledInPlaceUpdates),
    ("attention_step", AttentionBenchmarks.AttentionStep),
    ("attention_memory", AttentionBenchmarks.AttentionMemory),
    ("attention_kernels", AttentionBenchmarks.AttentionKernels),
};
int[] threadCounts = [1, 2];
// Side-by-side workloads and child modes (bench/compare.sh): see SideBySide.cs.
if (SideBySide.RunChild(args) is int childExit) return childExit;
if (MemoryPlanBenchmarks.RunChild(args) is int peakChildExit) return peakChildExit;
if (AttentionBenchmarks.RunChild(args) is int attentionChildExit) return attentionChildExit;
if (DistributedBenchmarks.RunChild(args) is int distributedExit) return distributedExit;
// The machine's anchors (AnchorBenchmarks.cs) last, so that OpenBLAS's thread pool, started on first use,
// is not around while Nabla's rows run.
benchmarks = [.. benchmarks, .. SideBySide.Workloads, .. AnchorBenchmarks.Workloads];

var (selected, quick, exit) = BenchCore.ParseArgs("Nabla.Bench", args, benchmarks);
if (exit is int code) return code;

bool optimized = typeof(Tensor).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled != true;
if (!optimized)
    Console.Error.WriteLine("WARNING: Nabla was built in Debug; numbers are meaningless. Use: dotnet run -c Release --project bench/Nabla.Bench");
Console.Error.WriteLine($"# {Environment.ProcessorCount} cores, .NET {Environment.Version}, Vector512 {(Vector512.IsHardwareAccelerated ? "on" : "off")}, " +
    $"Vector256 {(Vector256.IsHardwareAccelerated ? "on" : "off")}, quick={quick}");

int previousThreads = CpuParallel.Threads;
var total = Stopwatch.StartNew();
try
{
    foreach (var (name, run) in selected)
        foreach (var threads in threadCounts)
        {
            CpuParallel.Threads = threads;
            run(threads, quick);
        }
}
finally
{
    CpuParallel.Threads = previousThreads;
}
Console.Error.WriteLine($"# done in {total.Elapsed.TotalSeconds:F1} s");
return 0;
