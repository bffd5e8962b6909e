using Nabla.Primitives;

namespace Nabla.Backends;

/// <summary>
/// One registered kernel: exactly one of <see cref="Single"/> (one output), <see cref="Many"/> (several
/// outputs) or <see cref="Write"/> (writes into the inputs that <see cref="Primitive.Writes"/> names).
/// </summary>
internal sealed record KernelEntry(
    Func<Primitive, Tensor[], Tensor>? Single,
    Func<Primitive, Tensor[], Tensor[]>? Many,
    Action<Primitive, Tensor[]>? Write);

/// <summary>
/// A backend's kernels, keyed by primitive type and the dtype <see cref="Primitive.KernelDType"/> names.
/// Registering is the whole of adding an existing op to a backend: no primitive file changes.
/// </summary>
internal sealed class KernelTable
{
    readonly Dictionary<(Type Op, DType DType), KernelEntry> entries = new();

    /// <summary>Registers a one-output kernel for each of <paramref name="dtypes"/>.</summary>
    public void Add<TOp>(DType[] dtypes, Func<TOp, Tensor[], Tensor> kernel) where TOp : Primitive =>
        Put<TOp>(dtypes, new KernelEntry((op, x) => kernel((TOp)op, x), null, null));

    /// <summary>Registers a kernel with several outputs (in the order the primitive declares them).</summary>
    public void AddMany<TOp>(DType[] dtypes, Func<TOp, Tensor[], Tensor[]> kernel) where TOp : Primitive =>
        Put<TOp>(dtypes, new KernelEntry(null, (op, x) => kernel((TOp)op, x), null));

    /// <summary>Registers a kernel that writes into its inputs and returns nothing.</summary>
    public void AddWrite<TOp>(DType[] dtypes, Action<TOp, Tensor[]> kernel) where TOp : Primitive =>
        Put<TOp>(dtypes, new KernelEntry(null, null, (op, x) => kernel((TOp)op, x)));

    void Put<TOp>(DType[] dtypes, KernelEntry entry)
    {
        foreach (var dtype in dtypes)
            if (!entries.TryAdd((typeof(TOp), dtype), entry))
                throw new InvalidOperationException($"internal: two kernels for {typeof(TOp).Name} on {dtype}");
    }

    public KernelEntry? Find(Type op, DType dtype) => entries.GetValueOrDefault((op, dtype));

    /// <summary>The primitive types with at least one kernel.</summary>
    public IEnumerable<Type> Ops => entries.Keys.Select(k => k.Op).Distinct();

    /// <summary>The dtypes <paramref name="op"/> has kernels for.</summary>
    public IEnumerable<DType> DTypesOf(Type op) => entries.Keys.Where(k => k.Op == op).Select(k => k.DType);
}

/// <summary>Dtype sets kernels are registered for.</summary>
internal static class KernelDTypes
{
    public static readonly DType[] Floating = [DType.Float32, DType.Float64];
    public static readonly DType[] Numeric = [DType.Float32, DType.Float64, DType.Int32, DType.Int64];
    public static readonly DType[] All = [DType.Float32, DType.Float64, DType.Int32, DType.Int64, DType.Bool];
}
