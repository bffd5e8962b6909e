using Nabla.Engine;

namespace Nabla.Optim;

/// <summary>
/// Cosine annealing with warm restarts (SGDR, Loshchilov and Hutter; torch's CosineAnnealingWarmRestarts): the rate
/// follows <c>etaMin + (base_lr − etaMin)·(1 + cos(π·T_cur/T_i))/2</c>, restarting at the base rate after each period;
/// the first period is <c>t0</c> epochs and each next one <c>tMult</c> times longer. <see cref="Step(double)"/> takes a
/// fractional epoch, for stepping once per batch (<c>epoch + i/batches</c>).
/// </summary>
/// <example><code>
/// var sched = new CosineAnnealingWarmRestarts(opt, t0: 10, tMult: 2);
/// for (int epoch = 0; epoch &lt; 70; epoch++)
///     for (int i = 0; i &lt; batches; i++) { TrainBatch(); sched.Step(epoch + (double)i / batches); }
/// </code></example>
public sealed class CosineAnnealingWarmRestarts : LRScheduler
{
    readonly int _t0, _tMult;
    readonly double _etaMin;

    /// <summary>Makes the schedule. Throws unless <paramref name="t0"/> is positive and <paramref name="tMult"/> at least 1.</summary>
    public CosineAnnealingWarmRestarts(Optimizer optimizer, int t0, int tMult = 1, double etaMin = 0) : base(optimizer)
    {
        if (t0 <= 0) throw Errors.Arg("CosineAnnealingWarmRestarts", $"t0 must be a positive integer, got {t0}.");
        if (tMult < 1) throw Errors.Arg("CosineAnnealingWarmRestarts", $"tMult must be an integer >= 1, got {tMult}.");
        (_t0, _tMult, _etaMin) = (t0, tMult, etaMin);
        TI = t0;
        TCur = -1;   // the first step (epoch 0) moves it to 0
        Start();
    }

    /// <summary>Epochs since the last restart (fractional after a fractional <see cref="Step(double)"/>; PyTorch's <c>T_cur</c>).</summary>
    public double TCur { get; private set; }

    /// <summary>The length of the current period in epochs (PyTorch's <c>T_i</c>).</summary>
    public double TI { get; private set; }

    private protected override void Advance()
    {
        TCur += 1;
        if (TCur >= TI)
        {
            TCur -= TI;
            TI *= _tMult;
        }
    }

    /// <summary>
    /// Moves to <paramref name="epoch"/> (fractional allowed, e.g. <c>epoch + batch/batches</c>) and sets the rates; the
    /// period is found from the epoch, so epochs may also be skipped or repeated. Throws for a negative epoch.
    /// </summary>
    public void Step(double epoch)
    {
        if (!(epoch >= 0)) throw Errors.Arg("CosineAnnealingWarmRestarts.Step", $"expected a non-negative epoch, got {epoch}.");
        if (epoch >= _t0)
        {
            if (_tMult == 1) TCur = epoch % _t0;
            else
            {
                int n = (int)Math.Log(epoch / _t0 * (_tMult - 1) + 1, _tMult);
                TCur = epoch - _t0 * (Math.Pow(_tMult, n) - 1) / (_tMult - 1);
                TI = _t0 * Math.Pow(_tMult, n);
            }
        }
        else (TI, TCur) = (_t0, epoch);
        StepTo((int)Math.Floor(epoch));
    }

    internal override void Restart() => Step(0.0);

    private protected override double Compute(int index, ParamGroup group) =>
        _etaMin + (BaseLearningRates[index] - _etaMin) * (1 + Math.Cos(Math.PI * TCur / TI)) / 2;

    private protected override void SaveCounters(Dictionary<string, double> state) => (state["T_cur"], state["T_i"]) = (TCur, TI);

    private protected override void LoadCounters(string op, IReadOnlyDictionary<string, double> state) =>
        (TCur, TI) = (Saved(op, state, "T_cur"), Saved(op, state, "T_i"));
}
