using Nabla.Primitives;

namespace Nabla.Backends;

/// <summary>
/// One registered kernel: exactly one of <see cref="Single"/> (one output), <see cref="Many"/> (several
/// outputs) or <see cref="Write"/> (writes into the inputs that <see cref="Primitive.Writes"/> names).
/// A one-output kernel may also have an <see cref="Into"/> form: it computes the same output into a tensor
/// the caller owns (a graph replay's reused buffer), returning false, with nothing written, when that
/// tensor is not what <see cref="Single"/> would have made (layout, dtype, device, overlap with an input).
/// A kernel with several outputs may have a <see cref="ManyInto"/> form: output k into into[k] where given (a
/// new tensor where null), returning every output, or null, with nothing written, when a given tensor does not fit.
/// (A fused elementwise program has both forms: <see cref="Single"/> for one result, <see cref="Many"/> for several.)
/// </summary>
internal sealed record KernelEntry(
    Func<Primitive, Tensor[], Tensor>? Single,
    Func<Primitive, Tensor[], Tensor[]>? Many,
    Action<Primitive, Tensor[]>? Write,
    Func<Primitive, Tensor[], Tensor, bool>? Into = null,
    Func<Primitive, Tensor[], Tensor?[], Tensor[]?>? ManyInto = null);

/// <summary>
/// A backend's kernels, keyed by primitive type and the dtype <see cref="Primitive.KernelDType"/> names.
/// Registering is the whole of adding an existing op to a backend: no primitive file changes.
/// NB: a lookup happens on every op, so it is a direct-mapped cache hit almost always. Start-up cost is
/// kept to what is used: a backend may register its kernels group by group on the first lookup of a
/// primitive of that group (<paramref name="groupOf"/>), and entries registered with a factory are built
/// on first use.
/// </summary>
internal sealed class KernelTable(Func<Type, Action<KernelTable>?>? groupOf = null, Action<KernelTable>[]? allGroups = null)
{
    readonly HashSet<Action<KernelTable>> _loadedGroups = [];

    const int DTypeCount = (int)DType.Bool + 1;

    sealed class Slot(Func<KernelEntry> make)
    {
        KernelEntry? _entry;
        public KernelEntry Entry => _entry ??= make();
    }

    readonly Dictionary<Type, Slot?[]> _slots = new(ReferenceEqualityComparer.Instance);

    /// <summary>Registers a one-output kernel for each of <paramref name="dtypes"/>.</summary>
    public void Add<TOp>(DType[] dtypes, Func<TOp, Tensor[], Tensor> kernel) where TOp : Primitive =>
        Put<TOp>(dtypes, () => new KernelEntry(AsPrimitive(kernel), null, null));

    /// <summary>Registers a one-output kernel with its into-form (see <see cref="KernelEntry.Into"/>) for each of <paramref name="dtypes"/>.</summary>
    public void Add<TOp>(DType[] dtypes, Func<TOp, Tensor[], Tensor> kernel, Func<TOp, Tensor[], Tensor, bool> into) where TOp : Primitive =>
        Put<TOp>(dtypes, () => new KernelEntry(AsPrimitive(kernel), null, null, (op, x, y) => into((TOp)op, x, y)));

    /// <summary>Registers a kernel with several outputs (in the order the primitive declares them).</summary>
    public void AddMany<TOp>(DType[] dtypes, Func<TOp, Tensor[], Tensor[]> kernel) where TOp : Primitive =>
        Put<TOp>(dtypes, () => new KernelEntry(null, AsPrimitive(kernel), null));

    /// <summary>Registers a kernel with several outputs and its into-form (see <see cref="KernelEntry.ManyInto"/>).</summary>
    public void AddMany<TOp>(DType[] dtypes, Func<TOp, Tensor[], Tensor[]> kernel, Func<TOp, Tensor[], Tensor?[], Tensor[]?> into) where TOp : Primitive =>
        Put<TOp>(dtypes, () => new KernelEntry(null, AsPrimitive(kernel), null, ManyInto: (op, x, y) => into((TOp)op, x, y)));

    /// <summary>Registers a kernel that writes into its inputs and returns nothing.</summary>
    public void AddWrite<TOp>(DType[] dtypes, Action<TOp, Tensor[]> kernel) where TOp : Primitive =>
        Put<TOp>(dtypes, () => new KernelEntry(null, null, System.Runtime.CompilerServices.Unsafe.As<Action<Primitive, Tensor[]>>(kernel)));

    /// <summary>Registers an entry built on first use (kernels whose delegates are costly to make at start-up).</summary>
    public void AddFactory<TOp>(DType dtype, Func<KernelEntry> make) where TOp : Primitive => Put<TOp>([dtype], make);

    void Put<TOp>(DType[] dtypes, Func<KernelEntry> make)
    {
        lock (_slots) Put(typeof(TOp), dtypes, make);
    }

    void Put(Type op, DType[] dtypes, Func<KernelEntry> make)
    {
        if (!_slots.TryGetValue(op, out var byDType)) _slots[op] = byDType = new Slot?[DTypeCount];
        var slot = new Slot(make);
        foreach (var dtype in dtypes)
        {
            if (byDType[(int)dtype] is not null) throw new InvalidOperationException($"internal: two kernels for {op.Name} on {dtype}");
            byDType[(int)dtype] = slot;
        }
    }

    // The table is keyed by the primitive's exact type, so a kernel delegate is only ever invoked with a TOp:
    // reinterpreting it (here and in AddWrite) skips a wrapper call and a cast on every op.
    static Func<Primitive, Tensor[], TResult> AsPrimitive<TOp, TResult>(Func<TOp, Tensor[], TResult> kernel) where TOp : Primitive =>
        System.Runtime.CompilerServices.Unsafe.As<Func<Primitive, Tensor[], TResult>>(kernel);

    // A direct-mapped cache in front of the dictionary: an op's type and dtype hash to one line.
    sealed record CacheLine(Type Op, DType DType, KernelEntry? Entry);
    readonly CacheLine?[] _cache = new CacheLine?[256];

    public KernelEntry? Find(Type op, DType dtype)
    {
        int line = (System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(op) * 8 + (int)dtype) & 255;
        if (_cache[line] is { } hit && ReferenceEquals(hit.Op, op) && hit.DType == dtype) return hit.Entry;
        KernelEntry? entry;
        lock (_slots)
        {
            if (!_slots.ContainsKey(op) && groupOf?.Invoke(op) is { } group && _loadedGroups.Add(group)) group(this);
            entry = _slots.TryGetValue(op, out var byDType) && byDType[(int)dtype] is { } slot ? slot.Entry : null;
        }
        _cache[line] = new CacheLine(op, dtype, entry);
        return entry;
    }

    /// <summary>Registers every group now (listings and tests; lookups load groups as they need them).</summary>
    void LoadAll()
    {
        lock (_slots)
            foreach (var group in allGroups ?? [])
                if (_loadedGroups.Add(group)) group(this);
    }

    /// <summary>The primitive types with at least one kernel.</summary>
    public IEnumerable<Type> Ops
    {
        get
        {
            LoadAll();
            lock (_slots) return _slots.Keys.ToArray();
        }
    }

    /// <summary>The dtypes <paramref name="op"/> has kernels for.</summary>
    public IEnumerable<DType> DTypesOf(Type op)
    {
        LoadAll();
        lock (_slots) return _slots.TryGetValue(op, out var byDType) ? Enum.GetValues<DType>().Where(d => byDType[(int)d] is not null).ToArray() : [];
    }
}

/// <summary>Dtype sets kernels are registered for.</summary>
internal static class KernelDTypes
{
    public static readonly DType[] Floating = [DType.Float32, DType.Float64];
    public static readonly DType[] Numeric = [DType.Float32, DType.Float64, DType.Int32, DType.Int64];
    public static readonly DType[] All = [DType.Float32, DType.Float64, DType.Int32, DType.Int64, DType.Bool];
}
