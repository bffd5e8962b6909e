using Nabla.IO;
using Nabla.Tests.IO;

namespace Nabla.Tests.Graphs;

/// <summary>
/// Functions with Graph.Cond, WhileLoop and Scan save with their bodies and load into functions that run them
/// without the C# source: the loaded function gives bitwise the compiled function's results, taking the branch
/// and the trip count each call's data asks for (which a frozen trace could not).
/// </summary>
public class SavedControlFlowTests
{
    static float[] F(Tensor t) => t.ToArray<float>();

    static LoadedFunction SaveAndLoad(CompiledFunction compiled, bool includeWeights = true, IReadOnlyDictionary<string, Tensor>? weights = null)
    {
        var stream = new MemoryStream();
        compiled.Save(stream, includeWeights);
        stream.Position = 0;
        return CompiledFunction.Load(stream, weights, "cf.graph");
    }

    [Fact]
    public void CondTakesEachBranchOnLaterCallsOfTheLoadedFunction()
    {
        var w = new Variable(Tensor.Randn([4, 3], seed: 1), name: "w");
        var b = new Variable(Tensor.Randn([3], seed: 2), name: "b");
        var compiled = Graph.Compile((Tensor x) =>
        {
            var h = x.MatMul(w);
            return Graph.Cond(x.Sum().Gt(0.0), () => (h + b).Relu(), () => (h - b).Tanh() * 2.0);
        });
        var pos = Tensor.Randn([2, 4], seed: 3).Abs() + 0.1;
        var neg = -Tensor.Randn([2, 4], seed: 4).Abs() - 0.1;
        compiled.Call(pos);   // traced with the true branch taken
        var loaded = SaveAndLoad(compiled);

        Assert.Equal(F(compiled.Call(neg)), F(loaded.Call(neg)));
        Assert.Equal(F((neg.MatMul(w) - b).Tanh() * 2.0), F(loaded.Call(neg)));   // the false branch, never taken before saving
        Assert.Equal(F(compiled.Call(pos)), F(loaded.Call(pos)));
        Assert.Equal(F((pos.MatMul(w) + b).Relu()), F(loaded.Call(pos)));
        Assert.Equal(1, compiled.TraceCount);
        Assert.Equal(1, loaded.GraphCount);
        Assert.Contains("graph ifFalse(", loaded.GraphFor(pos));
    }

    /// <summary>x -> 1.5x + 0.25 until its squared norm passes 100, counting the steps (at most 60).</summary>
    static Tensor[] Grow(Tensor x) => Graph.WhileLoop(
        v => v[0].Square().Sum().Lt(100.0),
        v => [v[0] * 1.5 + 0.25, v[1] + 1L],
        [x, Tensor.FromArray(new long[] { 0 }, [])], maxIterations: 60);

    [Fact]
    public void WhileLoopRunsAsManyIterationsAsEachCallNeeds()
    {
        var compiled = Graph.Compile((Tensor[] a) => Grow(a[0]));
        var small = Tensor.FromArray(new float[] { 0.01f, -0.02f, 0.03f }, [3]);
        var large = Tensor.FromArray(new float[] { 4, 5, 6 }, [3]);
        var none = Tensor.FromArray(new float[] { 40, 0, 0 }, [3]);
        compiled.Call([large]);
        var loaded = SaveAndLoad(compiled);

        var steps = new List<long>();
        foreach (var x in new[] { small, large, none })
        {
            var expected = compiled.Call([x]);
            var got = loaded.CallMany(x);
            Assert.Equal(F(expected[0]), F(got[0]));
            Assert.Equal(expected[1].Item<long>(), got[1].Item<long>());
            Assert.Equal(F(Grow(x)[0]), F(got[0]));
            steps.Add(got[1].Item<long>());
        }
        Assert.Equal(3, steps.Distinct().Count());   // each input its own trip count, zero included
        Assert.Equal(0, steps[2]);
        Assert.Equal(1, compiled.TraceCount);
    }

    /// <summary>An RNN over xs [t, batch, in]: h = tanh(h wh + x wx + b), every h stacked.</summary>
    static (Tensor H, Tensor Hs) Rnn(Tensor xs, Tensor wh, Tensor wx, Tensor b, bool reverse) =>
        Graph.Scan((h, x) => { var next = (h.MatMul(wh) + x.MatMul(wx) + b).Tanh(); return (next, next); }, Tensor.Zeros([2, 3]), xs, reverse);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ScanRnnForwardAndReverseGivesTheCompiledBits(bool reverse)
    {
        var wh = new Variable(Tensor.Randn([3, 3], seed: 5) * 0.5, name: "wh");
        var wx = new Variable(Tensor.Randn([4, 3], seed: 6) * 0.5, name: "wx");
        var b = new Variable(Tensor.Randn([3], seed: 7) * 0.1, name: "b");
        var compiled = Graph.Compile((Tensor[] a) => { var (h, hs) = Rnn(a[0], wh, wx, b, reverse); return [h, hs]; });
        var xs = Tensor.Randn([5, 2, 4], seed: 8);
        var empty = Tensor.Zeros([0, 2, 4]);
        compiled.Call([xs]);
        compiled.Call([empty]);   // a second signature: length 0, whose ys take their shape from the step
        var loaded = SaveAndLoad(compiled);
        Assert.Equal(2, loaded.GraphCount);

        var other = Tensor.Randn([5, 2, 4], seed: 9);
        foreach (var x in new[] { xs, other, empty })
        {
            var expected = compiled.Call([x]);
            var got = loaded.CallMany(x);
            Assert.Equal(F(expected[0]), F(got[0]));
            Assert.Equal(expected[1].Shape, got[1].Shape);
            Assert.Equal(F(expected[1]), F(got[1]));
            var (h, hs) = Rnn(x, wh, wx, b, reverse);
            Assert.Equal(F(hs), F(got[1]));
            Assert.Equal(F(h), F(got[0]));
        }
    }

    /// <summary>A Scan whose step holds a WhileLoop whose body holds a Cond: three levels of bodies.</summary>
    static Tensor Nested(Tensor xs, Tensor w) =>
        Graph.Scan((c, x) =>
        {
            var grown = Graph.WhileLoop(v => v.Abs().Sum().Lt(8.0),
                v => Graph.Cond(v.Sum().Gt(0.0), () => v * 2.0 + w, () => v * 3.0 - w), x + c, maxIterations: 20);
            return (grown * 0.1, grown);
        }, Tensor.Zeros([3]), xs).Ys;

    [Fact]
    public void GradientsFlowThroughTheLoadedBodiesAsThroughTheCompiledOnes()
    {
        var w = new Variable(Tensor.FromArray(new float[] { 0.5f, -0.25f, 0.125f }, [3]), name: "w");
        var compiled = Graph.Compile((Tensor xs) => Nested(xs, w));
        var xs = Tensor.Randn([4, 3], seed: 15);
        Tensor GradOf(Func<Tensor, Tensor> f)
        {
            var x = xs.Clone().Detach();
            x.RequiresGrad = true;
            (f(x) * Tensor.Randn([4, 3], seed: 16)).Sum().Backward();
            return x.Grad!;
        }
        var expected = GradOf(x => compiled.Call(x));   // traces the signature with requires_grad
        Assert.Contains(F(expected), g => g != 0);
        var loaded = SaveAndLoad(compiled);
        Assert.Equal(F(expected), F(GradOf(x => loaded.Call(x))));
        Assert.Equal(F(expected), F(GradOf(x => Nested(x, w))));
    }

    [Fact]
    public void NestedControlFlowSavesAndLoads()
    {
        var w = new Variable(Tensor.FromArray(new float[] { 0.5f, -0.25f, 0.125f }, [3]), name: "w");
        var compiled = Graph.Compile((Tensor xs) => Nested(xs, w));
        var xs = Tensor.Randn([4, 3], seed: 10);
        var expected = F(compiled.Call(xs));
        var loaded = SaveAndLoad(compiled);
        Assert.Equal(expected, F(loaded.Call(xs)));
        var other = Tensor.Randn([4, 3], seed: 11) * 0.01;
        Assert.Equal(F(Nested(other, w)), F(loaded.Call(other)));
        Assert.Equal(F(compiled.Call(other)), F(loaded.Call(other)));
        var printed = loaded.GraphFor(xs);
        foreach (var part in new[] { "graph step(", "graph body(", "graph ifTrue(", "= cond(%", "= while_loop(%" })
            Assert.Contains(part, printed);
    }

    [Fact]
    public void AnotherProcessWithoutTheSourceRunsNestedControlFlowBitwise()
    {
        using var dir = new TempDirectory();
        var w = new Variable(Tensor.FromArray(new float[] { 0.5f, -0.25f, 0.125f }, [3]), name: "w");
        var compiled = Graph.Compile((Tensor xs) => Nested(xs, w));
        compiled.Call(Tensor.Randn([4, 3], seed: 13));
        compiled.Save(dir.File("nested.graph"), includeWeights: true);
        var other = Tensor.Randn([4, 3], seed: 14) * 0.1;   // other branches and trip counts than the traced call
        SafeTensors.Save(dir.File("in.safetensors"), new Dictionary<string, Tensor> { ["input0"] = other });

        var (code, output) = SavedGraphProcessTests.RunGraph(dir.File("nested.graph"), dir.File("in.safetensors"), dir.File("out.safetensors"));
        Assert.True(code == 0, output);
        Assert.Equal(F(compiled.Call(other)), F(SafeTensors.Load(dir.File("out.safetensors"))["output0"]));
    }

    [Fact]
    public void WeightsCapturedByBodiesAreSavedAndCanBeGivenByNameAtLoad()
    {
        using var dir = new TempDirectory();
        var w = new Variable(Tensor.FromArray(new float[] { 0.5f, -0.25f, 0.125f }, [3]), name: "w");
        var compiled = Graph.Compile((Tensor xs) => Nested(xs, w));
        var xs = Tensor.Randn([4, 3], seed: 12);
        var expected = F(compiled.Call(xs));
        compiled.Save(dir.File("with.graph"), includeWeights: true);
        compiled.Save(dir.File("without.graph"));

        var withWeights = CompiledFunction.Load(dir.File("with.graph"));
        Assert.Equal(["w"], withWeights.WeightNames);
        Assert.Equal(expected, F(withWeights.Call(xs)));

        Assert.Contains("'w'", Assert.Throws<ArgumentException>(() => CompiledFunction.Load(dir.File("without.graph"))).Message);
        var given = Tensor.FromArray(new float[] { 0.5f, -0.25f, 0.125f }, [3]);
        var byName = CompiledFunction.Load(dir.File("without.graph"), new Dictionary<string, Tensor> { ["w"] = given });
        Assert.Equal(expected, F(byName.Call(xs)));
        // Read by reference inside the bodies too: a later change to the given weight is seen.
        given.CopyFrom(Tensor.FromArray(new float[] { 1, 1, 1 }, [3]));
        w.Assign(Tensor.FromArray(new float[] { 1, 1, 1 }, [3]));
        Assert.Equal(F(compiled.Call(xs)), F(byName.Call(xs)));
        Assert.NotEqual(expected, F(byName.Call(xs)));
    }

    sealed class Twice : CustomFunction
    {
        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs) => [inputs[0] * 2.0];
        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs) => [gradOutputs[0] * 2.0];
    }

    [Fact]
    public void AnOpInsideABodyThatNeedsCSharpCodeIsRefusedNamingIt()
    {
        using var dir = new TempDirectory();
        var f = Graph.Compile((Tensor x) => Graph.Cond(x.Sum().Gt(0.0), () => new Twice().Apply(x), () => x * 3.0));
        f.Call(Tensor.Ones([2]));
        var e = Assert.Throws<InvalidOperationException>(() => f.Save(dir.File("cf.graph")));
        Assert.Contains("calls the custom function 'Twice'", e.Message);
        Assert.False(File.Exists(dir.File("cf.graph")));
    }

    /// <summary>Graph.Cond nested <paramref name="depth"/> deep, each ifTrue holding the next.</summary>
    static Tensor Deep(Tensor x, int depth) =>
        depth == 0 ? x + 1.0 : Graph.Cond(x.Sum().Gt(-1e9), () => Deep(x, depth - 1) * 1.0, () => x - 1.0);

    [Fact]
    public void NestingUpToTheLimitSavesAndDeeperIsRefusedWhenSaving()
    {
        int limit = Nabla.Graphs.GraphFileFlow.MaxNesting;
        var deepest = Graph.Compile((Tensor x) => Deep(x, limit));
        var x = Tensor.FromArray(new float[] { 1, 2 }, [2]);
        deepest.Call(x);
        var loaded = SaveAndLoad(deepest);
        Assert.Equal(F(deepest.Call(x)), F(loaded.Call(x)));
        Assert.Equal(new float[] { 2, 3 }, F(loaded.Call(x)));

        var tooDeep = Graph.Compile((Tensor x) => Deep(x, limit + 1));
        tooDeep.Call(x);
        var e = Assert.Throws<InvalidOperationException>(() => tooDeep.Save(new MemoryStream()));
        Assert.Contains($"at most {limit} deep", e.Message);
    }
}
