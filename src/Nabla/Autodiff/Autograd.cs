using Nabla.Engine;

namespace Nabla;

/// <summary>
/// PyTorch-style autodiff functions (torch.autograd): gradients without touching <c>.Grad</c>, and
/// the grad-mode scopes. Scopes are per async flow: they survive <c>await</c> and don't leak to other threads.
/// </summary>
public static partial class Autograd
{
    /// <summary>
    /// The gradient of <paramref name="output"/> with respect to <paramref name="input"/>, without
    /// touching <see cref="Tensor.Grad"/>. <paramref name="gradOutput"/> is needed for a non-scalar
    /// output. <paramref name="retainGraph"/> defaults to <paramref name="createGraph"/>; with
    /// createGraph the result can be differentiated again. Returns null only with
    /// <paramref name="allowUnused"/> when the output does not depend on the input.
    /// </summary>
    /// <example><code>
    /// var x = Tensor.Scalar(3.0, requiresGrad: true);
    /// var y = x * x * x;
    /// var dy = Autograd.Grad(y, x, createGraph: true);  // 27
    /// var d2y = Autograd.Grad(dy, x);                     // 18
    /// </code></example>
    public static Tensor? Grad(Tensor output, Tensor input, Tensor? gradOutput = null, bool? retainGraph = null,
        bool createGraph = false, bool allowUnused = false) =>
        Grad([output], [input], gradOutput is null ? null : [gradOutput], retainGraph, createGraph, allowUnused)[0];

    /// <summary>The list form: gradients of the sum of <paramref name="outputs"/> (each weighted by its gradOutput) for each input.</summary>
    public static Tensor?[] Grad(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor?>? gradOutputs = null,
        bool? retainGraph = null, bool createGraph = false, bool allowUnused = false)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(inputs);
        if (gradOutputs is not null && gradOutputs.Count != outputs.Count)
            throw Errors.Arg("Autograd.Grad", $"got {gradOutputs.Count} gradOutputs for {outputs.Count} outputs.");
        var seeds = new Tensor[outputs.Count];
        for (int i = 0; i < outputs.Count; i++)
            seeds[i] = Backprop.RootGradient("Autograd.Grad", outputs[i], gradOutputs?[i]);
        return Backprop.Run(outputs, seeds, inputs, retainGraph ?? createGraph, createGraph, allowUnused);
    }

    /// <summary>A scope in which ops are not recorded (torch.no_grad). Dispose it to restore the previous mode.</summary>
    public static IDisposable NoGrad() => GradMode.Set(false);

    /// <summary>A scope in which ops are recorded even inside <see cref="NoGrad"/> (torch.enable_grad).</summary>
    public static IDisposable EnableGrad() => GradMode.Set(true);

    /// <summary>A scope that sets recording on or off (torch.set_grad_enabled).</summary>
    public static IDisposable SetGradEnabled(bool enabled) => GradMode.Set(enabled);

    /// <summary>Whether ops are currently recorded for reverse mode.</summary>
    public static bool IsGradEnabled => GradMode.Enabled;

    /// <summary>
    /// A scope in which the first NaN or Inf produced by a forward op or a backward rule throws an
    /// <see cref="ArithmeticException"/> naming the op and where its forward was called. Slow: use for debugging.
    /// </summary>
    public static IDisposable DetectAnomaly() => GradMode.SetAnomaly(true);
}
