using Nabla.Engine;

namespace Nabla.NN;

/// <summary>
/// Base of every loss module (PyTorch's <c>nn.modules.loss._Loss</c>): a <see cref="Module"/> (so a class weight is a
/// buffer saved with the model) with a <see cref="Reduction"/>. A loss takes several tensors, so the
/// one-tensor <see cref="Module.Forward(Tensor)"/> is an error: two-input losses derive from <see cref="Loss"/>
/// (<c>Forward(input, target)</c>); those taking more (triplets, pairs with labels, Gaussian variances, CTC lengths)
/// have their own <c>Forward</c> and <c>Call</c> overloads. <c>Call</c> runs the hooks registered with
/// <see cref="Module.RegisterForwardArgsHook"/> (inputs in the order of the call, the loss as the one output).
/// </summary>
public abstract class LossBase : Module
{
    /// <summary>A loss reducing its per-element values by <paramref name="reduction"/>.</summary>
    protected LossBase(Reduction reduction) => Reduction = reduction;

    /// <summary>How the per-element losses are reduced (PyTorch's <c>reduction=</c>; Mean by default).</summary>
    public Reduction Reduction { get; set; }

    /// <summary>Not for losses: they take an input and a target (see the derived class's <c>Forward</c>).</summary>
    public sealed override Tensor Forward(Tensor x) =>
        throw Errors.State(GetType().Name, "a loss takes an input and a target (and some more tensors): call Forward(input, target, ...) " +
            "or Call(input, target), not the one-tensor Forward/Call of Module.");

    /// <inheritdoc/>
    protected override string ExtraRepr => $"reduction={Reduction}";
}

/// <summary>
/// A loss of an input and a target (most losses: <see cref="MseLoss"/>, <see cref="CrossEntropyLoss"/>, ...), so one
/// variable of this type holds any of them.
/// </summary>
/// <example><code>
/// Loss criterion = new CrossEntropyLoss(labelSmoothing: 0.1);
/// var loss = criterion.Call(model.Call(images), labels);
/// loss.Backward();
/// </code></example>
public abstract class Loss(Reduction reduction) : LossBase(reduction)
{
    /// <summary>The loss of <paramref name="input"/> (predictions) against <paramref name="target"/>.</summary>
    public abstract Tensor Forward(Tensor input, Tensor target);

    /// <summary>Runs <see cref="Forward(Tensor, Tensor)"/> (PyTorch's <c>criterion(input, target)</c>).</summary>
    public Tensor Call(Tensor input, Tensor target) => Invoke([input, target], a => Forward(a[0]!, a[1]!));
}
