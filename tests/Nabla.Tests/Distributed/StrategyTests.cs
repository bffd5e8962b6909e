using Nabla.Distributed;
using Nabla.DistributedWorker;
using Nabla.Tests.TestUtil;

namespace Nabla.Tests.Distributed;

/// <summary>
/// MultiWorkerMirroredStrategy (TF style: GradientTape + ApplyGradients under the strategy's scope) on 2 and 3 ranks
/// against the same training in one process.
/// </summary>
[Collection("ProcessGroup")]
public class StrategyTests
{
    static double[] ValuesOf(Tensor t) => t.To(DType.Float64).Reshape(-1).ToArray<double>();

    [MpiFact]
    public void DeterministicTrainingOnTwoAndThreeRanksEqualsOneProcessBitForBit()
    {
        foreach (int n in new[] { 2, 3 })
            foreach (var optimizer in new[] { "sgd", "adam" })
            {
                var run = Mpi.Run(n, "strategy-train", [optimizer, "3", "det", "broadcast"]);
                Assert.True(run.ExitCode == 0, run.Output);
                var expected = DdpTraining.Reference(n, 1, optimizer, 3, tape: true).Parameters().ToArray();
                for (int r = 0; r < n; r++)
                {
                    Assert.Equal(n.ToString(), run.Line(r, "replicas"));
                    Assert.Equal(run.Values(0, "last-loss"), run.Values(r, "last-loss"));
                    for (int i = 0; i < expected.Length; i++)
                        Assert.Equal(ValuesOf(expected[i]), run.Values(r, $"param {i}"));
                }
            }
    }

    [MpiFact]
    public void WithoutDeterminismThreeRanksAgreeWithOneProcessToOneMillionth()
    {
        var run = Mpi.Run(3, "strategy-train", ["adam", "3", "fast", "broadcast"]);
        Assert.True(run.ExitCode == 0, run.Output);
        var expected = DdpTraining.Reference(3, 1, "adam", 3, tape: true).Parameters().Select(ValuesOf).ToArray();
        for (int r = 0; r < 3; r++)
            for (int i = 0; i < expected.Length; i++)
            {
                var got = run.Values(r, $"param {i}");
                Assert.Equal(expected[i].Length, got.Length);
                for (int k = 0; k < got.Length; k++)
                    Assert.True(Math.Abs(got[k] - expected[i][k]) <= 1e-6 * Math.Abs(expected[i][k]), $"rank {r} param {i}[{k}]: {got[k]} vs {expected[i][k]}");
            }
    }

    // Without BroadcastVariables the ranks' first gradients come from different initial values, but ApplyGradients copies
    // rank 0's variables before the first update, so the ranks hold equal parameters from then on.
    [MpiFact]
    public void ApplyGradientsCopiesRankZerosVariablesWhenFirstSeen()
    {
        var run = Mpi.Run(2, "strategy-train", ["sgd", "2", "det", "first-seen"]);
        Assert.True(run.ExitCode == 0, run.Output);
        var reference = DdpTraining.Reference(2, 1, "sgd", 2, tape: true).Parameters().Select(ValuesOf).ToArray();
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(run.Values(0, $"param {i}"), run.Values(1, $"param {i}"));
            Assert.NotEqual(reference[i], run.Values(0, $"param {i}"));   // rank 1's first gradient came from its own seed
        }
    }

    // Without mpirun: one replica; the scope changes nothing, and leaving it restores plain ApplyGradients.
    [Fact]
    public void OnOneRankTheScopeAppliesTheGradientsUnchanged()
    {
        var strategy = new MultiWorkerMirroredStrategy();
        Assert.Equal(1, strategy.NumReplicasInSync);
        var inScope = DdpTraining.Reference(1, 1, "adam", 2, tape: true);
        using (strategy.Scope())
        {
            var viaStrategy = DdpTraining.Reference(1, 1, "adam", 2, tape: true);
            Assert.Equal(inScope.Parameters().Select(ValuesOf), viaStrategy.Parameters().Select(ValuesOf));
        }
        Assert.Null(MultiWorkerMirroredStrategy.InScope);
        var x = Tensor.FromArray(new float[] { 1.5f, -2 }, [2]);
        Assert.Equal(new float[] { 1.5f, -2 }, strategy.Reduce(ReduceOp.Average, x).ToArray<float>());
        Assert.Equal(4.25, strategy.Reduce(ReduceOp.Sum, 4.25));
    }
}
