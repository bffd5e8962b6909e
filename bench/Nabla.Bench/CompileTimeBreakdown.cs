using Nabla.Engine;
using Nabla.Graphs;
using Nabla.Graphs.Passes;

namespace Nabla.Bench;

/// <summary>
/// Where a compile of a small function goes, in the calling thread's CPU time: one eager call, the trace (running the
/// function while recording its ops), the same trace recording every op's line (<see cref="CompileOptions.RecordAllSites"/>:
/// a stack walk per op), the graph passes, and the first two replays (the first one plans the buffers). Each stage is
/// timed in turn within every round, and each row is the least time over the rounds: on a shared machine a median moved
/// by 2-3x between runs while the least stayed within ~20 %. Rows <c>compile_time</c>, modes <c>*_least_cpu</c>, and the
/// ratios of trace + passes + first replays to the eager call, with and without every line; Linux only.
/// </summary>
internal static class CompileTimeBreakdown
{
    const int PerRound = 20, Rounds = 15;

    public static void Run(Func<Tensor, Tensor> f, Tensor x, Action<string, string, double> report)
    {
        (TracedGraph Graph, IReadOnlyList<Tensor> Traced) Trace(bool allSites)
        {
            var tracer = new Tracer([x], ["x"], firstTrace: true, fullGraph: false, allSites);
            Tensor y;
            using (Dispatch.Observe(tracer)) y = f(x);
            return (tracer.Finish([y]), tracer.TracedTensors);
        }
        var traces = new (TracedGraph Graph, IReadOnlyList<Tensor> Traced)[PerRound];
        string[] stages = ["eager_call", "trace", "trace_all_sites", "passes", "first_replays"];
        var least = new double[stages.Length];
        Array.Fill(least, double.MaxValue);
        for (int round = 0; round < Rounds; round++)
        {
            least[0] = Math.Min(least[0], Time(() => { for (int k = 0; k < PerRound; k++) f(x); }));
            least[1] = Math.Min(least[1], Time(() => { for (int k = 0; k < PerRound; k++) traces[k] = Trace(false); }));
            least[2] = Math.Min(least[2], Time(() => { for (int k = 0; k < PerRound; k++) Trace(true); }));
            least[3] = Math.Min(least[3], Time(() =>
            {
                foreach (var (graph, traced) in traces) PassPipeline.Run(graph, traced, GraphPasses.All, dynamicDims: false);
            }));
            foreach (var (graph, _) in traces)
            {
                graph.BackwardPending = BackwardGraph.MayServe(graph);   // as CompiledFunction does after the passes
                graph.RecomputeInBackward = true;
            }
            least[4] = Math.Min(least[4], Time(() =>
            {
                foreach (var (graph, _) in traces)
                    for (int call = 0; call < 2; call++) Replay.Run(graph, [x], out _);
            }));
        }
        for (int i = 0; i < stages.Length; i++) report($"{stages[i]}_least_cpu", "ms", least[i] / PerRound * 1e3);
        report("compile_vs_eager_call_least_cpu", "ratio", (least[1] + least[3] + least[4]) / least[0]);
        report("compile_all_sites_vs_eager_call_least_cpu", "ratio", (least[2] + least[3] + least[4]) / least[0]);
    }

    /// <summary>The calling thread's CPU seconds in <paramref name="body"/>, after a full collection.</summary>
    static double Time(Action body)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        double start = CompileTimeBenchmarks.ThreadCpuSeconds();
        body();
        return CompileTimeBenchmarks.ThreadCpuSeconds() - start;
    }
}
