using Nabla.Engine;
using Nabla.Primitives.Movement;
using Nabla.Primitives.Write;

namespace Nabla;

public partial class Tensor
{
    /// <summary>
    /// Adds <paramref name="other"/> (broadcast to this tensor's shape) into this tensor's memory and
    /// returns this tensor (torch's <c>add_</c>). Like every in-place op it bumps the version counter,
    /// so a backward that needs the old values fails with an error naming both ops. On a leaf that
    /// requires grad it throws unless grad mode is off (<c>using (Autograd.NoGrad())</c>, as optimizers
    /// do); on a tensor with history the op is recorded and <see cref="GradFn"/> moves to the new node.
    /// The result type must fit this tensor's dtype (adding a float tensor to an int tensor throws).
    /// </summary>
    public Tensor AddInPlace(Tensor other) => Apply("AddInPlace", other, (a, b) => a + b);

    /// <summary>Adds a number in place (a whole number keeps integer tensors integer); see <see cref="AddInPlace(Tensor)"/>.</summary>
    public Tensor AddInPlace(double value) => AddInPlace(ScalarFor(value));

    /// <summary>Subtracts <paramref name="other"/> in place (torch's <c>sub_</c>); see <see cref="AddInPlace(Tensor)"/>.</summary>
    public Tensor SubInPlace(Tensor other) => Apply("SubInPlace", other, (a, b) => a - b);

    /// <summary>Subtracts a number in place; see <see cref="AddInPlace(Tensor)"/>.</summary>
    public Tensor SubInPlace(double value) => SubInPlace(ScalarFor(value));

    /// <summary>Multiplies by <paramref name="other"/> in place (torch's <c>mul_</c>); see <see cref="AddInPlace(Tensor)"/>.</summary>
    public Tensor MulInPlace(Tensor other) => Apply("MulInPlace", other, (a, b) => a * b);

    /// <summary>Multiplies by a number in place; see <see cref="AddInPlace(Tensor)"/>.</summary>
    public Tensor MulInPlace(double value) => MulInPlace(ScalarFor(value));

    /// <summary>Divides by <paramref name="other"/> in place (floating tensors only; x/0 gives ±Inf or NaN); see <see cref="AddInPlace(Tensor)"/>.</summary>
    public Tensor DivInPlace(Tensor other) => Apply("DivInPlace", other, (a, b) => a / b);

    /// <summary>Divides by a number in place; see <see cref="DivInPlace(Tensor)"/>.</summary>
    public Tensor DivInPlace(double value) => DivInPlace(ScalarFor(value));

    /// <summary>
    /// Copies the values of <paramref name="source"/> (broadcast to this shape, converted to this dtype)
    /// into this tensor (torch's <c>copy_</c>); gradients, when recorded, flow to the source.
    /// </summary>
    public Tensor CopyFrom(Tensor source) => Apply("CopyFrom", source, (_, s) => s);

    /// <summary>Sets every element to <paramref name="value"/> (converted as a C# cast) and returns this tensor (torch's <c>fill_</c>).</summary>
    public Tensor Fill(double value)
    {
        bool record = CheckInPlace("Fill", null);
        Dispatch.Write(new FillWith(value), [this], "Fill");
        // The new values depend on nothing, so the history is cut (no gradient flows to the old values).
        if (record) GradFn = null;
        if (ForwardMode.Active) Tangents = null;
        return this;
    }

    /// <summary>Sets every element to zero and returns this tensor (torch's <c>zero_</c>); see <see cref="Fill"/>.</summary>
    public Tensor Zero() => Fill(0);

    /// <summary>
    /// A copy with its own storage (torch.clone); differentiable (the gradient passes through unchanged).
    /// Use it before changing a tensor in place that the graph still needs.
    /// </summary>
    public Tensor Clone() => Dispatch.Call(new Copy(), this);

    /// <summary>
    /// A contiguous copy with its own storage and no autodiff state (nothing recorded, no tangents):
    /// for state the library keeps privately (gradients in .Grad, optimizer state, a Variable's value).
    /// </summary>
    internal Tensor CopyData() => Dispatch.Call(new Copy(), View(Shape, Strides, Offset));

    Tensor ScalarFor(double value) => ScalarOperand(value, isFloating: DType.IsFloating() || value != Math.Floor(value));

    /// <summary>
    /// The shared path of the in-place ops: checks, then computes the result out of place through
    /// Dispatch (from a clone of this tensor when recording, so the graph never reads the overwritten
    /// values), writes it into this storage, bumps the version and re-points GradFn (history rebase).
    /// </summary>
    private protected Tensor Apply(string op, Tensor other, Func<Tensor, Tensor, Tensor> compute)
    {
        ArgumentNullException.ThrowIfNull(other);
        bool record = CheckInPlace(op, other);
        Tensor result;
        if (record) result = compute(Clone(), other);
        else
            using (Autograd.NoGrad()) result = compute(this, other);

        if (!result.Shape.Equals(Shape) && BroadcastShapes(op, result.Shape, Shape).AsSpan().SequenceEqual(Shape.Span))
            result = result.BroadcastTo(Shape.ToArray());
        if (!result.Shape.Equals(Shape))
            throw Errors.Arg(op, $"the result has shape {result.Shape} (operands {Shape} and {other.Shape} broadcast) " +
                $"but the tensor being written has shape {Shape}; only the other operand may be broadcast.");
        if (result.DType != DType)
        {
            if (result.DType.IsFloating() && !DType.IsFloating())
                throw Errors.Arg(op, $"the result type {result.DType.TorchName()} can't be written into a {DType.TorchName()} tensor; " +
                    $"convert the tensor with To(DType.{result.DType}) and use the out-of-place op.");
            result = result.To(DType);
        }
        if (record && result.GradFn is null && result.RequiresGrad) result = result.Alias();

        Dispatch.Write(new Assign(), [this, result], op);
        if (record) GradFn = result.GradFn;
        if (ForwardMode.Active) Tangents = result.Tangents;
        return this;
    }

    /// <summary>Throws for in-place changes PyTorch refuses; returns whether the change must be recorded.</summary>
    bool CheckInPlace(string op, Tensor? other)
    {
        if (!other?.Device.Equals(Device) ?? false)
            throw Errors.Arg(op, $"the operand is on {other!.Device} but the tensor is on {Device}; move one with To(Device).");
        for (int d = 0; d < Rank; d++)
            if (Strides[d] == 0 && Shape[d] > 1)
                throw Errors.State(op, $"unsupported operation: more than one element of the written-to tensor (shape {Shape}, an Expand view) " +
                    "refers to a single memory location. Call Clone() before the in-place operation.");
        if (!GradMode.Enabled) return false;
        if (IsLeaf && RequiresGrad)
            throw Errors.State(op, "a leaf Variable that requires grad is being used in an in-place operation. " +
                "Update parameters inside 'using (Autograd.NoGrad())' (as optimizers do), or use the out-of-place op.");
        bool record = RequiresGrad || (other?.RequiresGrad ?? false);
        if (record && IsViewForAutograd())
            throw new NotSupportedException(
                $"{op}: in-place operations on a view ({(GradFn is null ? "it shares storage with another tensor" : $"made by {GradFn.Name}")}, shape {Shape}) " +
                "are not supported when gradients are recorded, because the base tensor's history would not see the change. " +
                $"Compute the result out of place (e.g. with Concat, Where or Pad), Clone() the view first, or use Autograd.NoGrad(). (called from {CallSite.Describe()})");
        return record;
    }

    /// <summary>
    /// Whether this tensor is (or may be) a view of other memory. Tensors made by the view primitives are
    /// treated as views; others are when they cover only part of their storage or are strided.
    /// NB: a full, contiguous alias of an untracked tensor (e.g. a Reshape of a tensor that does not
    /// require grad) can't be told apart from its base, as no base pointer is kept.
    /// </summary>
    bool IsViewForAutograd() =>
        GradFn is OpNode { Op: Slice or Primitives.Movement.Expand or Primitives.Movement.Permute or Primitives.Movement.Reshape } ||
        Offset != 0 || NumElements != Storage.Length || !IsContiguous;
}
