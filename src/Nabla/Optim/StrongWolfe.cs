namespace Nabla.Optim;

/// <summary>
/// The strong-Wolfe line search of torch.optim.LBFGS (after Nocedal and Wright, algorithms 3.5 and 3.6, with PyTorch's
/// bracketing and safeguarded cubic interpolation), on flat float64 vectors.
/// </summary>
internal static class StrongWolfe
{
    /// <summary>Loss and flat gradient at x + t·d (the parameters are restored to x afterwards).</summary>
    public delegate (double Loss, double[] Grad) Evaluate(double t);

    /// <summary>Searches along <paramref name="d"/> from step <paramref name="t"/>; returns the loss, gradient and step found and the evaluations used.</summary>
    public static (double Loss, double[] Grad, double T, int Evals) Search(Evaluate eval, double t, double[] d, double f, double[] g, double gtd,
        double c1 = 1e-4, double c2 = 0.9, double toleranceChange = 1e-9, int maxLs = 25)
    {
        double dNorm = d.Max(Math.Abs);
        var (fNew, gNew) = eval(t);
        int evals = 1;
        double gtdNew = Dot(gNew, d);
        double tPrev = 0, fPrev = f, gtdPrev = gtd;
        double[] gPrev = g;
        bool done = false;
        int lsIter = 0;
        double[] bracket = [], bracketF = [], bracketGtd = [];
        double[][] bracketG = [];
        while (lsIter < maxLs)
        {
            // Sufficient decrease fails or the loss rose: the minimum lies between the last two steps.
            if (fNew > f + c1 * t * gtd || (lsIter > 1 && fNew >= fPrev))
            {
                (bracket, bracketF, bracketG, bracketGtd) = ([tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew]);
                break;
            }
            if (Math.Abs(gtdNew) <= -c2 * gtd)
            {
                (bracket, bracketF, bracketG, bracketGtd) = ([t], [fNew], [gNew], [gtdNew]);
                done = true;
                break;
            }
            if (gtdNew >= 0)
            {
                (bracket, bracketF, bracketG, bracketGtd) = ([tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew]);
                break;
            }
            // Extrapolate: the cubic's minimum, between 1.01 t and 10 t.
            double minStep = t + 0.01 * (t - tPrev), maxStep = t * 10, tmp = t;
            t = Cubic(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, minStep, maxStep);
            (tPrev, fPrev, gPrev, gtdPrev) = (tmp, fNew, gNew, gtdNew);
            (fNew, gNew) = eval(t);
            evals++;
            gtdNew = Dot(gNew, d);
            lsIter++;
        }
        if (lsIter == maxLs) (bracket, bracketF, bracketG, bracketGtd) = ([0, t], [f, fNew], [g, gNew], [gtd, gtdNew]);

        // Zoom: shrink the bracket until a step satisfies both conditions.
        bool insufficientProgress = false;
        int low = bracketF[0] <= bracketF[^1] ? 0 : 1, high = 1 - low;
        while (!done && lsIter < maxLs)
        {
            if (Math.Abs(bracket[1] - bracket[0]) * dNorm < toleranceChange) break;
            t = Cubic(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1]);
            double hi = Math.Max(bracket[0], bracket[1]), lo = Math.Min(bracket[0], bracket[1]), eps = 0.1 * (hi - lo);
            if (Math.Min(hi - t, t - lo) < eps)
            {
                // Too close to an end: move away from it once progress has stalled (or the point is outside).
                if (insufficientProgress || t >= hi || t <= lo)
                {
                    t = Math.Abs(t - hi) < Math.Abs(t - lo) ? hi - eps : lo + eps;
                    insufficientProgress = false;
                }
                else insufficientProgress = true;
            }
            else insufficientProgress = false;
            (fNew, gNew) = eval(t);
            evals++;
            gtdNew = Dot(gNew, d);
            lsIter++;
            if (fNew > f + c1 * t * gtd || fNew >= bracketF[low])
            {
                (bracket[high], bracketF[high], bracketG[high], bracketGtd[high]) = (t, fNew, gNew, gtdNew);
                (low, high) = bracketF[0] <= bracketF[1] ? (0, 1) : (1, 0);
            }
            else
            {
                if (Math.Abs(gtdNew) <= -c2 * gtd) done = true;
                else if (gtdNew * (bracket[high] - bracket[low]) >= 0)
                    (bracket[high], bracketF[high], bracketG[high], bracketGtd[high]) = (bracket[low], bracketF[low], bracketG[low], bracketGtd[low]);
                (bracket[low], bracketF[low], bracketG[low], bracketGtd[low]) = (t, fNew, gNew, gtdNew);
            }
        }
        return (bracketF[low], bracketG[low], bracket[low], evals);
    }

    /// <summary>The minimum of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to the bounds (default: between x1 and x2).</summary>
    internal static double Cubic(double x1, double f1, double g1, double x2, double f2, double g2, double? minBound = null, double? maxBound = null)
    {
        double lo = minBound ?? Math.Min(x1, x2), hi = maxBound ?? Math.Max(x1, x2);
        double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
        double d2Square = d1 * d1 - g1 * g2;
        if (d2Square < 0) return (lo + hi) / 2;
        double d2 = Math.Sqrt(d2Square);
        double minPos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)) : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
        return Math.Min(Math.Max(minPos, lo), hi);
    }

    internal static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}
