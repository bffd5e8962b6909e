using Nabla.Engine;
using Nabla.Graphs;
using Nabla.Backends.Reference;
using Nabla.Primitives.Elementwise;

namespace Nabla.Tests.Graphs.Passes;

// Multi-output fused programs saved and loaded, and differentiated (each output's own rules; a tape around a replay).
public partial class MultiOutputFusionTests
{
    [Fact]
    public void ASavedAndLoadedMultiOutputGraphGivesTheSameBits()
    {
        var cf = Graph.Compile(Adam);
        var x = AdamInputs(1025, DType.Float64, 100);
        cf.Call(x);
        Assert.Contains("(3 outputs)", cf.Explain());
        using var stream = new MemoryStream();
        cf.Save(stream);
        stream.Position = 0;
        var loaded = CompiledFunction.Load(stream);
        var y = AdamInputs(1025, DType.Float64, 200);
        AssertBitwise(Adam(y), loaded.CallMany(y));
        Assert.Contains("%12, %22, %41 = fused_elementwise(", loaded.GraphFor(y));
    }

    [Fact]
    public void AFusedProgramWrittenBeforeSeveralOutputsReadsAsItsLastStep()
    {
        // Graph files of format version 1 written before several-output programs have no "outputs" field.
        var op = new FusedElementwise([FusedStep.Mul, FusedStep.Exp], [0, 1, 2, -1], [0, 0]);
        var stream = new MemoryStream();
        using (var json = new System.Text.Json.Utf8JsonWriter(stream)) PrimitiveCodec.Write(json, op, "test");
        var node = System.Text.Json.Nodes.JsonNode.Parse(stream.ToArray())!;
        var fields = node["fields"]!.AsObject();
        Assert.True(fields.Remove("outputs"));
        using var old = System.Text.Json.JsonDocument.Parse(node.ToJsonString());
        var back = Assert.IsType<FusedElementwise>(PrimitiveCodec.Read(old.RootElement, m => new InvalidDataException(m)));
        Assert.Equal([1], back.Outputs);
        var x = Tensor.FromArray(new[] { 0.5, -2.0 }, [2]);
        Assert.Equal(new[] { Math.Exp(0.25), Math.Exp(4.0) }, back.Reference([RefArray.From(x), RefArray.From(x)]).Data);

        fields.Remove("steps");   // a field every version writes is still required
        using var broken = System.Text.Json.JsonDocument.Parse(node.ToJsonString());
        var e = Assert.Throws<InvalidDataException>(() => PrimitiveCodec.Read(broken.RootElement, m => new InvalidDataException(m)));
        Assert.Contains("lacks its field 'steps'", e.Message);
    }

    sealed class Close(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance * Math.Max(1, Math.Abs(a));
        public int GetHashCode(double v) => 0;
    }

    [Fact]
    public void EachOutputHasItsOwnDerivativeRules()
    {
        // y0 = exp(a·b), y1 = sqrt(|y0·a − 1|) as one op; reverse and forward mode through both outputs, against the
        // same expression in eager ops and against the hand derivative of y0.
        var op = new FusedElementwise([FusedStep.Mul, FusedStep.Exp, FusedStep.Mul, FusedStep.Sub, FusedStep.Abs, FusedStep.Sqrt],
            [0, 1, 3, -1, 4, 0, 5, 2, 6, -1, 7, -1], [0, 0, 0, 0, 0, 0], [1, 5]);
        var a = Tensor.FromArray(new[] { 0.5, -1.0, 2.0, 0.25 }, [4], requiresGrad: true);
        var b = Tensor.FromArray(new[] { 1.5, 0.5, -0.75, 2.0 }, [4], requiresGrad: true);
        var one = Tensor.OnesLike(a);
        var ys = Dispatch.CallMany(op, a, b, one);
        var eager = TwoOutputs([a, b]);
        AssertBitwise([eager[1], eager[0]], ys);
        var fused = Autograd.Grad([ys[0].Sum() + (ys[1] * 3.0).Sum()], [a, b], retainGraph: true);
        var reference = Autograd.Grad([eager[1].Sum() + (eager[0] * 3.0).Sum()], [a, b]);
        for (int i = 0; i < 2; i++) Assert.Equal(reference[i]!.ToArray<double>(), fused[i]!.ToArray<double>(), new Close(1e-14));
        var y0Only = Autograd.Grad([ys[0].Sum()], [a])[0]!.ToArray<double>();
        Assert.Equal(a.ToArray<double>().Zip(b.ToArray<double>(), (x, y) => Math.Exp(x * y) * y), y0Only, new Close(1e-14));
        var v = Tensor.FromArray(new[] { 1.0, -2.0, 0.5, 3.0 }, [4]);
        Tensor[] fusedTangents, eagerTangents;
        using (var acc = new ForwardAccumulator(a, v))
        {
            var outs = Dispatch.CallMany(op, a, b, one);
            fusedTangents = [acc.Jvp(outs[0])!, acc.Jvp(outs[1])!];
        }
        using (var acc = new ForwardAccumulator(a, v))
        {
            var outs = TwoOutputs([a, b]);
            eagerTangents = [acc.Jvp(outs[1])!, acc.Jvp(outs[0])!];
        }
        for (int i = 0; i < 2; i++) Assert.Equal(eagerTangents[i].ToArray<double>(), fusedTangents[i].ToArray<double>(), new Close(1e-14));
    }

    [Fact]
    public void ATapeAroundAReplayOfTheFusedGraphGetsEagersGradientsThroughEveryOutput()
    {
        // A compiled function runs its graph as traced under a tape; replaying the fused graph itself under one records
        // the fused op, one node per output (Primitive.OutputRule), and the gradients are eager's.
        var first = new[] { Data(9, DType.Float64, 110), Data(9, DType.Float64, 111) };
        var tracer = new Tracer(first, ["a", "b"], firstTrace: true, fullGraph: false);
        Tensor[] traced;
        using (Dispatch.Observe(tracer)) traced = TwoOutputs(first);
        var graph = tracer.Finish(traced);
        Nabla.Graphs.Passes.PassPipeline.Run(graph, tracer.TracedTensors, GraphPasses.All, dynamicDims: false);
        Assert.Contains(graph.Ops, op => op.Op is FusedElementwise { OutputCount: 2 });
        for (int call = 0; call < 2; call++)
        {
            var x = new[] { Data(9, DType.Float64, 120 + call), Data(9, DType.Float64, 130 + call) };
            Tensor?[] compiled, eager;
            using (var tape = new GradientTape())
            {
                tape.Watch((IEnumerable<Tensor>)x);
                var ys = Replay.Run(graph, x, out _)!;
                Assert.Contains("Fused_elementwiseBackward", ys[1].GradFn!.Name);
                compiled = tape.Gradient(ys[0].Sum() + (ys[1] * 2.0).Sum(), (IEnumerable<Tensor>)x);
            }
            using (var tape = new GradientTape())
            {
                tape.Watch((IEnumerable<Tensor>)x);
                var ys = TwoOutputs(x);
                eager = tape.Gradient(ys[0].Sum() + (ys[1] * 2.0).Sum(), (IEnumerable<Tensor>)x);
            }
            for (int i = 0; i < 2; i++) Assert.Equal(eager[i]!.ToArray<double>(), compiled[i]!.ToArray<double>(), new Close(1e-14));
        }
    }
}
