using Nabla.NN;

namespace Nabla.Tests.Graphs;

/// <summary>
/// Kernels with an into-form (elementwise, matmul) write a replay's intermediate values into the graph's kept
/// buffers: results stay eager's over calls on new data, earlier outputs are never overwritten, and a steady-state
/// call allocates none of the intermediate matmul results.
/// </summary>
public class ReplayIntoFormTests
{
    static float[] F(Tensor t) => t.ToArray<float>();

    [Fact]
    public void AnMlpReplaysWithMatmulsIntoKeptBuffersAndGivesEagerResults()
    {
        var net = new Sequential(new Linear(12, 16, seed: 1), new ReLU(), new Linear(16, 16, seed: 2), new Tanh(), new Linear(16, 4, seed: 3));
        var f = Graph.Compile((Tensor x) => net.Call(x).Softmax(1));
        using (Autograd.NoGrad())
        {
            var outputs = new List<(Tensor Out, float[] Expected)>();
            for (int i = 0; i < 5; i++)
            {
                var x = Tensor.Randn([8, 12], seed: 10 + i);
                var y = f.Call(x);
                var expected = F(net.Call(x).Softmax(1));
                Assert.Equal(expected, F(y));
                outputs.Add((y, expected));
            }
            foreach (var (o, expected) in outputs) Assert.Equal(expected, F(o));   // no later call wrote into an earlier output

        }
    }

    [Fact]
    public void MatmulResultsInsideAReplayGoIntoKeptBuffers()
    {
        // Two [8, 512] float32 intermediates (16 KB each): without the matmul into-form every call would allocate both.
        var (w1, w2, w3) = (Tensor.Randn([12, 512], seed: 1), Tensor.Randn([512, 512], seed: 2), Tensor.Randn([512, 4], seed: 3));
        var f = Graph.Compile((Tensor x) => x.MatMul(w1).MatMul(w2).MatMul(w3));
        var x = Tensor.Randn([8, 12], seed: 4);
        using (Autograd.NoGrad())
        {
            for (int i = 0; i < 5; i++) Assert.Equal(F(x.MatMul(w1).MatMul(w2).MatMul(w3)), F(f.Call(x)));
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 20; i++) f.Call(x);
            long perCall = (GC.GetAllocatedBytesForCurrentThread() - before) / 20;
            Assert.True(perCall < 4096, $"a steady-state call allocated {perCall} bytes");
        }
    }
}
