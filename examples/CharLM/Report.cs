using ScottPlot;

namespace Nabla.Examples.CharLM;

/// <summary>The loss plot: training loss per step (smoothed) and the validation loss where it was measured.</summary>
static class Report
{
    public static void Plot(string path, IReadOnlyList<double> stepLosses, IReadOnlyList<(int Step, double Loss)> validation)
    {
        var plot = new Plot();
        plot.Title("Nabla CharLM on Tiny Shakespeare");
        plot.XLabel("step");
        plot.YLabel("cross-entropy (nats per character)");
        var xs = Enumerable.Range(1, stepLosses.Count).Select(i => (double)i).ToArray();
        var train = plot.Add.ScatterLine(xs, Smooth(stepLosses, 25));
        train.LegendText = "train loss (smoothed over 25 steps)";
        if (validation.Count > 0)
        {
            var val = plot.Add.Scatter(validation.Select(v => (double)v.Step).ToArray(), validation.Select(v => v.Loss).ToArray());
            val.LegendText = "validation loss";
            val.MarkerSize = 8;
        }
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, 900, 500);
    }

    static double[] Smooth(IReadOnlyList<double> values, int window)
    {
        var result = new double[values.Count];
        double sum = 0;
        for (int i = 0; i < values.Count; i++)
        {
            sum += values[i];
            if (i >= window) sum -= values[i - window];
            result[i] = sum / Math.Min(i + 1, window);
        }
        return result;
    }
}
