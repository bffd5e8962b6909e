using Nabla.Primitives.Movement;

namespace Nabla.Engine;

/// <summary>
/// PyTorch's view + base tracking, for in-place ops through views while gradients (or tangents) are
/// recorded. A view knows its root base and the storage region it covers (<see cref="StridedRegion"/>).
/// An in-place op on the view computes the view's new value out of place as usual; then
/// <see cref="RewriteBase"/> records the base's new history as "the old base with that region replaced by
/// the new value" (<see cref="StridedScatter"/>, the node PyTorch calls CopySlices), and every view of
/// the base, this one included, rebuilds its own history as "the region of the new base"
/// (<see cref="AsStrided"/>) the next time it is used (<see cref="Regenerate"/>).
/// </summary>
internal static class ViewHistory
{
    /// <summary>
    /// Gives <paramref name="baseTensor"/> the history (and forward-mode tangents) of its old self with
    /// <paramref name="view"/>'s region replaced by <paramref name="newValue"/>. Called before the data is
    /// written, so every view still holds the history it had; the write then bumps the shared version and
    /// they all rebuild theirs from the new base.
    /// </summary>
    public static void RewriteBase(string op, Tensor view, Tensor baseTensor, Tensor newValue)
    {
        if (StridedRegion.Overlaps(baseTensor))
            throw new NotSupportedException(
                $"{op}: the view's base {Errors.Describe(baseTensor)} has several elements in one memory location (it was made " +
                "from an expanded tensor), so the history of an in-place change through the view can't be recorded. " +
                $"Clone() the base first, or run the change under Autograd.NoGrad(). (called from {CallSite.Describe()})");
        // The data effect is the Assign write the caller runs next; this records what it means for the base.
        Dispatch.Record(new StridedScatter(StridedRegion.Of(baseTensor, view)), [baseTensor, newValue], baseTensor);
    }

    /// <summary>Rebuilds <paramref name="view"/>'s GradFn and tangents from its base's current ones.</summary>
    public static void Regenerate(Tensor view, Tensor baseTensor)
    {
        bool tangents = ForwardMode.Active;
        // Nothing to rebuild when neither the base nor the view carries any history.
        if (!baseTensor.RequiresGrad && baseTensor.Tangents is null && view.RawGradFn is null && view.Tangents is null) return;
        Tensor fresh;
        using (GradMode.Set(true)) fresh = Read(baseTensor, view);
        view.AdoptViewHistory(fresh.RawGradFn, fresh.Tangents, replaceTangents: tangents);
    }

    /// <summary>The view's region of the base as a differentiable op: AsStrided, then Expand for broadcast (zero-stride) dims.</summary>
    static Tensor Read(Tensor baseTensor, Tensor view)
    {
        var region = StridedRegion.Of(baseTensor, view);
        if (!StridedRegion.Overlaps(view)) return Tensor.AsStrided(baseTensor, region);
        // An expanded view reads each element several times: read the distinct elements, then broadcast.
        var distinct = view.Shape.ToArray();
        for (int d = 0; d < distinct.Length; d++)
            if (view.Strides[d] == 0) distinct[d] = Math.Min(distinct[d], 1);
        var narrow = region with { ViewShape = distinct };
        return Tensor.AsStrided(baseTensor, narrow).BroadcastTo(view.Shape.ToArray());
    }
}
