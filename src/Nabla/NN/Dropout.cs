namespace Nabla.NN;

/// <summary>
/// Inverted dropout (torch.nn.Dropout): in training mode zeroes each element with probability
/// <see cref="P"/> and scales the rest by 1/(1 - p); in evaluation mode returns the input unchanged.
/// With a seed, the layer has its own generator and the sequence of masks over successive calls depends
/// only on the seed (each call draws a fresh mask, compiled or not); without one, masks come from the global
/// generator (<see cref="Tensor.ManualSeed"/>).
/// </summary>
public sealed class Dropout : Module
{
    readonly Generator? _generator;

    /// <summary>A dropout layer with drop probability <paramref name="p"/> (0.5 by default).</summary>
    public Dropout(double p = 0.5, int? seed = null)
    {
        if (!(p >= 0 && p <= 1)) throw Engine.Errors.Arg("Dropout", $"p must be a probability in [0, 1], got {p}.");
        P = p;
        _generator = seed is int s ? new Generator(s) : null;
    }

    /// <summary>The probability of zeroing an element.</summary>
    public double P { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        if (!IsTraining || P == 0) return x;
        return Functional.Dropout(x, P, training: true, generator: _generator);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr => $"p={P}";
}
