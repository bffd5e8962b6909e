namespace Nabla.Primitives.Elementwise;

/// <summary>
/// y = tan(x) ; dy = dx·(1 + y²) ; gx = gy·(1 + y²) (sec² written with the output, so only y is kept).
/// tan(±Inf) = NaN; near the poles (π/2 + kπ) the value and derivative grow without bound, as torch.tan.
/// </summary>
internal sealed class Tan : ElementwiseUnary
{
    public override string Name => "tan";
    public override bool SavesInputs => false;
    public override bool SavesOutput => true;

    public override Tensor Derivative(Tensor x, Tensor y) => 1.0 + y * y;
    public override double Reference(double x) => Math.Tan(x);
}
