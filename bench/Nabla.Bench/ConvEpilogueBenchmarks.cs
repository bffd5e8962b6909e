namespace Nabla.Bench;

/// <summary>Convolution epilogue fusion (graph pass <c>EpilogueFusion</c>): conv + bias + ReLU inference, eagerly and compiled.</summary>
internal static class ConvEpilogueBenchmarks
{
    /// <summary>
    /// The cnn_train_step CNN's two conv layers with ReLU, no grad, batch 64: Conv2d(1, 32, 3, pad 1) on [64, 1, 28, 28]
    /// and Conv2d(32, 64, 3, pad 1) on [64, 32, 14, 14]. Compiled, each becomes unfold + one conv_epilogue op (GEMM per
    /// image block writing the [B, O, OH, OW] layout, bias and ReLU in cache); eagerly, GEMM, bias add, ReLU's reorder.
    /// </summary>
    public static void CompiledConvEpilogue(int threads, bool quick)
    {
        int reps = quick ? 9 : 21;
        using var noGrad = Autograd.NoGrad();
        var conv1 = new Nabla.NN.Conv2d(1, 32, 3, padding: 1, seed: 1);
        var conv2 = new Nabla.NN.Conv2d(32, 64, 3, padding: 1, seed: 2);
        var workloads = new (string Name, Func<Tensor, Tensor> F, int[] Shape)[]
        {
            ("conv_1_32_28", x => conv1.Forward(x).Relu(), [64, 1, 28, 28]),
            ("conv_32_64_14", x => conv2.Forward(x).Relu(), [64, 32, 14, 14]),
        };
        foreach (var (name, f, shape) in workloads)
        {
            var x = Harness.Uniform(5, shape);
            var compiled = Graph.Compile(f);
            compiled.Call(x);
            if (!compiled.GraphFor(x).Contains("conv_epilogue"))
                throw new InvalidOperationException($"compiled_conv_epilogue: {name} was not fused:\n{compiled.GraphFor(x)}");
            Harness.WarmUp(() => { f(x); compiled.Call(x); }, minSeconds: quick ? 0.3 : 1);
            // Alternating eager and compiled reps, so a change in the machine's load hits both alike.
            var (eager, fused) = (new List<double>(), new List<double>());
            for (int r = 0; r < reps; r++)
            {
                eager.Add(Harness.Median(1, () => f(x)));
                fused.Add(Harness.Median(1, () => compiled.Call(x)));
            }
            double Median(List<double> s) => s.Order().ElementAt(s.Count / 2);
            void Report(string mode, string unit, double value) =>
                Harness.Report("compiled_conv_epilogue", unit, value, false,
                    ("workload", name), ("batch", 64), ("mode", mode), ("dtype", "float32"), ("threads", threads), ("reps", reps));
            Report("eager", "ms", Median(eager) * 1e3);
            Report("compiled", "ms", Median(fused) * 1e3);
            Report("ratio", "compiled/eager", Median([.. fused.Zip(eager, (a, b) => a / b)]));
        }
    }
}
