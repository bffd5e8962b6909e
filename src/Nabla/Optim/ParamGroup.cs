using Nabla.Engine;

namespace Nabla.Optim;

/// <summary>
/// A set of parameters that share hyper-parameters inside an <see cref="Optimizer"/> (PyTorch's param
/// group dict). Options use PyTorch's names: <c>"lr"</c>, <c>"momentum"</c>, <c>"dampening"</c>,
/// <c>"weight_decay"</c>, <c>"nesterov"</c>, <c>"maximize"</c>, <c>"beta1"</c>, <c>"beta2"</c> (torch's
/// <c>betas</c> pair), <c>"eps"</c>, <c>"amsgrad"</c>, <c>"alpha"</c>, <c>"centered"</c>, <c>"lr_decay"</c>,
/// <c>"initial_accumulator_value"</c>; each optimizer knows its own subset (see its <see cref="Optimizer.Defaults"/>).
/// Flags are stored as 1 (true) or 0 (false). Options not set here are filled from the optimizer's
/// defaults when the group is added with <see cref="Optimizer.AddParamGroup"/>.
/// </summary>
/// <example><code>
/// var opt = new Sgd(learningRate: 0.1, momentum: 0.9);
/// opt.AddParamGroup(new ParamGroup(backbone.Parameters(), learningRate: 0.01));
/// opt.AddParamGroup(new ParamGroup(head.Parameters()) { ["weight_decay"] = 1e-4 });
/// </code></example>
public sealed class ParamGroup
{
    readonly Dictionary<string, double> _options = new(StringComparer.Ordinal);
    HashSet<string>? _known;
    string _owner = "ParamGroup";

    /// <summary>A group over <paramref name="parameters"/>, with its own learning rate when one is given.</summary>
    public ParamGroup(IEnumerable<Tensor> parameters, double? learningRate = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameters = parameters.ToList();
        for (int i = 0; i < Parameters.Count; i++)
            if (Parameters[i] is null)
                throw Errors.Arg("ParamGroup", $"parameter {i} is null.");
        if (learningRate is { } lr) LearningRate = lr;
    }

    /// <summary>The parameters, in the order they were given (their indices in state dicts follow it).</summary>
    public IReadOnlyList<Tensor> Parameters { get; private set; }

    /// <summary>This group's learning rate (option <c>"lr"</c>); schedulers change it.</summary>
    public double LearningRate
    {
        get => this["lr"];
        set => this["lr"] = value;
    }

    /// <summary>
    /// The rate before any schedule touched the group (PyTorch's <c>"initial_lr"</c>): the first
    /// <see cref="LRScheduler"/> made on the optimizer sets it to the group's rate, and every schedule,
    /// the first and those chained after it, takes it as its base rate. Null until a schedule is made.
    /// </summary>
    public double? InitialLearningRate { get; set; }

    /// <summary>
    /// Reads or sets a hyper-parameter by its PyTorch name. Reading one that is neither set here nor
    /// filled from the optimizer's defaults throws; setting one the optimizer does not know throws
    /// once the group belongs to an optimizer. NaN is accepted but makes every update NaN.
    /// </summary>
    public double this[string option]
    {
        get => _options.TryGetValue(option, out var v) ? v
            : throw new KeyNotFoundException($"{_owner}: the group has no option '{option}'; it has {Describe(_options.Keys)}.");
        set
        {
            ArgumentNullException.ThrowIfNull(option);
            if (_known is not null && !_known.Contains(option))
                throw Errors.Arg(_owner, $"unknown option '{option}'; this optimizer knows {Describe(_known)}.");
            _options[option] = value;
        }
    }

    /// <summary>Whether <paramref name="option"/> is set (or was filled from the defaults).</summary>
    public bool Has(string option) => _options.ContainsKey(option);

    /// <summary>The options as set now (a copy).</summary>
    public IReadOnlyDictionary<string, double> Options => new Dictionary<string, double>(_options, StringComparer.Ordinal);

    /// <summary>How many options are set (a compiled step's guard compares them without copying).</summary>
    internal int OptionCount => _options.Count;

    internal bool Flag(string option) => this[option] != 0;

    /// <summary>Called by the optimizer when the group is added: checks names, fills defaults, fixes the owner.</summary>
    internal void Attach(string owner, IReadOnlyDictionary<string, double> defaults)
    {
        if (_known is not null)
            throw Errors.Arg(owner, "this ParamGroup already belongs to an optimizer; make a new ParamGroup for each optimizer.");
        foreach (var key in _options.Keys)
            if (!defaults.ContainsKey(key))
                throw Errors.Arg(owner, $"the group sets unknown option '{key}'; {owner} knows {Describe(defaults.Keys)}.");
        foreach (var (key, value) in defaults)
            _options.TryAdd(key, value);
        _known = new HashSet<string>(defaults.Keys, StringComparer.Ordinal);
        _owner = owner;
    }

    internal void AddParameter(Tensor p) => Parameters = [.. Parameters, p];

    static string Describe(IEnumerable<string> keys) =>
        keys.Any() ? string.Join(", ", keys.OrderBy(k => k, StringComparer.Ordinal).Select(k => $"'{k}'")) : "none";
}
