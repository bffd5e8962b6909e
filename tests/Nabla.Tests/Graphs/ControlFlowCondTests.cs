namespace Nabla.Tests.Graphs;

/// <summary>
/// Graph.Cond: eagerly a C# branch on a tensor's value; in a compiled function one graph op holding both
/// branches, so one trace serves both predicate values (no guard, no retrace), with the eager numbers.
/// </summary>
// Reseeds and draws from the process-wide generator: runs alone, so no other test draws in between.
[Collection("Default generator")]
public class ControlFlowCondTests
{
    static float[] F(Tensor t) => t.ToArray<float>();

    static Tensor Vec(params float[] v) => Tensor.FromArray(v, [v.Length]);

    static Tensor SignBranch(Tensor x) => Graph.Cond(x.Sum().Gt(0.0), () => x * 2.0, () => x * 3.0 - 1.0);

    [Fact]
    public void CondTakesTheBranchEachCallPicksFromOneTrace()
    {
        var cf = Graph.Compile(SignBranch);
        var pos = Vec(1, 2);
        var neg = Vec(-1, -2);
        Assert.Equal(new float[] { 2, 4 }, F(cf.Call(pos)));      // traced with the true branch taken
        Assert.Equal(new float[] { -4, -7 }, F(cf.Call(neg)));    // replay takes the other
        Assert.Equal(new float[] { 2, 4 }, F(cf.Call(pos)));
        Assert.Equal(new float[] { 6, -2 }, F(cf.Call(Vec(3, -1))));
        Assert.Equal(1, cf.TraceCount);
        Assert.Contains("0 guards", cf.Explain());
        // Eagerly, the same numbers.
        Assert.Equal(new float[] { 2, 4 }, F(SignBranch(pos)));
        Assert.Equal(new float[] { -4, -7 }, F(SignBranch(neg)));
    }

    [Fact]
    public void CondTracedOnTheFalseBranchServesTrueCallsToo()
    {
        var cf = Graph.Compile(SignBranch);
        Assert.Equal(new float[] { -4, -7 }, F(cf.Call(Vec(-1, -2))));
        Assert.Equal(new float[] { 10, -2 }, F(cf.Call(Vec(5, -1))));
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void NumericPredicateIsTrueWhenNonzeroIncludingNaN()
    {
        var one = Tensor.Scalar(1.0);
        Tensor Pick(Tensor pred) => Graph.Cond(pred, () => one * 10.0, () => one * 20.0);
        Assert.Equal(20.0, Pick(Tensor.FromArray(new int[] { 0 }, [1])).Item<double>());
        Assert.Equal(10.0, Pick(Tensor.FromArray(new long[] { -3 }, [1, 1])).Item<double>());
        Assert.Equal(10.0, Pick(Tensor.Scalar(double.NaN)).Item<double>());
        Assert.Equal(20.0, Pick(Tensor.Scalar(-0.0f)).Item<double>());
        var cf = Graph.Compile((Tensor p) => Graph.Cond(p, () => one * 10.0, () => one * 20.0));
        Assert.Equal(20.0, cf.Call(Tensor.Scalar(0.0)).Item<double>());
        Assert.Equal(10.0, cf.Call(Tensor.Scalar(0.5)).Item<double>());
        Assert.Equal(10.0, cf.Call(Tensor.Scalar(double.NaN)).Item<double>());
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void SeveralOutputsComeFromTheSameBranch()
    {
        var cf = Graph.Compile((Tensor[] a) => Graph.Cond(a[0].Sum().Lt(0.0),
            () => [a[0] + a[1], a[1].Sum()],
            () => [a[0] - a[1], a[1].Max()]));
        var y = Vec(1, 5, 2);
        var neg = cf.Call([Vec(-1, -1, -1), y]);
        var pos = cf.Call([Vec(1, 1, 1), y]);
        Assert.Equal(new float[] { 0, 4, 1 }, F(neg[0]));
        Assert.Equal(8f, neg[1].Item<float>());
        Assert.Equal(new float[] { 0, -4, -1 }, F(pos[0]));
        Assert.Equal(5f, pos[1].Item<float>());
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void BranchReadsCapturedVariableAtEveryCall()
    {
        var scale = new Variable(Tensor.Scalar(2f), name: "scale");
        var cf = Graph.Compile((Tensor x) => Graph.Cond(x.Sum().Gt(0.0), () => x * scale, () => x));
        Assert.Equal(new float[] { 2, 4 }, F(cf.Call(Vec(1, 2))));
        scale.Assign(Tensor.Scalar(5f));
        Assert.Equal(new float[] { 5, 10 }, F(cf.Call(Vec(1, 2))));
        Assert.Equal(new float[] { -1, -2 }, F(cf.Call(Vec(-1, -2))));
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void BranchReturningItsInputUnchangedGivesANewTensor()
    {
        var cf = Graph.Compile((Tensor x) => Graph.Cond(x.Sum().Gt(0.0), () => x, () => x * 2.0));
        var x = Vec(1, 2);
        var traced = cf.Call(x);
        var replayed = cf.Call(x);
        Assert.Equal(new float[] { 1, 2 }, F(traced));
        Assert.Equal(new float[] { 1, 2 }, F(replayed));
        Assert.NotSame(x, traced);
        Assert.NotSame(x, replayed);
        Assert.Equal(new float[] { -2, -4 }, F(cf.Call(Vec(-1, -2))));
    }

    [Fact]
    public void NestedCondsPickAmongFourBranches()
    {
        static Tensor Quadrant(Tensor p) => Graph.Cond(p[0].Gt(0.0),
            () => Graph.Cond(p[1].Gt(0.0), () => p.Sum() + 10.0, () => p.Sum() + 40.0),
            () => Graph.Cond(p[1].Gt(0.0), () => p.Sum() + 20.0, () => p.Sum() + 30.0));
        var cf = Graph.Compile(Quadrant);
        foreach (var (a, b, expected) in new[] { (1f, 1f, 12f), (-1f, 1f, 20f), (-1f, -1f, 28f), (1f, -1f, 40f) })
        {
            Assert.Equal(expected, cf.Call(Vec(a, b)).Item<float>());
            Assert.Equal(expected, Quadrant(Vec(a, b)).Item<float>());
        }
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void NotTakenBranchGivesBackItsRandomDraws()
    {
        // Eager and compiled draw the same numbers from the same generator state only if tracing the branch
        // that the first call does not take leaves the generator where eager code leaves it.
        static Tensor Noisy(Tensor x) => Graph.Cond(x.Sum().Gt(0.0), () => x + Tensor.Randn([2]), () => x * 2.0);
        var (pos, neg) = (Vec(1, 1), Vec(-1, -1));
        Tensor.ManualSeed(7);
        var eager = new[] { Noisy(neg), Noisy(pos), Noisy(pos), Tensor.Randn([2]) };
        var cf = Graph.Compile(Noisy);
        Tensor.ManualSeed(7);
        var compiled = new[] { cf.Call(neg), cf.Call(pos), cf.Call(pos), Tensor.Randn([2]) };
        for (int i = 0; i < eager.Length; i++) Assert.Equal(F(eager[i]), F(compiled[i]));
        Assert.NotEqual(F(compiled[1]), F(compiled[2]));     // fresh draws on every call
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void GraphForPrintsBothBranchesUnderTheCondOp()
    {
        var cf = Graph.Compile(SignBranch);
        var x = Vec(1, 2);
        cf.Call(x);
        var text = cf.GraphFor(x);
        Assert.Contains("= cond(%", text);
        Assert.Contains("graph ifTrue(", text);
        Assert.Contains("graph ifFalse(", text);
        Assert.Contains("ControlFlowCondTests", text);            // the user's line on the op
        Assert.Contains("cond(%", cf.DotFor(x));
    }

    [Fact]
    public void NotTakenBranchGivesBackTheDrawsOfADropoutWithItsOwnGenerator()
    {
        static Func<Tensor, Tensor> Net(Nabla.NN.Dropout drop) => x => Graph.Cond(x.Sum().Gt(0.0), () => drop.Call(x), () => x * 2.0);
        var eager = Net(new Nabla.NN.Dropout(0.5, seed: 3));
        var cf = Graph.Compile(Net(new Nabla.NN.Dropout(0.5, seed: 3)));
        var (pos, neg) = (Tensor.Ones([64]), Tensor.Ones([64]) * -1.0);
        var masks = new List<float[]>();
        foreach (var x in new[] { neg, pos, neg, pos })
        {
            var expected = F(eager(x));
            Assert.Equal(expected, F(cf.Call(x)));
            if (ReferenceEquals(x, pos)) masks.Add(expected);
        }
        Assert.Contains(0f, masks[0]);                                 // dropout really drew (training mode)
        Assert.NotEqual(masks[0], masks[1]);                           // and drew fresh numbers on each call
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void CompiledFunctionWithACondCalledInsideAnotherTraceKeepsItsBranch()
    {
        var inner = Graph.Compile(SignBranch);
        inner.Call(Vec(1, 2));                                       // traced alone: the outer trace sees its replay
        var outer = Graph.Compile((Tensor x) => inner.Call(x) + 1.0);
        Assert.Equal(new float[] { 3, 5 }, F(outer.Call(Vec(1, 2))));
        Assert.Equal(new float[] { -3, -6 }, F(outer.Call(Vec(-1, -2))));
        Assert.Equal(new float[] { 3, 5 }, F(outer.Call(Vec(1, 2))));
        Assert.Equal(1, outer.TraceCount);
        Assert.Equal(1, inner.TraceCount);
        Assert.Contains("= cond(%", outer.GraphFor(Vec(1, 2)));
    }
}
