using Nabla.Engine;

namespace Nabla;

public partial class Tensor
{
    bool _requiresGrad;
    Tensor? _grad;
    AccumulateGrad? _accumulator;
    Action<Tensor>? _retainHook;
    GradNode? _gradFn;

    /// <summary>Forward-mode tangents, one per nesting level (set by the engine; see Engine/ForwardMode.cs).</summary>
    internal (int Level, Tensor Value)[]? Tangents;

    /// <summary>The tangents at every level, a stale view's rebuilt from its base first (see <see cref="TangentAt"/>).</summary>
    internal (int Level, Tensor Value)[]? CurrentTangents
    {
        get
        {
            RefreshViewIfStale();
            return Tangents;
        }
    }

    internal Tensor? TangentAt(int level)
    {
        RefreshViewIfStale();
        if (Tangents is null) return null;
        foreach (var (l, v) in Tangents)
            if (l == level) return v;
        return null;
    }

    internal void SetTangent(int level, Tensor? value)
    {
        var kept = Tangents is null ? [] : Array.FindAll(Tangents, t => t.Level != level);
        Tangents = value is null ? (kept.Length == 0 ? null : kept) : [.. kept, (level, value)];
    }

    /// <summary>
    /// The node that made this tensor (null for leaves and untracked tensors). Its <c>Name</c> reads like
    /// <c>MulBackward</c>. For a view whose base was changed in place since the view was made, it is
    /// rebuilt from the base's new history (an <c>AsStridedBackward</c> node), as in PyTorch.
    /// </summary>
    public GradNode? GradFn
    {
        get
        {
            RefreshViewIfStale();
            return _gradFn;
        }
        internal set
        {
            // As in PyTorch, when an in-place op gives this tensor a new node, RetainGrad follows it there
            // (hooks from RegisterHook stay with the old node); a tensor cut to a leaf retains nothing.
            if (_retainHook is not null && !ReferenceEquals(value, _gradFn))
            {
                _gradFn?.RetainsGradHooks?.Remove(_retainHook);
                if (value is not null) (value.RetainsGradHooks ??= []).Add(_retainHook);
                else
                {
                    _retainHook = null;
                    RetainsGrad = false;
                }
            }
            _gradFn = value;
        }
    }

    /// <summary>The stored GradFn, without rebuilding a stale view's (for the view machinery itself).</summary>
    internal GradNode? RawGradFn => _gradFn;

    /// <summary>
    /// Whether gradients flow to this tensor. Settable only on leaves, and only for floating dtypes
    /// (as in PyTorch). A non-leaf requires grad when it was computed from one that does.
    /// </summary>
    public bool RequiresGrad
    {
        // A view requires grad when its base does (PyTorch: even a view made before the base did).
        get => _requiresGrad || GradFn is not null || (_viewBase?.RequiresGrad ?? false);
        set
        {
            if (GradFn is not null)
                throw Errors.State("Tensor.RequiresGrad",
                    $"you can only change RequiresGrad of leaf tensors; this one was made by {GradFn.Name}. " +
                    "Use Detach() to get a leaf that shares its data.");
            if (value && !DType.IsFloating())
                throw Errors.State("Tensor.RequiresGrad",
                    $"only floating tensors can require gradients, this one is {DType.TorchName()}. Convert it with To(DType.Float32) first.");
            _requiresGrad = value;
        }
    }

    /// <summary>Whether RequiresGrad was set on this tensor itself (not inherited from a view's base or a GradFn).</summary>
    internal bool AskedForGrad => _requiresGrad;

    /// <summary>True for tensors made by the user (not by a recorded op): every tensor with no <see cref="GradFn"/>.</summary>
    public bool IsLeaf => GradFn is null;

    /// <summary><see cref="Grad"/> without showing the read to interpreters (a tracer reading it for itself).</summary>
    internal Tensor? GradUnobserved => _grad;

    /// <summary>
    /// The gradient accumulated by <see cref="Backward"/> (null until one ran). Each backward adds to
    /// it in place (a reference held from an earlier backward sees the new sum and stays this
    /// <c>Grad</c>); with <c>createGraph: true</c> the sum is a new, recorded tensor instead, so it can be
    /// differentiated. Set it to null (or call an optimizer's ZeroGrad) between steps. An assigned
    /// gradient must have this tensor's dtype, device and shape, and can't be the tensor itself.
    /// Backward passes running on several threads at once add into it under this leaf's lock, so none is
    /// lost (as in PyTorch); the order of their additions, and so the last bits of a float sum, is not fixed.
    /// </summary>
    public Tensor? Grad
    {
        get
        {
            if (!Backprop.InPass) Dispatch.GradRead(this);
            return _grad;
        }
        set
        {
            if (value is not null) CheckAssignedGrad(value);
            // Under the accumulator's lock, so a reset never lands in the middle of a concurrent pass's sum.
            if (_accumulator is { } acc)
                lock (acc.Gate) _grad = value;
            else _grad = value;
            if (!Backprop.InPass) Dispatch.GradAssigned(this, value);
        }
    }

    // PyTorch's checks on assigning .grad (its messages: "can't assign Variable as its own grad",
    // "assigned grad has data of a different type/size", "... located on a different device").
    void CheckAssignedGrad(Tensor value)
    {
        if (ReferenceEquals(value, this))
            throw Errors.Arg("Tensor.Grad", "can't assign Variable as its own grad; assign a separate tensor (e.g. ZerosLike(x)).");
        if (value.DType != DType)
            throw Errors.Arg("Tensor.Grad", $"assigned grad has data of a different type: the gradient is {value.DType.TorchName()} " +
                $"but the tensor is {DType.TorchName()}; convert it with To(DType.{DType}).");
        if (!value.Device.Equals(Device))
            throw Errors.Arg("Tensor.Grad", $"assigned grad has data located on a different device: the gradient is on {value.Device} " +
                $"but the tensor is on {Device}; move it with To(Device).");
        if (!value.Shape.Equals(Shape))
            throw Errors.Arg("Tensor.Grad", $"assigned grad has data of a different size: the gradient has shape {value.Shape} " +
                $"but the tensor has shape {Shape}.");
    }

    /// <summary>Whether <see cref="RetainGrad"/> was called on this non-leaf.</summary>
    public bool RetainsGrad { get; private set; }

    /// <summary>
    /// Makes <see cref="Backward"/> (and <see cref="Autograd.Backward"/>) fill <see cref="Grad"/> for this
    /// non-leaf tensor too, with the gradient after every hook registered on it. No effect on leaves.
    /// If an in-place op later gives the tensor a new <see cref="GradFn"/>, the retained gradient is the
    /// one of the new values, as in PyTorch.
    /// </summary>
    public void RetainGrad()
    {
        if (GradFn is null || RetainsGrad) return;
        if (!RequiresGrad)
            throw Errors.State("Tensor.RetainGrad", "can't retain the gradient of a tensor that does not require grad.");
        RetainsGrad = true;
        // Concurrent passes over a retained graph may run this node's hook at once (as at a leaf).
        var gate = new object();
        _retainHook = g =>
        {
            if (!Backprop.IsAccumulating) return;
            lock (gate)
            {
                Dispatch.GradRead(this);
                SetGradFromPass(_grad is null ? Backprop.Own(g) : _grad + g);
            }
        };
        (GradFn.RetainsGradHooks ??= []).Add(_retainHook);
    }

    /// <summary>A new leaf that shares this tensor's data but is cut from the graph (never requires grad).</summary>
    public Tensor Detach()
    {
        var d = View(Shape, Strides, Offset);
        if (RequiresGrad || TrackedByActiveTape()) d.Cut = DetachCut;
        else d.Cut = Cut;
        return d;
    }

    static readonly GraphCut DetachCut = new("Detach()");

    /// <summary>Detach for an op that has no gradient (comparisons, ArgMax), so a null gradient is explained by that op.</summary>
    internal Tensor DetachFor(string op)
    {
        var d = View(Shape, Strides, Offset);
        d.Cut = RequiresGrad || TrackedByActiveTape() ? GraphCut.NoGradient(op) : Cut;
        return d;
    }

    bool TrackedByActiveTape() => Tapes.Follows(this, includePaused: true);

    /// <summary>Set on tensors computed from tracked ones with recording off (for explaining null gradients).</summary>
    internal GraphCut? Cut;

    /// <summary>True for trainable Variables (TF-style tapes watch them when they are used).</summary>
    internal virtual bool IsTrainableVariable => false;

    /// <summary>
    /// Computes the gradient of this tensor with respect to the graph's leaves and adds it into their
    /// <see cref="Grad"/>. A non-scalar tensor needs <paramref name="gradient"/> (the vector in the
    /// vector-Jacobian product). The graph's saved values are freed unless <paramref name="retainGraph"/>;
    /// with <paramref name="createGraph"/> the backward pass is itself recorded, for higher derivatives.
    /// With <paramref name="inputs"/>, only those tensors get <see cref="Grad"/> (a non-leaf among them is
    /// made to <see cref="RetainGrad"/>, as in PyTorch); see <see cref="Autograd.Backward"/>.
    /// </summary>
    public void Backward(Tensor? gradient = null, bool retainGraph = false, bool createGraph = false, IReadOnlyList<Tensor>? inputs = null)
    {
        var g = Backprop.RootGradient("Backward", this, gradient);
        Backprop.Accumulate("Backward", [this], [g], inputs, retainGraph || createGraph, createGraph);
    }

    /// <summary>
    /// Registers a hook called with this tensor's gradient each time one is computed; a non-null
    /// return value replaces the gradient. Dispose the handle to remove it.
    /// </summary>
    public IDisposable RegisterHook(Func<Tensor, Tensor?> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        if (!RequiresGrad)
            throw Errors.State("Tensor.RegisterHook", "cannot register a hook on a tensor that doesn't require gradient.");
        // The hook belongs to today's node: after an in-place op it still fires on the old values' gradient.
        var list = GradEdge().TensorHooks ??= [];
        list.Add(hook);
        return new RunOnce(() => list.Remove(hook));
    }

    /// <summary>
    /// Registers a hook called with this leaf after <see cref="Backward"/> has added a gradient into its
    /// <see cref="Grad"/> (PyTorch's register_post_accumulate_grad_hook; e.g. to step an optimizer per
    /// parameter). Dispose the handle to remove it.
    /// </summary>
    public IDisposable RegisterPostAccumulateGradHook(Action<Tensor> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        if (!IsLeaf || !RequiresGrad)
            throw Errors.State("Tensor.RegisterPostAccumulateGradHook",
                "post-accumulate-grad hooks can only be registered on leaf tensors that require grad.");
        var acc = (AccumulateGrad)GradEdge();
        // The list is read under the same lock while gradients accumulate, possibly on other threads.
        lock (acc.Gate)
        {
            var list = acc.PostAccumulateHooks ??= [];
            list.Add(hook);
            return new RunOnce(() => { lock (acc.Gate) list.Remove(hook); });
        }
    }

    /// <summary>The node that receives this tensor's gradient, without creating a leaf's accumulator.</summary>
    internal GradNode? ExistingGradEdge => GradFn ?? _accumulator;

    /// <summary>The node that receives this tensor's gradient: its GradFn, or the leaf's accumulator.</summary>
    internal GradNode GradEdge() => GradFn ?? _accumulator ?? CreateAccumulator();

    // Threads recording ops on one shared leaf at once must all get the same accumulator: its lock is
    // what serializes their gradients into .Grad, and its hooks must see every pass.
    AccumulateGrad CreateAccumulator()
    {
        var fresh = new AccumulateGrad(this);
        return Interlocked.CompareExchange(ref _accumulator, fresh, null) ?? fresh;
    }

    /// <summary>
    /// Adds <paramref name="g"/> into <see cref="Grad"/> (called by the engine at leaves), as PyTorch's
    /// AccumulateGrad: the first gradient is stored as a private copy (with createGraph, as computed, so
    /// its history stays); later ones are added in place, unrecorded, bumping the gradient's version;
    /// with createGraph the sum is out of place and recorded (<c>grad = grad + g</c>). The engine calls it
    /// under the accumulator's lock, so concurrent passes into one leaf lose nothing.
    /// </summary>
    internal void AccumulateGradient(Tensor g, bool createGraph)
    {
        // Shown to a tracer as reads and assignments of .Grad, so a compiled function's backward pass is
        // recorded op by op (its branch on whether .Grad exists becomes a guard).
        Dispatch.GradRead(this);
        if (_grad is null) SetGradFromPass(createGraph ? g : Backprop.Own(g));
        else if (createGraph) SetGradFromPass(_grad + g);
        else
            using (Autograd.NoGrad()) _grad.AddInPlace(g);
    }

    void SetGradFromPass(Tensor value)
    {
        _grad = value;
        Dispatch.GradAssigned(this, value);
    }
}
