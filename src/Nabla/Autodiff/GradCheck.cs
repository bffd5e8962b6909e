using System.Globalization;
using Nabla.Engine;

namespace Nabla;

/// <summary>
/// Checks gradients against finite differences, as <c>torch.autograd.gradcheck</c> and
/// <c>gradgradcheck</c>: the Jacobian built row by row from the autodiff rules
/// (<see cref="Autograd.Grad(IReadOnlyList{Tensor}, IReadOnlyList{Tensor}, IReadOnlyList{Tensor?}?, bool?, bool, bool?, bool)"/>
/// with one-hot output gradients) must match the one built column by column from central differences
/// <c>(f(x + eps e_i) - f(x - eps e_i)) / 2eps</c>, entry by entry within <c>atol + rtol * |numerical|</c>.
/// </summary>
/// <remarks>
/// Floating inputs are copied to float64 leaves that require grad (keeping their strides, so a
/// transposed input is checked as a transposed view); other inputs are passed to the function
/// untouched. The function must be deterministic and should compute in float64 (it sees float64
/// inputs). The function runs as written, in the caller's grad mode (only the perturbation of the inputs is
/// unrecorded), so it may itself call <see cref="Autograd.Grad(Tensor, Tensor, Tensor?, bool?, bool, bool?, bool)"/>
/// (a gradient penalty). NaN or Inf anywhere in either Jacobian is a failure: check at points where the function is smooth.
/// </remarks>
/// <example><code>
/// var x = Tensor.FromArray(new[] { 0.5, -1.0, 2.0 }, [3]);
/// bool ok = GradCheck.Check(xs => (xs[0] * xs[0]).Tanh(), [x]);           // true, or throws GradCheckException
/// bool ok2 = GradCheck.CheckSecondOrder(xs => (xs[0] * xs[0]).Tanh(), [x]); // grad-of-grad
/// </code></example>
public static class GradCheck
{
    /// <summary>
    /// Compares the analytical Jacobian of <paramref name="f"/> at <paramref name="inputs"/> with
    /// central finite differences of step <paramref name="eps"/>. Returns true when every entry is
    /// within <c>atol + rtol * |numerical|</c>; otherwise throws a <see cref="GradCheckException"/>
    /// naming the worst entry (input, element, output element, both values, both errors), or returns
    /// false when <paramref name="raiseException"/> is false.
    /// </summary>
    public static bool Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, double atol = 1e-5,
        double rtol = 1e-3, bool raiseException = true)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(inputs);
        CheckSettings("GradCheck.Check", eps, atol, rtol);
        var xs = Promote(inputs);
        var inputNames = Enumerable.Range(0, xs.Length).Select(i => $"input {i}").ToArray();
        return Compare("GradCheck.Check", x => [f(x)], xs, inputNames, _ => "the output", eps, atol, rtol, raiseException);
    }

    /// <summary>
    /// Checks second derivatives (as <c>gradgradcheck</c>): the vector-Jacobian product
    /// <c>g(x, gy) = J(x)^T gy</c>, computed with <c>createGraph: true</c>, is itself checked with
    /// <see cref="Check"/> against finite differences, with respect to every floating input and to
    /// <c>gy</c>. <paramref name="gradOutput"/> defaults to fixed pseudo-random values (seed 0) in
    /// [-1, 1) with the output's shape, so results are reproducible.
    /// </summary>
    public static bool CheckSecondOrder(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, double atol = 1e-5,
        double rtol = 1e-3, bool raiseException = true, Tensor? gradOutput = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(inputs);
        const string op = "GradCheck.CheckSecondOrder";
        CheckSettings(op, eps, atol, rtol);
        var xs = Promote(inputs);
        // f runs as written (the caller's grad mode): it may itself take gradients.
        var y0 = f(xs);
        CheckOutput(op, y0, 0);
        y0 = y0.Detach();
        Tensor gy;
        if (gradOutput is null) gy = RandomLike(y0, seed: 0);
        else
        {
            if (!gradOutput.Shape.Equals(y0.Shape))
                throw Errors.Arg(op, $"gradOutput has shape {gradOutput.Shape} but the output has shape {y0.Shape}.");
            gy = Promote([gradOutput.To(DType.Float64)])[0];
        }
        var diff = Enumerable.Range(0, xs.Length).Where(i => xs[i].DType.IsFloating()).ToArray();
        int n = xs.Length;

        // g(x, gy): the gradients of <f(x), gy> with respect to the floating inputs, recorded so
        // that they can be differentiated again. Grad mode is forced on, whatever the caller's is.
        Tensor[] Vjp(Tensor[] all)
        {
            using var _ = Autograd.EnableGrad();
            var x = all[..n];
            var wrt = diff.Select(i => x[i]).ToArray();
            var y = f(x);
            var gxs = y.RequiresGrad
                ? Autograd.Grad([y], wrt, [all[n]], createGraph: true, allowUnused: true)
                : new Tensor?[wrt.Length];
            return wrt.Select((w, k) => gxs[k] ?? Tensor.ZerosLike(w)).ToArray();
        }

        var inputNames = Enumerable.Range(0, n).Select(i => $"input {i}").Append("gradOutput").ToArray();
        return Compare(op, Vjp, [.. xs, gy], inputNames, o => $"the gradient of input {diff[o]}", eps, atol, rtol, raiseException);
    }

    static void CheckSettings(string op, double eps, double atol, double rtol)
    {
        if (!(eps > 0) || double.IsInfinity(eps)) throw Errors.Arg(op, $"eps must be positive and finite, got {eps}.");
        if (!(atol >= 0) || !(rtol >= 0)) throw Errors.Arg(op, $"atol and rtol must be >= 0, got {atol} and {rtol}.");
    }

    static void CheckOutput(string op, Tensor y, int index)
    {
        if (y is null) throw Errors.Arg(op, $"the function returned null for output {index}.");
        if (!y.DType.IsFloating())
            throw Errors.Arg(op, $"output {index} is {y.DType.TorchName()}; only floating outputs have gradients to check.");
    }

    /// <summary>
    /// Float64 leaf copies that require grad for floating inputs (same strides and offset unless the
    /// input overlaps itself, e.g. an expanded view, where perturbing one stored value would move
    /// several elements); other inputs unchanged.
    /// </summary>
    static Tensor[] Promote(Tensor[] inputs)
    {
        var xs = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            var x = inputs[i] ?? throw new ArgumentNullException(nameof(inputs), $"GradCheck: input {i} is null.");
            if (!x.DType.IsFloating()) { xs[i] = x; continue; }
            bool overlaps = false;
            for (int d = 0; d < x.Rank; d++) overlaps |= x.Shape[d] > 1 && x.Strides[d] == 0;
            Tensor copy;
            if (overlaps || x.NumElements == 0)
                copy = Tensor.FromArray(x.ToDoubleArray(), x.Shape.ToArray());
            else
            {
                // The whole storage as float64, then the same view of the copy: strided inputs stay strided.
                Tensor whole;
                using (Autograd.NoGrad()) whole = x.View(new Shape(x.Storage.Length), [1], 0).To(DType.Float64).Contiguous();
                copy = whole.View(x.Shape, (int[])x.Strides.Clone(), x.Offset).Detach();
            }
            copy.RequiresGrad = true;
            xs[i] = copy;
        }
        return xs;
    }

    static Tensor RandomLike(Tensor like, int seed)
    {
        var rng = new Random(seed);
        var data = new double[like.NumElements];
        for (int i = 0; i < data.Length; i++) data[i] = 2 * rng.NextDouble() - 1;
        return Tensor.FromArray(data, like.Shape.ToArray(), requiresGrad: true);
    }

    /// <summary>Writes one perturbed value into an input's memory, unrecorded.</summary>
    static void Set(Tensor cell, double value)
    {
        using (Autograd.NoGrad()) cell.Fill(value);
    }

    /// <summary>Storage index of the flat row-major element <paramref name="flat"/> of a view.</summary>
    static int StorageIndex(Tensor t, int flat)
    {
        int index = t.Offset;
        for (int d = t.Rank - 1; d >= 0; d--)
        {
            int size = t.Shape[d];
            index += flat % size * t.Strides[d];
            flat /= size;
        }
        return index;
    }

    static int[] Unravel(Shape shape, int flat)
    {
        var idx = new int[shape.Rank];
        for (int d = shape.Rank - 1; d >= 0; d--)
        {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
        return idx;
    }

    /// <summary>Both Jacobians of every output with respect to every floating input, compared entry by entry.</summary>
    static bool Compare(string op, Func<Tensor[], Tensor[]> fn, Tensor[] xs, string[] inputNames, Func<int, string> outputName,
        double eps, double atol, double rtol, bool raiseException)
    {
        var diff = Enumerable.Range(0, xs.Length).Where(i => xs[i].DType.IsFloating()).ToArray();
        Tensor[] ys;
        using (Autograd.EnableGrad()) ys = fn(xs);
        for (int o = 0; o < ys.Length; o++) CheckOutput(op, ys[o], o);
        var wrt = diff.Select(i => xs[i]).ToArray();

        // analytical[o][k][j * nIn + i] = d ys[o][j] / d wrt[k][i], one backward per output element.
        var analytical = new double[ys.Length][][];
        for (int o = 0; o < ys.Length; o++)
        {
            int nOut = ys[o].NumElements;
            analytical[o] = wrt.Select(w => new double[nOut * w.NumElements]).ToArray();
            if (!ys[o].RequiresGrad) continue;  // no path to any input: the analytical Jacobian is zero
            for (int j = 0; j < nOut; j++)
            {
                var seed = Tensor.OneHot(ys[o].Shape.ToArray(), DType.Float64, j, ys[o].Device);
                var gxs = Autograd.Grad([ys[o]], wrt, [seed], retainGraph: true, allowUnused: true);
                for (int k = 0; k < wrt.Length; k++)
                {
                    if (gxs[k] is not { } gx) continue;
                    if (!gx.Shape.Equals(wrt[k].Shape))
                        throw Errors.State(op, $"the gradient of {inputNames[diff[k]]} has shape {gx.Shape} but the input has shape {wrt[k].Shape}.");
                    var values = gx.ToDoubleArray();
                    Array.Copy(values, 0, analytical[o][k], j * values.Length, values.Length);
                }
            }
        }

        // numerical: perturb one stored value at a time, in place (the copies are private to this check). Only
        // the write is unrecorded: fn runs in the caller's grad mode, as written, so a function that itself
        // takes a gradient (a gradient penalty) works, as in torch.autograd.gradcheck.
        var numerical = ys.Select(y => wrt.Select(w => new double[y.NumElements * w.NumElements]).ToArray()).ToArray();
        for (int k = 0; k < wrt.Length; k++)
        {
            int nIn = wrt[k].NumElements;
            for (int i = 0; i < nIn; i++)
            {
                var cell = wrt[k].View(new Shape([]), [], StorageIndex(wrt[k], i));
                double original = cell.Item<double>();
                Set(cell, original + eps);
                var plus = fn(xs).Select(y => y.ToDoubleArray()).ToArray();
                Set(cell, original - eps);
                var minus = fn(xs).Select(y => y.ToDoubleArray()).ToArray();
                Set(cell, original);
                for (int o = 0; o < ys.Length; o++)
                    for (int j = 0; j < plus[o].Length; j++)
                        numerical[o][k][j * nIn + i] = (plus[o][j] - minus[o][j]) / (2 * eps);
            }
        }

        // The worst entry is the one furthest outside its allowance (NaN counts as infinitely far).
        int mismatches = 0, total = 0;
        double worstScore = 0;
        (int O, int K, int J, int I, double A, double N) worst = default;
        for (int o = 0; o < ys.Length; o++)
            for (int k = 0; k < wrt.Length; k++)
            {
                int nIn = wrt[k].NumElements;
                for (int e = 0; e < analytical[o][k].Length; e++)
                {
                    double a = analytical[o][k][e], nu = numerical[o][k][e];
                    double err = Math.Abs(a - nu), allowed = atol + rtol * Math.Abs(nu);
                    total++;
                    if (err <= allowed) continue;  // false for NaN
                    mismatches++;
                    double score = double.IsNaN(err) ? double.PositiveInfinity : err / allowed;
                    if (mismatches == 1 || score > worstScore)
                    {
                        worstScore = score;
                        worst = (o, k, e / nIn, e % nIn, a, nu);
                    }
                }
            }
        if (mismatches == 0) return true;
        if (!raiseException) return false;

        int input = diff[worst.K];
        var inElem = Unravel(wrt[worst.K].Shape, worst.I);
        var outElem = Unravel(ys[worst.O].Shape, worst.J);
        double absErr = Math.Abs(worst.A - worst.N);
        double relErr = absErr == 0 ? 0 : absErr / Math.Abs(worst.N);
        string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        string G(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
        var message =
            $"{op}: the analytical and numerical Jacobians differ. Worst entry: d({outputName(worst.O)}){Shape.Format(outElem)} / " +
            $"d({inputNames[input]}){Shape.Format(inElem)}: analytical {F(worst.A)}, numerical {F(worst.N)}, " +
            $"absolute error {G(absErr)}, relative error {G(relErr)} " +
            $"(allowed: atol {G(atol)} + rtol {G(rtol)} * |numerical|, eps {G(eps)}). " +
            $"{mismatches} of {total} entries are outside the tolerance.";
        throw new GradCheckException(message, input, inElem, worst.O, outElem, worst.A, worst.N, mismatches);
    }
}
