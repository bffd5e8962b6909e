using Nabla.Primitives;

namespace Nabla.Engine;

/// <summary>Forward mode: computes the output's tangent at every active level (see <see cref="ForwardMode"/>).</summary>
internal sealed class ForwardModeInterpreter : Interpreter
{
    public override void Call(Primitive op, Tensor[] inputs, ReadOnlySpan<Tensor> outputs)
    {
        if (!ForwardMode.Active) return;
        ForwardMode.Propagate(op, inputs, outputs[0]);
        for (int k = 1; k < outputs.Length; k++)
            if (op.OutputRule(k) is { } rule) ForwardMode.Propagate(rule, inputs, outputs[k]);
    }
}

/// <summary>Under <see cref="Autograd.DetectAnomaly"/>: the first op whose output holds NaN or Inf throws (see <see cref="Anomaly"/>).</summary>
internal sealed class AnomalyInterpreter : Interpreter
{
    public override void Call(Primitive op, Tensor[] inputs, ReadOnlySpan<Tensor> outputs)
    {
        // Ops without inputs make constants and draws: their values are data, reported where they are used.
        if (!GradMode.AnomalyDetection || inputs.Length == 0) return;
        foreach (var y in outputs) Anomaly.CheckForward(op, inputs, y);
    }
}
