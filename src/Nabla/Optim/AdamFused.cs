using Nabla.Engine;
using Nabla.Primitives.Write;

namespace Nabla.Optim;

/// <summary>
/// Adam's update as one <see cref="AdamStep"/> write, for the common case (no AMSGrad; contiguous
/// parameter, gradient and state of one floating dtype on one device, none sharing memory; no graph,
/// tangents or anomaly checks to keep). The result is bitwise <see cref="AdamUpdate.Step"/>'s tensor expression.
/// </summary>
internal static class AdamFused
{
    public static bool Applies(Tensor p, Tensor g, Tensor m, Tensor v) =>
        !GradMode.Enabled && !ForwardMode.Active && !GradMode.AnomalyDetection
        && p.DType.IsFloating() && g.DType == p.DType && m.DType == p.DType && v.DType == p.DType
        && g.Shape.Equals(p.Shape) && m.Shape.Equals(p.Shape) && v.Shape.Equals(p.Shape)
        && g.Device.Equals(p.Device) && m.Device.Equals(p.Device) && v.Device.Equals(p.Device)
        && p.IsContiguous && g.IsContiguous && m.IsContiguous && v.IsContiguous
        && !m.SharesStorage(v) && !m.SharesStorage(p) && !v.SharesStorage(p)
        && !m.SharesStorage(g) && !v.SharesStorage(g) && !p.SharesStorage(g);

    // The version notes name the in-place ops the one pass stands for (saved copies of these are now stale).
    public static void Run(Tensor p, Tensor g, Tensor m, Tensor v, AdamStep.Coefficients k) =>
        Dispatch.Write(new AdamStep(k), [p, g, m, v], "AddInPlace (Adam step)");
}
