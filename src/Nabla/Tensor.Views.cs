using Nabla.Engine;
using Nabla.Primitives.Movement;

namespace Nabla;

public partial class Tensor
{
    Tensor? _viewBase;
    int _viewVersion;
    bool _viewMadeInNoGrad;

    /// <summary>
    /// The tensor whose storage this view shares (PyTorch's <c>_base</c>): always the root, so a view of a
    /// view points to the first tensor; null when this tensor is not a view. Views are what the indexer,
    /// <see cref="Narrow"/>, <see cref="Reshape"/> (when no copy is needed), <see cref="Permute"/>,
    /// <see cref="Transpose"/>, <see cref="T"/>, <see cref="Squeeze"/>, <see cref="Unsqueeze"/> and
    /// <see cref="Expand"/> return; <see cref="Detach"/> shares storage too but is not a view for autograd.
    /// An in-place op on a view while gradients are recorded rewrites the base's history, so gradients
    /// flow through the change; other views of that base see the new history when used afterwards.
    /// </summary>
    /// <example><code>
    /// var a = x.Clone();                 // x requires grad
    /// var row = a[0];                    // row.Base == a
    /// row.MulInPlace(w);                 // a.GradFn is now CopySlices; a.Sum().Backward() reaches x and w
    /// </code></example>
    public Tensor? Base => _viewBase;

    /// <summary>Whether this tensor is a view of another (<see cref="Base"/> is not null); PyTorch's <c>_is_view()</c>.</summary>
    public bool IsView => _viewBase is not null;

    /// <summary>
    /// How many in-place changes the storage has seen (PyTorch's <c>_version</c>): every in-place op,
    /// optimizer step and fill adds one; shared by a tensor and all its views. Backward compares it with
    /// the value saved when an op kept a tensor for later, and refuses to use a changed one.
    /// </summary>
    public int Version => VersionCounter.Value;

    /// <summary>
    /// Makes this tensor a leaf that does not require grad, in place (PyTorch's <c>detach_</c>): its history,
    /// requires-grad flag and forward-mode tangents are dropped; data and version stay. A view can't be
    /// detached in place (its base would still see it as part of the graph): use <see cref="Detach"/>.
    /// </summary>
    public Tensor DetachInPlace()
    {
        if (IsView)
            throw Errors.State("DetachInPlace",
                $"can't detach views in-place (this {Errors.Describe(this)} tensor is a view of a {Errors.Describe(_viewBase!)} tensor). " +
                "Use Detach() instead, which returns a new tensor.");
        if (RequiresGrad || TrackedByActiveTape()) Cut = DetachCut;
        GradFn = null;
        _requiresGrad = false;
        Tangents = null;
        return this;
    }

    /// <summary>Called by Dispatch on the result of a view primitive: records its root base and when its history was made.</summary>
    internal void BecomeViewOf(Tensor input)
    {
        _viewBase = input._viewBase ?? input;
        _viewVersion = VersionCounter.Value;
        _viewMadeInNoGrad = !GradMode.Enabled || input._viewMadeInNoGrad;
    }

    /// <summary>Whether the view was made while grad mode was off (PyTorch refuses recorded in-place ops on such views of tracked bases).</summary>
    internal bool ViewMadeInNoGrad => _viewMadeInNoGrad;

    /// <summary>
    /// A view's GradFn and tangents describe its base as it was when they were made; once the shared
    /// version moved (an in-place change through the base or any view), they are rebuilt from the base's
    /// current history, as PyTorch regenerates a view's grad_fn lazily.
    /// </summary>
    void RefreshViewIfStale()
    {
        if (_viewBase is null || _viewVersion == VersionCounter.Value) return;
        _viewVersion = VersionCounter.Value;
        ViewHistory.Regenerate(this, _viewBase);
    }

    /// <summary>Sets a view's history and tangents to those rebuilt from its base (see <see cref="ViewHistory"/>).</summary>
    internal void AdoptViewHistory(GradNode? gradFn, (int Level, Tensor Value)[]? tangents, bool replaceTangents)
    {
        GradFn = gradFn;   // through the setter, so a RetainGrad moves to the rebuilt node
        if (replaceTangents) Tangents = tangents;
        _viewVersion = VersionCounter.Value;
    }

    /// <summary>Differentiable read of <paramref name="region"/> from a tensor of the base's shape (AsStrided primitive).</summary>
    internal static Tensor AsStrided(Tensor x, StridedRegion region) => Dispatch.Call(new AsStrided(region), x);

    /// <summary>Differentiable copy of <paramref name="x"/> with <paramref name="region"/> replaced by <paramref name="src"/> (StridedScatter primitive).</summary>
    internal static Tensor StridedScatter(Tensor x, Tensor src, StridedRegion region) =>
        Dispatch.Call(new StridedScatter(region), x, src.DType == x.DType ? src : src.To(x.DType));
}
