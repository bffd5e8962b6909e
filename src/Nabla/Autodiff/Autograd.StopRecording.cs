using Nabla.Engine;

namespace Nabla;

public static partial class Autograd
{
    /// <summary>
    /// A scope in which nothing is differentiated (TensorFlow's internal <c>record.stop_recording()</c>):
    /// every <see cref="GradientTape"/> and every <see cref="ForwardAccumulator"/> already open pauses
    /// (ops are not taped, and their outputs get no tangent), and graph recording is off as under
    /// <see cref="NoGrad"/>. Everything resumes when the scope is disposed.
    /// </summary>
    /// <remarks>
    /// <para>How it relates to <see cref="NoGrad"/>: NoGrad is PyTorch's no_grad, which stops reverse mode
    /// (graph recording and, in Nabla, tapes) but not forward mode, so tangents still flow; StopRecording
    /// stops both, as TensorFlow's does for tapes and accumulators alike.</para>
    /// <para>Scopes opened inside it are its own, as grad-mode scopes nest in PyTorch: an
    /// <see cref="EnableGrad"/> turns graph recording back on (for tapes opened inside the stop too, never
    /// for the paused ones), and a ForwardAccumulator (or <see cref="Jvp(Func{Tensor, Tensor}, Tensor, Tensor, bool, bool)"/>)
    /// opened inside computes its own tangents. TensorFlow records nothing at all in those cases.</para>
    /// </remarks>
    /// <example><code>
    /// var c = Tensor.Scalar(1.0);
    /// using var acc = new ForwardAccumulator(c, Tensor.Scalar(2.0));
    /// using var tape = new GradientTape();
    /// tape.Watch(c);
    /// Tensor d;
    /// using (Autograd.StopRecording()) d = c * 2;   // acc.Jvp(d) and tape.Gradient(d, c) are null
    /// var e = c * 3;                               // acc.Jvp(e) = 6, tape.Gradient(e, c) = 3
    /// </code></example>
    public static IDisposable StopRecording() => GradMode.StopRecording();
}
