using Nabla.NN;
using Nabla.Tests.AutogradFunctional;
using Nabla.Tests.TestUtil;

namespace Nabla.Tests.NN;

/// <summary>
/// MultiheadAttention by hand: shapes in each layout, PyTorch's mask conventions (bool TRUE = not allowed, float added) against
/// each other and against a float64 loop reference (with bias_k/bias_v and add_zero_attn), errors, finite differences.
/// </summary>
public class MultiheadAttentionTests
{
    static Tensor R(int seed, params int[] shape) => Tensor.Randn(shape, DType.Float32, seed);

    [Fact]
    public void ShapesInEachLayout()
    {
        var mha = new MultiheadAttention(8, 2, seed: 0);   // sequence first, PyTorch's default
        var (y, w) = mha.Call(R(1, 5, 3, 8), R(2, 7, 3, 8), R(3, 7, 3, 8));
        Assert.Equal([5, 3, 8], y.Shape.ToArray());
        Assert.Equal([3, 5, 7], w!.Shape.ToArray());
        var perHead = mha.Call(R(1, 5, 3, 8), R(2, 7, 3, 8), R(3, 7, 3, 8), averageAttnWeights: false).Weights!;
        Assert.Equal([3, 2, 5, 7], perHead.Shape.ToArray());
        Approx.Equal(w, perHead.Mean(1), 1e-6, "the average of the heads' weights");
        // Every row of weights sums to 1.
        Approx.Equal(Tensor.Ones([3, 2, 5]), perHead.Sum(-1), 1e-6, "rows sum to one");

        var bf = new MultiheadAttention(8, 2, batchFirst: true, seed: 0);
        var (yb, wb) = bf.Call(R(1, 5, 3, 8).Transpose(0, 1), R(2, 7, 3, 8).Transpose(0, 1), R(3, 7, 3, 8).Transpose(0, 1));
        Approx.Equal(y.Transpose(0, 1), yb, 1e-6, "batch first is the transpose");
        Approx.Equal(w, wb!, 1e-6, "batch-first weights");

        // Unbatched: [L, E] gives [L, E] and weights [L, S], the same as a batch of one.
        var (yu, wu) = bf.Call(R(4, 5, 8), R(5, 7, 8), R(6, 7, 8));
        Assert.Equal([5, 8], yu.Shape.ToArray());
        Assert.Equal([5, 7], wu!.Shape.ToArray());
        var (y1, w1) = bf.Call(R(4, 5, 8).Unsqueeze(0), R(5, 7, 8).Unsqueeze(0), R(6, 7, 8).Unsqueeze(0));
        Approx.Equal(y1.Squeeze(0), yu, 1e-6, "unbatched output");
        Approx.Equal(w1!.Squeeze(0), wu, 1e-6, "unbatched weights");
        Assert.Equal([2, 5, 7], bf.Call(R(4, 5, 8), R(5, 7, 8), R(6, 7, 8), averageAttnWeights: false).Weights!.Shape.ToArray());
    }

    [Fact]
    public void ParametersHavePyTorchsNamesShapesAndInit()
    {
        var mha = new MultiheadAttention(8, 2, addBiasKv: true, seed: 3);
        Assert.Equal(["in_proj_weight", "in_proj_bias", "bias_k", "bias_v", "out_proj.weight", "out_proj.bias"], mha.StateDict().Keys.ToArray());
        Assert.Equal([24, 8], mha.InProjWeight!.Shape.ToArray());
        Assert.Equal([1, 1, 8], mha.BiasK!.Shape.ToArray());
        Assert.All(mha.InProjBias!.ToArray<float>(), b => Assert.Equal(0f, b));
        Assert.All(mha.OutProj.Bias!.ToArray<float>(), b => Assert.Equal(0f, b));
        double bound = Math.Sqrt(6.0 / (8 + 24));   // xavier_uniform_ on [3E, E]
        var w = mha.InProjWeight.ToArray<float>();
        Assert.All(w, x => Assert.InRange(x, -bound, bound));
        Assert.True(w.Max() > 0.8 * bound && w.Min() < -0.8 * bound, "xavier_uniform_ fills the whole range");

        var sep = new MultiheadAttention(8, 2, bias: false, kdim: 5, vdim: 3);
        Assert.Equal(["q_proj_weight", "k_proj_weight", "v_proj_weight", "out_proj.weight"], sep.StateDict().Keys.ToArray());
        Assert.Equal([8, 5], sep.KProjWeight!.Shape.ToArray());
        Assert.Equal([8, 3], sep.VProjWeight!.Shape.ToArray());
        Assert.Equal([4, 2, 8], sep.Call(R(1, 4, 2, 8), R(2, 6, 2, 5), R(3, 6, 2, 3)).Output.Shape.ToArray());
    }

    [Fact]
    public void BoolMasksAreTrueWhereNotAllowedAndEqualTheirFloatForm()
    {
        var mha = new MultiheadAttention(8, 2, batchFirst: true, seed: 1);
        var (q, k) = (R(1, 2, 3, 8), R(2, 2, 4, 8));
        var kpm = Tensor.FromArray(new[] { false, false, true, false, false, false, false, true }, [2, 4]);
        var am = Tensor.FromArray(new[] { false, true, false, false, false, false, true, false, false, false, false, true }, [3, 4]);
        Tensor Float(Tensor b) => Tensor.Zeros(b.Shape.ToArray()).MaskedFill(b, double.NegativeInfinity);

        var (yb, wb) = mha.Call(q, k, k, keyPaddingMask: kpm, attnMask: am);
        var (yf, wf) = mha.Call(q, k, k, keyPaddingMask: Float(kpm), attnMask: Float(am));
        Approx.Equal(yb, yf, 1e-6, "bool vs float masks (output)");
        Approx.Equal(wb!, wf!, 1e-6, "bool vs float masks (weights)");
        // A mix (bool padding, float attention mask) is the same too.
        Approx.Equal(yb, mha.Call(q, k, k, keyPaddingMask: kpm, attnMask: Float(am)).Output, 1e-6, "mixed masks");
        // Not-allowed positions get exactly zero weight, the others a positive one.
        var w = wb!.ToArray<float>();
        var pad = kpm.ToArray<bool>();
        var att = am.ToArray<bool>();
        for (int n = 0; n < 2; n++)
            for (int l = 0; l < 3; l++)
                for (int s = 0; s < 4; s++)
                {
                    bool blocked = pad[n * 4 + s] || att[l * 4 + s];
                    float x = w[(n * 3 + l) * 4 + s];
                    Assert.True(blocked ? x == 0 : x > 0, $"weight [{n}, {l}, {s}] = {x}, blocked: {blocked}");
                }
        // The fused path (no weights) honours the same masks.
        Approx.Equal(yb, mha.Call(q, k, k, keyPaddingMask: kpm, needWeights: false, attnMask: am).Output, 1e-5, "masks without weights");
        // A float mask is added to the scores: a constant row offset changes nothing (softmax is shift invariant).
        Approx.Equal(mha.Call(q, k, k).Output, mha.Call(q, k, k, attnMask: Tensor.Full([3, 4], 2.5)).Output, 1e-5, "constant float mask");
    }

    [Fact]
    public void ThreeDimMaskIsPerBatchAndHead()
    {
        var mha = new MultiheadAttention(4, 2, batchFirst: true, seed: 2);
        var (q, k) = (R(1, 2, 3, 4), R(2, 2, 3, 4));
        var m3 = new bool[2 * 2 * 3 * 3];
        m3[((1 * 2 + 0) * 3 + 2) * 3 + 1] = true;   // batch 1, head 0, query 2, key 1 (PyTorch's [N·heads, L, S] order)
        var w = mha.Call(q, k, k, attnMask: Tensor.FromArray(m3, [4, 3, 3]), averageAttnWeights: false).Weights!;
        var free = mha.Call(q, k, k, averageAttnWeights: false).Weights!;
        var (a, b) = (w.ToArray<float>(), free.ToArray<float>());
        for (int i = 0; i < a.Length; i++)
        {
            int head = i / 9 % 2, batch = i / 18, row = i / 3 % 3;
            if (m3[i]) Assert.Equal(0f, a[i]);
            else if (batch == 1 && head == 0 && row == 2) Assert.True(a[i] > b[i], "the masked weight moves to the others in its row");
            else Assert.Equal(b[i], a[i], 6);
        }
    }

    [Fact]
    public void IsCausalBuildsTheCausalMask()
    {
        var mha = new MultiheadAttention(8, 2, batchFirst: true, seed: 4);
        var x = R(1, 2, 5, 8);
        var causal = Transformer.GenerateSquareSubsequentMask(5);
        var (y, w) = mha.Call(x, x, x, isCausal: true);
        var (yr, wr) = mha.Call(x, x, x, attnMask: causal);
        Approx.Equal(yr, y, 1e-6, "isCausal output");
        Approx.Equal(wr!, w!, 1e-6, "isCausal weights");
        Assert.Equal(0f, w!.ToArray<float>()[0 * 25 + 1 * 5 + 3]);   // query 1 never sees key 3
        Approx.Equal(yr, mha.Call(x, x, x, needWeights: false, isCausal: true).Output, 1e-5, "isCausal through ScaledDotProductAttention");
        var kpm = Tensor.FromArray(new[] { false, false, false, false, true, false, false, false, false, false }, [2, 5]);
        Approx.Equal(mha.Call(x, x, x, keyPaddingMask: kpm, attnMask: causal).Output,
            mha.Call(x, x, x, keyPaddingMask: kpm, needWeights: false, isCausal: true).Output, 1e-5, "isCausal with padding");
    }

    /// <summary>
    /// A float64 loop reference of PyTorch's definition (batch first): projections, bias_k/bias_v appended to the keys and
    /// values, a zero key and value appended (add_zero_attn), masks padded with "allowed" for those, per-head softmax.
    /// </summary>
    static (double[] Output, double[] Weights) Reference(MultiheadAttention m, Tensor query, Tensor key, Tensor value, bool[]? kpm, double[]? am)
    {
        int n = query.Shape[0], l = query.Shape[1], s = key.Shape[1], e = m.EmbedDim, h = m.NumHeads, hd = e / h;
        double[] q = query.ToDoubleArray(), k = key.ToDoubleArray(), v = value.ToDoubleArray();
        double[] w = m.InProjWeight!.ToDoubleArray(), b = m.InProjBias!.ToDoubleArray();
        double[] wo = m.OutProj.Weight.ToDoubleArray(), bo = m.OutProj.Bias!.ToDoubleArray();
        double[]? bk = m.BiasK?.ToDoubleArray(), bv = m.BiasV?.ToDoubleArray();
        int extra = (bk is null ? 0 : 1) + (m.AddZeroAttn ? 1 : 0), st = s + extra;
        var output = new double[n * l * e];
        var weights = new double[n * l * st];
        double[] Proj(double[] x, int row, int part)
        {
            var r = new double[e];
            for (int j = 0; j < e; j++)
            {
                r[j] = b[part * e + j];
                for (int i = 0; i < e; i++) r[j] += w[(part * e + j) * e + i] * x[row * e + i];
            }
            return r;
        }
        for (int bi = 0; bi < n; bi++)
        {
            var Q = Enumerable.Range(0, l).Select(i => Proj(q, bi * l + i, 0)).ToList();
            var K = Enumerable.Range(0, s).Select(i => Proj(k, bi * s + i, 1)).ToList();
            var V = Enumerable.Range(0, s).Select(i => Proj(v, bi * s + i, 2)).ToList();
            if (bk is not null) { K.Add(bk); V.Add(bv!); }
            if (m.AddZeroAttn) { K.Add(new double[e]); V.Add(new double[e]); }
            for (int i = 0; i < l; i++)
            {
                var o = new double[e];
                for (int hh = 0; hh < h; hh++)
                {
                    var sc = new double[st];
                    for (int j = 0; j < st; j++)
                    {
                        for (int d = hh * hd; d < (hh + 1) * hd; d++) sc[j] += Q[i][d] * K[j][d];
                        sc[j] /= Math.Sqrt(hd);
                        if (j < s && am is not null) sc[j] += am[i * s + j];
                        if (j < s && kpm is not null && kpm[bi * s + j]) sc[j] = double.NegativeInfinity;
                    }
                    double max = sc.Max(), sum = sc.Sum(x => Math.Exp(x - max));
                    for (int j = 0; j < st; j++)
                    {
                        double p = Math.Exp(sc[j] - max) / sum;
                        weights[(bi * l + i) * st + j] += p / h;
                        for (int d = hh * hd; d < (hh + 1) * hd; d++) o[d] += p * V[j][d];
                    }
                }
                for (int j = 0; j < e; j++)
                {
                    double acc = bo[j];
                    for (int d = 0; d < e; d++) acc += wo[j * e + d] * o[d];
                    output[(bi * l + i) * e + j] = acc;
                }
            }
        }
        return (output, weights);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void MatchesALoopReferenceWithBiasKvAndZeroAttn(bool addBiasKv, bool addZeroAttn)
    {
        var mha = new MultiheadAttention(6, 2, addBiasKv: addBiasKv, addZeroAttn: addZeroAttn, batchFirst: true, seed: 5, dtype: DType.Float64);
        using (Autograd.NoGrad()) mha.InProjBias!.CopyFrom(Tensor.Randn([18], DType.Float64, 6));   // non-zero biases
        var (q, k, v) = (Tensor.Randn([2, 3, 6], DType.Float64, 7), Tensor.Randn([2, 4, 6], DType.Float64, 8), Tensor.Randn([2, 4, 6], DType.Float64, 9));
        var kpm = new[] { false, true, false, false, false, false, false, true };
        var am = Tensor.Randn([3, 4], DType.Float64, 10);
        var (y, w) = mha.Call(q, k, v, Tensor.FromArray(kpm, [2, 4]), attnMask: am);
        var (ry, rw) = Reference(mha, q, k, v, kpm, am.ToDoubleArray());
        int st = 4 + (addBiasKv ? 1 : 0) + (addZeroAttn ? 1 : 0);
        Approx.Equal(ry, y.ToDoubleArray(), 1e-12, "output", [2, 3, 6]);
        Approx.Equal(rw, w!.ToDoubleArray(), 1e-12, "weights", [2, 3, st]);
        Approx.Equal(ry, mha.Call(q, k, v, Tensor.FromArray(kpm, [2, 4]), needWeights: false, attnMask: am).Output.ToDoubleArray(), 1e-12, "output without weights", [2, 3, 6]);
    }

    [Fact]
    public void GradientsMatchFiniteDifferencesInFloat64()
    {
        var mha = new MultiheadAttention(6, 3, addBiasKv: true, batchFirst: true, seed: 11, dtype: DType.Float64);
        using (Autograd.NoGrad()) mha.InProjBias!.CopyFrom(Tensor.Randn([18], DType.Float64, 12));
        var (q, k, v) = (Tensor.Randn([2, 3, 6], DType.Float64, 13), Tensor.Randn([2, 4, 6], DType.Float64, 14), Tensor.Randn([2, 4, 6], DType.Float64, 15));
        var kpm = Tensor.FromArray(new[] { false, false, true, false, false, false, false, false }, [2, 4]);
        var coef = Tensor.Randn([2, 3, 6], DType.Float64, 16);
        var coefW = Tensor.Randn([2, 3, 5], DType.Float64, 17);
        Tensor Loss(Tensor qq, Tensor kk, Tensor vv)
        {
            var (y, w) = mha.Call(qq, kk, vv, kpm);
            return (y * coef).Sum() + (w! * coefW).Sum();
        }
        var (qg, kg, vg) = (q.Clone(), k.Clone(), v.Clone());
        qg.RequiresGrad = kg.RequiresGrad = vg.RequiresGrad = true;
        var grads = Autograd.Grad([Loss(qg, kg, vg)], [qg, kg, vg]);
        var dirs = new[] { Tensor.Randn([2, 3, 6], DType.Float64, 18), Tensor.Randn([2, 4, 6], DType.Float64, 19), Tensor.Randn([2, 4, 6], DType.Float64, 20) };
        Func<Tensor, Tensor>[] fs = [x => Loss(x, k, v), x => Loss(q, x, v), x => Loss(q, k, x)];
        Tensor[] at = [q, k, v];
        for (int i = 0; i < 3; i++)
        {
            double fd = FiniteDiff.Directional(fs[i], at[i], dirs[i]).ToDoubleArray()[0];
            double ad = (grads[i]! * dirs[i]).Sum().ToDoubleArray()[0];
            Approx.Close(fd, ad, 1e-7, 1, $"directional derivative w.r.t. input {i}");
        }
    }

    [Fact]
    public void DropoutActsInTrainingOnlyAndIsSeeded()
    {
        var x = R(1, 2, 4, 8);
        MultiheadAttention Make() => new(8, 2, dropout: 0.5, batchFirst: true, seed: 21);
        var (a, b) = (Make(), Make());
        var ya = a.Call(x, x, x, needWeights: false).Output;
        Approx.Equal(ya, b.Call(x, x, x, needWeights: false).Output, 0, "same seed, same masks");
        a.Eval();
        var evalOut = a.Call(x, x, x).Output;
        var noDrop = new MultiheadAttention(8, 2, batchFirst: true, seed: 21);
        Approx.Equal(noDrop.Call(x, x, x).Output, evalOut, 1e-6, "eval mode has no dropout");
        Assert.NotEqual(evalOut.ToArray<float>(), ya.ToArray<float>());
    }

    [Fact]
    public void HooksSeeEveryInputAndBothOutputs()
    {
        var mha = new MultiheadAttention(4, 2, seed: 0);
        IReadOnlyList<Tensor?>? seenIn = null, seenOut = null;
        using var h = mha.RegisterForwardArgsHook((m, i, o) => { (seenIn, seenOut) = (i, o); return null; });
        var kpm = Tensor.Zeros([2, 3], DType.Bool);
        var (y, w) = mha.Call(R(1, 2, 2, 4), R(2, 3, 2, 4), R(3, 3, 2, 4), kpm);
        Assert.Equal(5, seenIn!.Count);
        Assert.Same(kpm, seenIn[3]);
        Assert.Null(seenIn[4]);
        Assert.Same(y, seenOut![0]);
        Assert.Same(w, seenOut[1]);
        Assert.Contains("does not take one tensor", Assert.Throws<ArgumentException>(() => mha.Call(R(1, 2, 2, 4))).Message);
    }

    [Fact]
    public void ErrorsNameTheProblemAndTheCaller()
    {
        void Check(Action a, string part)
        {
            var e = Assert.Throws<ArgumentException>(a);
            Assert.Contains("MultiheadAttention", e.Message);
            Assert.Contains("MultiheadAttentionTests.cs:", e.Message);
            Assert.Contains(part, e.Message);
        }
        Check(() => new MultiheadAttention(10, 3), "divisible by numHeads");
        var mha = new MultiheadAttention(8, 2, batchFirst: true, seed: 0);
        var (q, k) = (R(1, 2, 3, 8), R(2, 2, 4, 8));
        Check(() => mha.Call(q, k, R(3, 2, 5, 8)), "same number of positions");
        Check(() => mha.Call(q, k, k, attnMask: Tensor.Zeros([3, 5])), "attnMask must be [L, S] = [3, 4]");
        Check(() => mha.Call(q, k, k, attnMask: Tensor.Zeros([2, 3, 4])), "[N·heads, L, S] = [4, 3, 4]");
        Check(() => mha.Call(q, k, k, keyPaddingMask: Tensor.Zeros([2, 3], DType.Bool)), "keyPaddingMask must be [N, S] = [2, 4]");
        Check(() => mha.Call(q, k, k, keyPaddingMask: Tensor.Zeros([2, 4], DType.Int64)), "must be bool");
        Check(() => mha.Call(R(1, 2, 3, 6), k, k), "embedDim = 8");
        Check(() => mha.Call(q, R(2, 3, 4, 8), R(2, 3, 4, 8)), "same batch size");
        Check(() => mha.Call(R(1, 3, 8), k, k), "all be 3-D (batched) or all 2-D");
    }
}
