using Nabla.Engine;

namespace Nabla.Graphs;

/// <summary>
/// The GradFn a replay gives an output whose graph the function's own backward pass freed when traced
/// (a training step's loss): the replay did not record that graph at all, so the output still reads as
/// requiring grad and made by <see cref="Name"/>, and a second backward through it fails as eager code's
/// would, with the "backward a second time" error.
/// </summary>
internal sealed class ReleasedNode(string name, Shape shape, DType dtype) : GradNode
{
    public override string Name => name;

    internal override GradNode?[] Next => [];

    internal override Shape GradShape => shape;

    internal override DType GradDType => dtype;

    internal override bool IsReleased => true;

    internal override Tensor?[] Apply(Tensor gy, bool[] needs) => throw SavedTensors.Freed(name);

    internal override void Release() { }
}
