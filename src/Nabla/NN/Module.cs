using System.Text;
using Nabla.Engine;

namespace Nabla.NN;

/// <summary>
/// Base of every layer and model, as PyTorch's <c>nn.Module</c>. A subclass implements
/// <see cref="Forward"/> and registers what it owns in its constructor: parameters
/// (<see cref="RegisterParameter"/>, trainable <see cref="Variable"/>s), buffers
/// (<see cref="RegisterBuffer"/>, state such as BatchNorm's running statistics: saved in the state dict,
/// never trained) and child modules (<see cref="RegisterModule{T}"/>). Registration is explicit
/// (C# has no attribute assignment hook), so nothing is picked up by accident and the order is the
/// registration order, which fixes the order of <see cref="Parameters"/> and the state dict.
/// Run a module with <see cref="Call"/>: it fires the forward hooks around <see cref="Forward"/>.
/// </summary>
/// <example><code>
/// sealed class Net : Module
/// {
///     readonly Linear fc1, fc2;
///     public Net()
///     {
///         fc1 = RegisterModule("fc1", new Linear(784, 128));
///         fc2 = RegisterModule("fc2", new Linear(128, 10));
///     }
///     public override Tensor Forward(Tensor x) => fc2.Call(fc1.Call(x).Relu());
/// }
/// var net = new Net();
/// var logits = net.Call(images);                 // hooks fire; net.Forward(images) skips them
/// foreach (var (name, p) in net.NamedParameters()) Console.WriteLine(name);   // fc1.weight, fc1.bias, ...
/// </code></example>
public abstract partial class Module
{
    readonly OrderedDictionary<string, Variable> _parameters = new();
    readonly OrderedDictionary<string, Tensor> _buffers = new();
    readonly OrderedDictionary<string, Module> _modules = new();

    /// <summary>
    /// The computation of a one-tensor module, implemented by each such subclass. Callers should use <see cref="Call"/>,
    /// which runs the forward pre-hooks and hooks around this method; calling <c>Forward</c> directly skips them
    /// (as calling <c>forward</c> instead of <c>__call__</c> does in PyTorch). A module that takes several tensors
    /// or returns several (attention, recurrent layers, losses) does not override it: it declares its own
    /// <c>Forward(...)</c> and <c>Call(...)</c> overloads (the latter through <see cref="Invoke(Tensor?[], Func{IReadOnlyList{Tensor?}, Tensor})"/>
    /// so hooks fire), and this one-tensor form throws, naming the module.
    /// </summary>
    public virtual Tensor Forward(Tensor x) =>
        throw Errors.Arg(GetType().Name, $"{GetType().Name} does not take one tensor: call it with its own Call(...) overload " +
            "(e.g. attention.Call(query, key, value), lstm.Call(input, state), loss.Call(input, target)).");

    /// <summary>
    /// True in training mode (the default), false after <see cref="Eval"/>. Dropout and BatchNorm read it.
    /// Read while a compiled function is traced, it becomes a guard: a replay after the mode changed retraces.
    /// </summary>
    public bool IsTraining
    {
        get
        {
            if (Graph.IsTracing) Graph.GuardHostState($"{GetType().Name} module's mode", TrainingMode);
            return _training;
        }
        private set => _training = value;
    }

    bool _training = true;

    string[] TrainingMode() => _training ? TrainItems : EvalItems;   // the same arrays each time: a replay checks this guard per call

    static readonly string[] TrainItems = ["train"], EvalItems = ["eval"];

    /// <summary>Sets training mode on this module and every descendant; returns this module.</summary>
    public Module Train(bool mode = true)
    {
        foreach (var (_, m) in NamedModules()) m.IsTraining = mode;
        return this;
    }

    /// <summary>Evaluation mode (<c>Train(false)</c>): Dropout passes inputs through, BatchNorm uses its running statistics.</summary>
    public Module Eval() => Train(false);

    /// <summary>
    /// Registers <paramref name="parameter"/> under <paramref name="name"/> (no dots, unique within this
    /// module) and returns it. It then appears in <see cref="Parameters"/>, the state dict and optimizers.
    /// </summary>
    public Variable RegisterParameter(string name, Variable parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        CheckName("RegisterParameter", name);
        _parameters.Add(name, parameter);
        return parameter;
    }

    /// <summary>
    /// Puts <paramref name="parameter"/> in place of the parameter registered as <paramref name="name"/> in this module
    /// (PyTorch's <c>module.weight = other.weight</c>), keeping its position in the state dict. Same shape and dtype
    /// required. This is how weights are tied (a language model's output layer sharing the token embedding, see
    /// <see cref="Linear.Weight"/>): <see cref="Parameters"/> then lists the shared parameter once, so an optimizer steps it
    /// once with the sum of the gradients of both uses, and the state dict lists it under both names. Returns it.
    /// </summary>
    protected Variable ReplaceParameter(string name, Variable parameter, [System.Runtime.CompilerServices.CallerMemberName] string? op = null)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        string what = $"{GetType().Name}.{op ?? "ReplaceParameter"}";
        if (!_parameters.TryGetValue(name, out var old))
            throw Errors.Arg(what, $"this {GetType().Name} has no parameter '{name}' to replace.");
        if (!old.Shape.Equals(parameter.Shape) || old.DType != parameter.DType)
            throw Errors.Arg(what, $"the new '{name}' {Errors.Describe(parameter)} must have the shape and dtype of the one it replaces, {Errors.Describe(old)}.");
        _parameters[name] = parameter;
        return parameter;
    }

    /// <summary>
    /// Registers a buffer: state saved in the state dict and loaded by <see cref="LoadStateDict"/>, but
    /// not a parameter (no gradient, not given to optimizers), e.g. BatchNorm's running mean. Returns it.
    /// A module changes its buffers in place, so the registered tensor stays the one in the state dict.
    /// </summary>
    public Tensor RegisterBuffer(string name, Tensor buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        CheckName("RegisterBuffer", name);
        _buffers.Add(name, buffer);
        return buffer;
    }

    /// <summary>Registers a child module (its parameters get the prefix <c>name.</c>) and returns it.</summary>
    public T RegisterModule<T>(string name, T module) where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        CheckName("RegisterModule", name);
        if (ReferenceEquals(module, this) || module.NamedModules().Any(m => ReferenceEquals(m.Module, this)))
            throw Errors.Arg("RegisterModule", $"registering '{name}' would make the module tree a cycle (a module cannot contain itself).");
        _modules.Add(name, module);
        return module;
    }

    void CheckName(string op, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0 || name.Contains('.'))
            throw Errors.Arg(op, $"name '{name}' is not allowed: names must be non-empty and contain no '.' (dots join the names of nested modules).");
        if (_parameters.ContainsKey(name) || _buffers.ContainsKey(name) || _modules.ContainsKey(name))
            throw Errors.Arg(op, $"'{name}' is already registered in this {GetType().Name}; every parameter, buffer and child needs its own name.");
    }

    /// <summary>
    /// Every parameter of this module and its descendants, in registration order (own parameters
    /// first, then each child's), each once even when shared between layers.
    /// </summary>
    public IEnumerable<Variable> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>
    /// The number of parameter elements (sum(p.numel() for p in model.parameters()) in PyTorch), each shared parameter
    /// counted once; with <paramref name="trainableOnly"/>, only those that require grad.
    /// </summary>
    public long ParameterCount(bool trainableOnly = false) =>
        Parameters().Where(p => !trainableOnly || p.RequiresGrad).Sum(p => (long)p.NumElements);

    /// <summary>
    /// Parameters with PyTorch-style dotted names (<c>"0.weight"</c>, <c>"conv1.bias"</c>), in the order
    /// of <see cref="Parameters"/>. A parameter shared by two layers is listed once, under its first name.
    /// </summary>
    public IEnumerable<(string Name, Variable Parameter)> NamedParameters()
    {
        var seen = new HashSet<Variable>(ReferenceEqualityComparer.Instance);
        foreach (var (prefix, m) in NamedModules())
            foreach (var (name, p) in m._parameters)
                if (seen.Add(p)) yield return (Join(prefix, name), p);
    }

    /// <summary>Buffers of this module and its descendants with dotted names (<c>"bn.running_mean"</c>).</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers()
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (prefix, m) in NamedModules())
            foreach (var (name, b) in m._buffers)
                if (seen.Add(b)) yield return (Join(prefix, name), b);
    }

    /// <summary>The trainable parameters as a list (Keras's <c>trainable_variables</c>), for <c>tape.Gradient</c> and <c>ApplyGradients</c>.</summary>
    public IReadOnlyList<Variable> TrainableVariables => Parameters().Where(p => p.Trainable).ToList();

    /// <summary>The direct children with their names, in registration order.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => _modules.Select(kv => (kv.Key, kv.Value));

    /// <summary>
    /// This module (name <c>""</c>) and every descendant, depth first, with dotted names
    /// (<c>"features.0"</c>); a module reachable twice is listed once.
    /// </summary>
    public IEnumerable<(string Name, Module Module)> NamedModules()
    {
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(string, Module)>();
        stack.Push(("", this));
        while (stack.Count > 0)
        {
            var (prefix, m) = stack.Pop();
            if (!seen.Add(m)) continue;
            yield return (prefix, m);
            for (int i = m._modules.Count - 1; i >= 0; i--)
            {
                var (name, child) = m._modules.GetAt(i);
                stack.Push((prefix.Length == 0 ? name : prefix + "." + name, child));
            }
        }
    }

    static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    /// <summary>Clears <see cref="Tensor.Grad"/> of every parameter (sets it to null).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.Grad = null;
    }

    /// <summary>Extra text inside the parentheses of <see cref="ToString"/>, e.g. <c>in_features=4, out_features=2, bias=True</c>.</summary>
    protected virtual string ExtraRepr => "";

    /// <summary>A PyTorch-style summary of the module tree.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(GetType().Name).Append('(').Append(ExtraRepr);
        if (_modules.Count > 0)
        {
            sb.Append('\n');
            foreach (var (name, child) in _modules)
                sb.Append("  (").Append(name).Append("): ").Append(child.ToString().Replace("\n", "\n  ")).Append('\n');
        }
        return sb.Append(')').ToString();
    }
}
