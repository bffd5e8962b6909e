using Nabla.Engine;

namespace Nabla.Optim;

/// <summary>
/// Linear warm-up (or decay) of the learning rate's factor from <c>startFactor</c> to <c>endFactor</c>
/// over <c>totalIters</c> epochs, then constant (torch's LinearLR):
/// <c>lr_e = base_lr · (startFactor + (endFactor − startFactor)·min(e, totalIters)/totalIters)</c>.
/// </summary>
/// <example><code>
/// var warmup = new LinearLR(opt, startFactor: 0.01, totalIters: 500);   // step it every batch
/// </code></example>
public sealed class LinearLR : LRScheduler
{
    readonly double _start, _end;
    readonly int _total;

    /// <summary>
    /// Makes the schedule (PyTorch's defaults). <paramref name="startFactor"/> must be in (0, 1],
    /// <paramref name="endFactor"/> in [0, 1] and <paramref name="totalIters"/> positive.
    /// </summary>
    public LinearLR(Optimizer optimizer, double startFactor = 1.0 / 3, double endFactor = 1.0, int totalIters = 5) : base(optimizer)
    {
        if (!(startFactor > 0 && startFactor <= 1)) throw Errors.Arg("LinearLR", $"startFactor must be in (0, 1], got {startFactor}.");
        if (!(endFactor >= 0 && endFactor <= 1)) throw Errors.Arg("LinearLR", $"endFactor must be in [0, 1], got {endFactor}.");
        if (totalIters <= 0) throw Errors.Arg("LinearLR", $"totalIters must be positive, got {totalIters}.");
        _start = startFactor;
        _end = endFactor;
        _total = totalIters;
        Start();
    }

    private protected override double Compute(int index, ParamGroup group)
    {
        int e = LastEpoch;
        double lr = group.LearningRate;
        if (e == 0) return lr * _start;
        if (e > _total) return lr;
        // The ratio of this epoch's factor to the last one's.
        return lr * (1 + (_end - _start) / (_total * _start + (e - 1) * (_end - _start)));
    }
}
