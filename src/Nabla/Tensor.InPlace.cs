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

    /// <summary>
    /// Sets every element to <paramref name="value"/> (converted as a C# cast) and returns this tensor
    /// (torch's <c>fill_</c>). The new values depend on nothing, so no gradient flows to the old ones; on a
    /// view, only the view's region of its base is cut.
    /// </summary>
    public Tensor Fill(double value)
    {
        bool record = CheckInPlace("Fill", null);
        if (IsView && RewritesBase(record, null))
            ViewHistory.RewriteBase("Fill", this, _viewBase!, Full(Shape.ToArray(), value, DType, device: Device));
        Dispatch.Write(new FillWith(value), [this], "Fill");
        if (IsView) RefreshViewIfStale();
        else
        {
            if (record) GradFn = null;
            if (ForwardMode.Active) Tangents = null;
        }
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
    /// On a view, the base's history is rewritten instead (see <see cref="ViewHistory"/>), and this view's
    /// GradFn becomes its region of the new base.
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

        if (!IsView && record && result.GradFn is null && result.RequiresGrad) result = result.Alias();
        WriteResult(op, result, record);
        return this;
    }

    /// <summary>
    /// The write at the end of an in-place op: <paramref name="result"/> (this tensor's shape and dtype)
    /// goes into this storage, and the history follows (this tensor's GradFn, or its base's through
    /// <see cref="ViewHistory"/> for a view). A compiled graph replays in-place ops through this too.
    /// </summary>
    internal void WriteResult(string op, Tensor result, bool record)
    {
        if (IsView)
        {
            if (RewritesBase(record, result)) ViewHistory.RewriteBase(op, this, _viewBase!, result);
            Dispatch.Write(new Assign(), [this, result], op);
            RefreshViewIfStale();
            return;
        }
        Dispatch.Write(new Assign(), [this, result], op);
        if (record) GradFn = result.GradFn;
        if (ForwardMode.Active) Tangents = result.Tangents;
    }

    /// <summary>
    /// Whether an in-place change through this view must rewrite its base's history: when it is recorded,
    /// or when forward mode is on and the base or the new value carries a tangent.
    /// </summary>
    bool RewritesBase(bool record, Tensor? newValue) =>
        DType.IsFloating() && (record || (ForwardMode.Active && (_viewBase!.Tangents is not null || newValue?.Tangents is not null)));

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
        bool record = RequiresGrad || (other?.RequiresGrad ?? false);
        if (IsView)
        {
            var root = _viewBase!;
            if (record && _viewMadeInNoGrad && root.RequiresGrad)
                throw Errors.State(op, $"this view (shape {Shape}) of a tensor that requires grad was made inside NoGrad() and is being " +
                    "changed in place with grad mode on. Whether the change should be recorded is ambiguous, so it is refused: make the " +
                    "view and do the in-place op both inside the NoGrad() scope (not recorded) or both outside it (recorded).");
            if (root.IsLeaf && root.RequiresGrad)
                throw Errors.State(op, $"a view of a leaf Variable that requires grad is being used in an in-place operation (the view has " +
                    $"shape {Shape}, its base {Errors.Describe(root)}). Change the leaf inside 'using (Autograd.NoGrad())' (as optimizers " +
                    "do), or compute a new tensor out of place.");
        }
        if (IsLeaf && RequiresGrad)
            throw Errors.State(op, "a leaf Variable that requires grad is being used in an in-place operation. " +
                "Update parameters inside 'using (Autograd.NoGrad())' (as optimizers do), or use the out-of-place op.");
        return record;
    }
}
