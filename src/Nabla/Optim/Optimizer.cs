using System.Diagnostics;
using Nabla.Engine;

namespace Nabla.Optim;

/// <summary>
/// Base of the optimizers, usable in both styles on the same object:
/// <list type="bullet">
/// <item>PyTorch style: give the parameters to the constructor (or <see cref="AddParamGroup"/>), then
/// <c>ZeroGrad(); loss.Backward(); Step();</c>. <see cref="Step()"/> reads each parameter's <c>Grad</c>.</item>
/// <item>TF style: <c>ApplyGradients(grads.Zip(variables))</c>, with or without constructor parameters.
/// Variables the optimizer has not seen join a group made from the defaults (the empty first group when
/// no parameters were given), in the order they first appear.</item>
/// </list>
/// Parameters are <see cref="Variable"/>s or plain tensors (PyTorch's <c>new Sgd([w, b])</c> with
/// <c>w = Tensor.Randn(...)</c> and <c>w.RequiresGrad = true</c>): a plain tensor must be a floating leaf that
/// requires grad. State (step counts, moment buffers) is kept per parameter, so both styles give bitwise the same
/// numbers for the same gradients. Updates run under <see cref="Autograd.NoGrad"/> and change the
/// parameters in place, bumping their version counters. NaN or Inf in a gradient flows into the
/// parameters (as in PyTorch); clip or check gradients first if that can happen.
/// </summary>
public abstract partial class Optimizer
{
    readonly List<ParamGroup> _groups = [];
    readonly Dictionary<string, double> _defaults;
    readonly Dictionary<Tensor, ParamState> _state = new(ReferenceEqualityComparer.Instance);
    readonly Dictionary<Tensor, ParamGroup> _groupOf = new(ReferenceEqualityComparer.Instance);
    readonly HashSet<Tensor> _warned = new(ReferenceEqualityComparer.Instance);
    ParamGroup? _implicitGroup;

    private protected Optimizer(IEnumerable<Tensor>? parameters, Dictionary<string, double> defaults)
    {
        _defaults = defaults;
        ValidateOptions(Name, defaults);
        if (parameters is null)
        {
            // TF style: variables given to ApplyGradients join this group; schedulers made now see it.
            _implicitGroup = new ParamGroup([]);
            AddParamGroup(_implicitGroup);
            return;
        }
        var list = parameters.ToList();
        if (list.Count == 0)
            throw Errors.Arg(Name, "got an empty parameter list. Pass the model's parameters, or pass null " +
                "(the default) to use ApplyGradients with variables given later.");
        AddParamGroup(new ParamGroup(list));
    }

    /// <summary>The optimizer's name in messages (its class name).</summary>
    private protected string Name => GetType().Name;

    /// <summary>The hyper-parameters new groups start from (PyTorch names, flags as 0/1).</summary>
    public IReadOnlyDictionary<string, double> Defaults => _defaults;

    /// <summary>The parameter groups, in the order they were added.</summary>
    public IReadOnlyList<ParamGroup> ParamGroups => _groups;

    /// <summary>
    /// The learning rate of the first group. Setting it sets every group's and the default for groups
    /// made later (to give groups different rates, set <see cref="ParamGroup.LearningRate"/>).
    /// </summary>
    public double LearningRate
    {
        get => _groups.Count > 0 ? _groups[0].LearningRate : _defaults["lr"];
        set
        {
            CheckLearningRate(Name, value);
            _defaults["lr"] = value;
            foreach (var g in _groups) g.LearningRate = value;
        }
    }

    /// <summary>
    /// Receives the optimizer's warnings (a parameter that got no gradient), once per parameter. With no handler they go
    /// to the console's error stream as "warning: ..." (as PyTorch's warnings do) and to <see cref="Trace.TraceWarning(string)"/>.
    /// </summary>
    public event Action<string>? Warning;

    /// <summary>
    /// Adds a group with its own hyper-parameters (missing ones come from <see cref="Defaults"/>).
    /// Throws when a parameter already belongs to a group, appears twice, or an option is unknown or invalid.
    /// </summary>
    public void AddParamGroup(ParamGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var p in group.Parameters)
        {
            CheckParameter(Name, p);
            if (!seen.Add(p))
                throw Errors.Arg(Name, $"parameter {Label(p)} (shape {p.Shape}) appears twice in the group; pass each parameter once.");
            if (_groupOf.ContainsKey(p))
                throw Errors.Arg(Name, $"parameter {Label(p)} (shape {p.Shape}) already belongs to another parameter group; " +
                    "a parameter can be in only one group.");
        }
        group.Attach(Name, _defaults);
        ValidateOptions(Name, group.Options);
        _groups.Add(group);
        foreach (var p in group.Parameters) _groupOf[p] = group;
    }

    /// <summary>
    /// Updates every parameter of every group from its <c>Grad</c> (PyTorch's <c>optimizer.step()</c>).
    /// A parameter whose <c>Grad</c> is null is skipped, with a <see cref="Warning"/> the first time
    /// (frozen parameters, whose <c>RequiresGrad</c> is false, are skipped silently).
    /// </summary>
    public void Step()
    {
        // Inside a compiled function: make state outside the graph and guard what the updates bake in (see Optimizer.Graph.cs).
        if (Graph.IsTracing)
        {
            var updated = new List<(Tensor, ParamGroup)>();
            foreach (var group in _groups)
                foreach (var p in group.Parameters)
                    if (p.Grad is not null) updated.Add((p, group));
            PrepareTrace(updated);
        }
        using (Autograd.NoGrad())
        {
            int index = 0;
            foreach (var group in _groups)
                foreach (var p in group.Parameters)
                {
                    if (p.Grad is { } g) Update(p, g, StateOf(p), group);
                    else if (p.RequiresGrad)
                        WarnOnce(p, $"{Name}.Step(): parameter {index} {Label(p)} (shape {p.Shape}, group {_groups.IndexOf(group)}) " +
                            "has no gradient (its Grad is null), so it was not updated. Either it is not used in the loss, " +
                            "or the order is wrong: call ZeroGrad(), compute the loss, Backward(), then Step(). " +
                            "This warning is given once per parameter.");
                    index++;
                }
        }
    }

    /// <summary>Whether <see cref="Update"/> reads the step count (bias corrections, decays), so a compiled step depends on it.</summary>
    private protected virtual bool UpdateReadsStepCount => false;

    /// <summary>
    /// Re-evaluates the loss with <paramref name="closure"/> (which should zero the gradients, compute
    /// the loss and call Backward), then steps; returns the closure's loss (PyTorch's <c>step(closure)</c>).
    /// </summary>
    public virtual Tensor Step(Func<Tensor> closure)
    {
        ArgumentNullException.ThrowIfNull(closure);
        Tensor loss;
        using (Autograd.EnableGrad()) loss = closure();
        Step();
        return loss;
    }

    /// <summary>
    /// Clears the gradients of all parameters: sets them to null (the default, as PyTorch), or to zeros
    /// in place with <paramref name="setToNone"/> false (a gradient with history is detached first).
    /// </summary>
    public void ZeroGrad(bool setToNone = true)
    {
        using (Autograd.NoGrad())
            foreach (var group in _groups)
                foreach (var p in group.Parameters)
                {
                    if (setToNone)
                    {
                        // Unconditionally, without reading it: a compiled step then does not depend on whether
                        // the gradients were set (the first call finds them null, later ones set).
                        p.Grad = null;
                        continue;
                    }
                    if (p.Grad is not { } g) continue;
                    if (g.GradFn is not null || g.RequiresGrad) p.Grad = Tensor.ZerosLike(g);
                    else g.Zero();
                }
    }

    /// <summary>
    /// Applies one update per (gradient, variable) pair, in order (TF's <c>apply_gradients</c>), so
    /// <c>optimizer.ApplyGradients(grads.Zip(model.TrainableVariables))</c> works. A variable in a group
    /// uses that group's hyper-parameters; an unseen variable joins a group made from the defaults.
    /// A null gradient skips its variable with a <see cref="Warning"/> (once per variable); when every
    /// gradient is null (or the list is empty) it throws, as TF does. Gradients are converted to the
    /// variable's dtype and must have its shape.
    /// </summary>
    public void ApplyGradients(IEnumerable<(Tensor? Gradient, Variable Variable)> gradsAndVars)
    {
        ArgumentNullException.ThrowIfNull(gradsAndVars);
        ApplyGradients(gradsAndVars.Select(pair => (pair.Gradient, (Tensor)pair.Variable)));
    }

    /// <summary>
    /// <see cref="ApplyGradients(IEnumerable{ValueTuple{Tensor, Variable}})"/> for parameters that are plain tensors
    /// (leaf floating tensors that require grad) or a mix of tensors and variables.
    /// </summary>
    public void ApplyGradients(IEnumerable<(Tensor? Gradient, Tensor Variable)> gradsAndVars)
    {
        ArgumentNullException.ThrowIfNull(gradsAndVars);
        var pairs = gradsAndVars.ToList();
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < pairs.Count; i++)
        {
            var (g, v) = pairs[i];
            if (v is null) throw Errors.Arg($"{Name}.ApplyGradients", $"item {i} has a null variable.");
            if (!seen.Add(v))
                throw Errors.Arg($"{Name}.ApplyGradients", $"variable {Label(v)} (shape {v.Shape}) appears more than once (items); " +
                    "add its gradients together and pass it once.");
            if (g is not null && !g.Shape.Equals(v.Shape))
                throw Errors.Arg($"{Name}.ApplyGradients", $"item {i}: the gradient has shape {g.Shape} but variable {Label(v)} has shape {v.Shape}; " +
                    "check that the gradients and the variables are zipped in the same order.");
        }
        // Under a MultiWorkerMirroredStrategy's scope every rank applies the gradients averaged over the ranks (before the
        // all-null check, so a rank whose gradients are all null still joins the all-reduce the others wait in).
        if (Distributed.MultiWorkerMirroredStrategy.InScope is { } strategy) pairs = strategy.AverageGradients(pairs, $"{Name}.ApplyGradients");
        if (pairs.All(p => p.Gradient is null))
            throw Errors.Arg($"{Name}.ApplyGradients", "No gradients provided for any variable: [" +
                string.Join(", ", pairs.Select(p => $"{Label(p.Variable)}")) + "]. The loss does not depend on them: check that " +
                "the forward pass ran inside the GradientTape's using block and that the variables are the model's.");

        // Every variable joins its group first (as before, null gradients included), so a compiled step's guard sees the groups the updates use.
        var groups = pairs.Select(pair => GroupOf(pair.Variable)).ToList();
        if (Graph.IsTracing) PrepareTrace([.. pairs.Select((pair, i) => (pair, i)).Where(x => x.pair.Gradient is not null).Select(x => (x.pair.Variable, groups[x.i]))]);
        using (Autograd.NoGrad())
            for (int i = 0; i < pairs.Count; i++)
            {
                var (g, v) = pairs[i];
                var group = groups[i];
                if (g is null)
                {
                    WarnOnce(v, $"{Name}.ApplyGradients: variable {Label(v)} (item {i}, shape {v.Shape}) got a null gradient, so it was " +
                        "not updated. It is not used in the computation the tape recorded (or only outside the tape's using block, or " +
                        "through Detach()/NoGrad()). This warning is given once per variable.");
                    continue;
                }
                Update(v, g.Detach().To(v.DType), StateOf(v), group);
            }
    }

    ParamGroup GroupOf(Tensor v)
    {
        if (_groupOf.TryGetValue(v, out var group)) return group;
        CheckParameter($"{Name}.ApplyGradients", v);
        if (_implicitGroup is null)
        {
            _implicitGroup = new ParamGroup([]);
            AddParamGroup(_implicitGroup);
        }
        _implicitGroup.AddParameter(v);
        _groupOf[v] = _implicitGroup;
        return _implicitGroup;
    }

    ParamState StateOf(Tensor p)
    {
        if (_state.TryGetValue(p, out var s)) return s;
        _state[p] = s = TakePendingState(p) ?? new ParamState();
        return s;
    }

    void WarnOnce(Tensor p, string message)
    {
        if (!_warned.Add(p)) return;
        if (Warning is { } handler) handler(message);
        else
        {
            Console.Error.WriteLine("warning: " + message);
            Trace.TraceWarning(message);
        }
    }

    /// <summary>One update of <paramref name="p"/> from gradient <paramref name="g"/> (already in p's dtype), under no-grad.</summary>
    private protected abstract void Update(Tensor p, Tensor g, ParamState state, ParamGroup group);

    /// <summary>Checks a group's (or the defaults') hyper-parameters; throws a clear error for bad values.</summary>
    private protected abstract void ValidateOptions(string owner, IReadOnlyDictionary<string, double> options);

    /// <summary>The state buffer names this optimizer uses (for checking loaded state).</summary>
    private protected abstract IReadOnlyCollection<string> StateKeys { get; }

    private protected static void CheckLearningRate(string owner, double lr)
    {
        if (!(lr >= 0)) throw Errors.Arg(owner, $"invalid learning rate {lr}; it must be >= 0.");
    }

    private protected static void CheckNonNegative(string owner, IReadOnlyDictionary<string, double> o, string key)
    {
        if (o.TryGetValue(key, out var v) && !(v >= 0)) throw Errors.Arg(owner, $"invalid {key} {v}; it must be >= 0.");
    }

    /// <summary>
    /// torch.lerp_ in place: <c>self + w*(end - self)</c> when |w| &lt; 0.5, else <c>end - (end - self)*(1 - w)</c>
    /// (the two forms PyTorch uses, so moment buffers round the same way).
    /// </summary>
    internal static void LerpInPlace(Tensor self, Tensor end, double w)
    {
        if (Math.Abs(w) < 0.5) self.AddInPlace((end - self) * w);
        else self.CopyFrom(end - (end - self) * (1 - w));
    }
}
