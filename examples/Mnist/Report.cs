using ScottPlot;
using Spectre.Console;

namespace Nabla.Examples.Mnist;

/// <summary>What one epoch measured.</summary>
sealed record EpochResult(int Epoch, double TrainLoss, double TrainAccuracy, double TestAccuracy, double Seconds, double ImagesPerSecond);

/// <summary>The epoch summary table and the loss/accuracy plot.</summary>
static class Report
{
    public static void Table(IReadOnlyList<EpochResult> epochs)
    {
        var table = new Table().Title("Training summary")
            .AddColumns("epoch", "train loss", "train acc", "test acc", "time", "images/s");
        foreach (var e in epochs)
            table.AddRow(e.Epoch.ToString(), $"{e.TrainLoss:F4}", $"{e.TrainAccuracy:P2}", $"{e.TestAccuracy:P2}",
                $"{e.Seconds:F1} s", $"{e.ImagesPerSecond:F0}");
        AnsiConsole.Write(table);
    }

    /// <summary>Training loss per step (left axis) and test accuracy per epoch (right axis).</summary>
    public static void Plot(string path, IReadOnlyList<double> stepLosses, int stepsPerEpoch, IReadOnlyList<EpochResult> epochs)
    {
        var plot = new Plot();
        plot.Title("Nabla on MNIST");
        plot.XLabel("epoch");
        var xs = Enumerable.Range(1, stepLosses.Count).Select(i => (double)i / stepsPerEpoch).ToArray();
        var loss = plot.Add.ScatterLine(xs, Smooth(stepLosses, 25));
        loss.LegendText = "train loss (smoothed)";
        plot.Axes.Left.Label.Text = "loss";

        var accuracy = plot.Add.Scatter(epochs.Select(e => (double)e.Epoch).ToArray(), epochs.Select(e => e.TestAccuracy).ToArray());
        accuracy.LegendText = "test accuracy (end of epoch)";
        accuracy.MarkerSize = 10;
        var right = plot.Axes.Right;
        accuracy.Axes.YAxis = right;
        right.Label.Text = "test accuracy";
        double low = Math.Min(0.9, epochs.Min(e => e.TestAccuracy) - 0.01);
        plot.Axes.SetLimitsY(low, 1.0, right);
        plot.Axes.SetLimitsX(0, epochs.Count + 0.05);
        plot.ShowLegend(Alignment.UpperCenter);
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
