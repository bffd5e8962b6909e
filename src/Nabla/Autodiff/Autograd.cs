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
    /// createGraph the result can be differentiated again. When the output does not depend on the input
    /// it throws, unless <paramref name="allowUnused"/> (then null) or <paramref name="materializeGrads"/>
    /// (then zeros of the input's shape and dtype; it implies allowUnused, and allowUnused: false with it throws).
    /// </summary>
    /// <example><code>
    /// var x = Tensor.Scalar(3.0, requiresGrad: true);
    /// var y = x * x * x;
    /// var dy = Autograd.Grad(y, x, createGraph: true);  // 27
    /// var d2y = Autograd.Grad(dy, x);                     // 18
    /// </code></example>
    public static Tensor? Grad(Tensor output, Tensor input, Tensor? gradOutput = null, bool? retainGraph = null,
        bool createGraph = false, bool? allowUnused = null, bool materializeGrads = false) =>
        Grad([output], [input], gradOutput is null ? null : [gradOutput], retainGraph, createGraph, allowUnused, materializeGrads)[0];

    /// <summary>
    /// The list form (torch.autograd.grad): gradients of the sum of <paramref name="outputs"/> (each weighted
    /// by its gradOutput; null for a one-element output means 1) for each input. See
    /// <see cref="Grad(Tensor, Tensor, Tensor?, bool?, bool, bool?, bool)"/> for the options.
    /// </summary>
    public static Tensor?[] Grad(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor?>? gradOutputs = null,
        bool? retainGraph = null, bool createGraph = false, bool? allowUnused = null, bool materializeGrads = false)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0)
            throw Errors.Arg("Autograd.Grad", "inputs is empty; pass the tensors whose gradients you want.");
        if (materializeGrads && allowUnused == false)
            throw Errors.Arg("Autograd.Grad",
                "materializeGrads: true gives zeros for unused inputs, which contradicts allowUnused: false; leave allowUnused out (or pass true).");
        var seeds = Seeds("Autograd.Grad", outputs, gradOutputs, "gradOutputs");
        var grads = Backprop.Run(outputs, seeds, inputs, retainGraph ?? createGraph, createGraph, allowUnused ?? materializeGrads);
        if (materializeGrads)
            for (int i = 0; i < grads.Length; i++) grads[i] ??= Tensor.ZerosLike(inputs[i]);
        return grads;
    }

    /// <summary>
    /// One backward pass from several outputs at once that adds into the leaves' <see cref="Tensor.Grad"/>
    /// (torch.autograd.backward): the same as backward of the sum of the outputs, each weighted by its
    /// gradient. A part of the graph the outputs share runs once, on the summed gradient; an output given
    /// twice contributes twice. A one-element output may have a null gradient (it means 1); any other
    /// needs one of its own shape. <paramref name="retainGraph"/> defaults to <paramref name="createGraph"/>.
    /// With <paramref name="inputs"/>, only those tensors get <c>.Grad</c>: each must require grad, and a
    /// non-leaf among them is made to <see cref="Tensor.RetainGrad"/> (as in PyTorch, it then keeps
    /// retaining in later passes); an input the outputs do not depend on is left alone.
    /// </summary>
    /// <example><code>
    /// var x = Tensor.Scalar(2.0, requiresGrad: true);
    /// var h = x * x;                                   // shared by both outputs
    /// Autograd.Backward([h * 3.0, h.Sin()]);           // x.Grad = (3 + cos 4) · 2x = 9.385
    /// Autograd.Backward([h * 3.0], inputs: [h]);       // h.Grad = 3; x.Grad unchanged
    /// </code></example>
    public static void Backward(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor?>? gradients = null, bool? retainGraph = null,
        bool createGraph = false, IReadOnlyList<Tensor>? inputs = null)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        if (outputs.Count == 0)
            throw Errors.Arg("Autograd.Backward", "no outputs were given; pass the tensors to differentiate.");
        var seeds = Seeds("Autograd.Backward", outputs, gradients, "gradients");
        Backprop.Accumulate("Autograd.Backward", outputs, seeds, inputs, retainGraph ?? createGraph, createGraph);
    }

    /// <summary>The seed of each output: its given gradient (checked against its shape) or 1 for a one-element output.</summary>
    static Tensor[] Seeds(string op, IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor?>? gradients, string name)
    {
        if (gradients is not null && gradients.Count != outputs.Count)
            throw Errors.Arg(op, $"got {gradients.Count} {name} for {outputs.Count} outputs; give one per output (null for a one-element output).");
        var seeds = new Tensor[outputs.Count];
        for (int i = 0; i < outputs.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(outputs[i], $"{nameof(outputs)}[{i}]");
            seeds[i] = Backprop.RootGradient(op, outputs[i], gradients?[i], outputs.Count > 1 ? i : -1);
        }
        return seeds;
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
