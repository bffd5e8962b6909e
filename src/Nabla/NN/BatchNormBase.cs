namespace Nabla.NN;

/// <summary>
/// Shared part of <see cref="BatchNorm1d"/> and <see cref="BatchNorm2d"/> (PyTorch's _BatchNorm):
/// affine weight (ones) and bias (zeros), and the buffers <c>running_mean</c> (zeros),
/// <c>running_var</c> (ones) and <c>num_batches_tracked</c> (int64), as in PyTorch's state dicts.
/// In training mode the batch statistics normalize and the running ones are updated with
/// <see cref="Momentum"/> (the unbiased variance goes into running_var); in evaluation mode the running
/// statistics normalize. See <see cref="Functional.BatchNorm"/>.
/// </summary>
public abstract class BatchNormBase : Module
{
    /// <summary>Builds the parameters and buffers for <paramref name="numFeatures"/> channels.</summary>
    /// <param name="numFeatures">Channels (dim 1 of the input).</param>
    /// <param name="eps">Added to the variance before the square root.</param>
    /// <param name="momentum">Weight of the new batch in the running statistics; null: a cumulative average (1/num_batches_tracked).</param>
    /// <param name="affine">Whether to learn a per-channel scale and shift.</param>
    /// <param name="trackRunningStats">Whether to keep running statistics; without them batch statistics are used in both modes.</param>
    /// <param name="dtype">Dtype of the parameters and statistics.</param>
    protected BatchNormBase(int numFeatures, double eps, double? momentum, bool affine, bool trackRunningStats, DType dtype)
    {
        if (numFeatures < 1) throw Engine.Errors.Arg(GetType().Name, $"num_features must be positive, got {numFeatures}.");
        Init.CheckDType(GetType().Name, dtype);
        (NumFeatures, Eps, Momentum) = (numFeatures, eps, momentum);
        if (affine)
        {
            Weight = RegisterParameter("weight", new Variable(Tensor.Ones([numFeatures], dtype), name: "weight"));
            Bias = RegisterParameter("bias", new Variable(Tensor.Zeros([numFeatures], dtype), name: "bias"));
        }
        if (trackRunningStats)
        {
            RunningMean = RegisterBuffer("running_mean", Tensor.Zeros([numFeatures], dtype));
            RunningVar = RegisterBuffer("running_var", Tensor.Ones([numFeatures], dtype));
            NumBatchesTracked = RegisterBuffer("num_batches_tracked", Tensor.Zeros([], DType.Int64));
        }
    }

    /// <summary>Channels.</summary>
    public int NumFeatures { get; }

    /// <summary>Added to the variance.</summary>
    public double Eps { get; }

    /// <summary>Running-statistics momentum (null: cumulative average).</summary>
    public double? Momentum { get; }

    /// <summary>Per-channel scale (null without affine).</summary>
    public Variable? Weight { get; }

    /// <summary>Per-channel shift (null without affine).</summary>
    public Variable? Bias { get; }

    /// <summary>Running mean (buffer; null without running statistics).</summary>
    public Tensor? RunningMean { get; }

    /// <summary>Running (unbiased) variance (buffer; null without running statistics).</summary>
    public Tensor? RunningVar { get; }

    /// <summary>Training batches seen (int64 0-d buffer; null without running statistics).</summary>
    public Tensor? NumBatchesTracked { get; }

    /// <summary>Throws unless the input has a rank this layer accepts.</summary>
    protected abstract void CheckInput(Tensor x);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        CheckInput(x);
        if (x.Shape[1] != NumFeatures)
            throw Engine.Errors.Arg(GetType().Name, $"expected {NumFeatures} channels in dim 1, got input {Engine.Errors.Describe(x)}.");
        bool useBatchStats = IsTraining || RunningMean is null;
        bool tracking = IsTraining && NumBatchesTracked is not null;
        // momentum null: a cumulative average, the new batch weighing 1/(batches seen including it).
        double momentum = Momentum ?? (tracking ? 1.0 / (NumBatchesTracked!.Item<long>() + 1) : 0);
        var y = Functional.BatchNorm(x, RunningMean, RunningVar, Weight, Bias, useBatchStats, momentum, Eps);
        if (tracking)
            using (Autograd.NoGrad()) NumBatchesTracked!.AddInPlace(1);
        return y;
    }

    /// <inheritdoc/>
    protected override string ExtraRepr =>
        $"{NumFeatures}, eps={Eps}, momentum={(Momentum is double m ? m.ToString(System.Globalization.CultureInfo.InvariantCulture) : "None")}, affine={(Weight is null ? "False" : "True")}, track_running_stats={(RunningMean is null ? "False" : "True")}";
}
