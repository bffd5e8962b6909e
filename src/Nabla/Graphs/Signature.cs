using Nabla.Engine;
using Nabla.NN;

namespace Nabla.Graphs;

/// <summary>What a tensor argument must match for a graph traced on another call to be replayed for it.</summary>
/// <param name="Shape">The argument's shape.</param>
/// <param name="DType">Its element type.</param>
/// <param name="Device">Where it lives.</param>
/// <param name="Strides">Its layout (a view and a copy trace different graphs: views of it must stay views).</param>
/// <param name="RequiresGrad">Whether it requires grad.</param>
/// <param name="SameAs">The index of an earlier argument sharing its memory, or -1 (aliasing changes what writes do).</param>
/// <param name="Dynamic">Dims that are dynamic (bit d: dim d): any size matches there (a contiguous argument's strides then match by contiguity).</param>
internal sealed record ArgSignature(Shape Shape, DType DType, Device Device, int[] Strides, bool RequiresGrad, int SameAs, ulong Dynamic = 0)
{
    public bool Equals(ArgSignature? other) =>
        other is not null && Dynamic == other.Dynamic && SameSizes(other.Shape) && DType == other.DType && Device.Equals(other.Device)
        && Strides.AsSpan().SequenceEqual(other.Strides) && RequiresGrad == other.RequiresGrad && SameAs == other.SameAs;

    bool SameSizes(Shape other)
    {
        if (Dynamic == 0) return Shape.Equals(other);
        if (Shape.Rank != other.Rank) return false;
        for (int d = 0; d < Shape.Rank; d++)
            if ((Dynamic >> d & 1) == 0 && Shape[d] != other[d]) return false;
        return true;
    }

    public override int GetHashCode() => HashCode.Combine(Dynamic == 0 ? Shape.GetHashCode() : Shape.Rank, DType, Device, RequiresGrad, SameAs);

    /// <summary>Whether argument <paramref name="i"/> of <paramref name="args"/> has this signature (as <see cref="Signature.Of"/> would say, allocating nothing).</summary>
    public bool Matches(Tensor[] args, int i)
    {
        var a = args[i];
        if (a.DType != DType || a.RequiresGrad != RequiresGrad || !a.Device.Equals(Device)) return false;
        if (Dynamic != 0 ? !a.IsContiguous : !a.Strides.AsSpan().SequenceEqual(Strides)) return false;
        if (!SameSizes(a.Shape)) return false;
        int sameAs = -1;
        for (int j = 0; j < i && sameAs < 0; j++)
            if (args[j].SharesStorage(a)) sameAs = j;
        return sameAs == SameAs;
    }

    public override string ToString() => $"{Shape} {DType.TorchName()} {Device}" + (RequiresGrad ? " requires_grad" : "");
}

/// <summary>
/// The cache key of a compiled function: each argument's shape, dtype, device, strides, requires-grad flag
/// and aliasing, grad mode, and the train/eval mode of each module of a compiled Module. Values read on
/// the host are not here: they are guards inside each graph.
/// </summary>
internal sealed class Signature : IEquatable<Signature>
{
    public required ArgSignature[] Args { get; init; }
    public required bool GradEnabled { get; init; }
    public required (string Name, bool Training)[] Modules { get; init; }

    /// <summary>The signature of a call with <paramref name="args"/> (and <paramref name="module"/>'s modes, when compiled from a module).</summary>
    /// <remarks>
    /// <paramref name="dynamic"/>: per argument, its dynamic dims (bits), from the input signature; they apply to
    /// contiguous arguments only (a strided view's layout changes with its sizes, and so would its graph).
    /// </remarks>
    public static Signature Of(Tensor[] args, Module? module, ulong[]? dynamic = null) => new()
    {
        Args = [.. args.Select((a, i) => Arg(a, i, args, dynamic is null || !a.IsContiguous ? 0 : dynamic[i]))],
        GradEnabled = GradMode.Enabled,
        Modules = module is null ? [] : [.. module.NamedModules().Select(m => (m.Name == "" ? module.GetType().Name : m.Name, m.Module.IsTraining))],
    };

    static ArgSignature Arg(Tensor a, int i, Tensor[] args, ulong dynamic) =>
        new(a.Shape, a.DType, a.Device, dynamic != 0 ? [] : (int[])a.Strides.Clone(), a.RequiresGrad, Array.FindIndex(args, 0, i, b => b.SharesStorage(a)), dynamic);

    /// <summary>Whether some argument has dynamic dims (the key then matches other sizes there).</summary>
    public bool IsDynamic => Args.Any(a => a.Dynamic != 0);

    /// <summary>
    /// Whether a call with <paramref name="args"/> has this signature: what <c>Of(args, module, dynamic).Equals(this)</c>
    /// says for the dynamic dims this signature was made with, without building one (every call asks).
    /// </summary>
    public bool Matches(Tensor[] args, Module? module)
    {
        if (args.Length != Args.Length || GradEnabled != GradMode.Enabled) return false;
        for (int i = 0; i < args.Length; i++)
            if (!Args[i].Matches(args, i)) return false;
        if (module is null) return Modules.Length == 0;
        int k = 0;
        foreach (var (_, m) in module.NamedModules())
            if (k >= Modules.Length || Modules[k++].Training != m.IsTraining) return false;
        return k == Modules.Length;
    }

    /// <summary>What changed from <paramref name="old"/> to this one, e.g. <c>x: shape [64, 784] -> [32, 784]</c>.</summary>
    public string DifferenceFrom(Signature old, IReadOnlyList<string> names)
    {
        var changes = new List<string>();
        if (old.Args.Length != Args.Length) changes.Add($"number of arguments {old.Args.Length} -> {Args.Length}");
        for (int i = 0; i < Math.Min(old.Args.Length, Args.Length); i++)
        {
            var (a, b) = (old.Args[i], Args[i]);
            string name = i < names.Count ? names[i] : $"args[{i}]";
            if (!a.Shape.Equals(b.Shape)) changes.Add($"{name}: shape {a.Shape} -> {b.Shape}");
            if (a.DType != b.DType) changes.Add($"{name}: dtype {a.DType.TorchName()} -> {b.DType.TorchName()}");
            if (!a.Device.Equals(b.Device)) changes.Add($"{name}: device {a.Device} -> {b.Device}");
            if (a.Shape.Equals(b.Shape) && !a.Strides.AsSpan().SequenceEqual(b.Strides))
                changes.Add($"{name}: strides [{string.Join(", ", a.Strides)}] -> [{string.Join(", ", b.Strides)}]");
            if (a.RequiresGrad != b.RequiresGrad) changes.Add($"{name}: requires_grad {Lower(a.RequiresGrad)} -> {Lower(b.RequiresGrad)}");
            if (a.SameAs != b.SameAs) changes.Add($"{name}: shares memory with {(a.SameAs < 0 ? "no other argument" : $"argument {a.SameAs}")} -> {(b.SameAs < 0 ? "no other argument" : $"argument {b.SameAs}")}");
        }
        if (old.GradEnabled != GradEnabled) changes.Add($"grad mode {(old.GradEnabled ? "on" : "off")} -> {(GradEnabled ? "on" : "off")}");
        for (int i = 0; i < Math.Min(old.Modules.Length, Modules.Length); i++)
            if (old.Modules[i].Training != Modules[i].Training)
                changes.Add($"module {Modules[i].Name}: {(old.Modules[i].Training ? "train" : "eval")} -> {(Modules[i].Training ? "train" : "eval")} mode");
        return string.Join("; ", changes);
    }

    static string Lower(bool b) => b ? "true" : "false";

    /// <summary>How many of the parts differ from <paramref name="other"/> (to name the nearest earlier trace).</summary>
    public int Distance(Signature other) => DifferenceFrom(other, []).Split("; ", StringSplitOptions.RemoveEmptyEntries).Length;

    public bool Equals(Signature? other) =>
        other is not null && GradEnabled == other.GradEnabled && Args.AsSpan().SequenceEqual(other.Args) && Modules.AsSpan().SequenceEqual(other.Modules);

    public override bool Equals(object? obj) => obj is Signature s && Equals(s);

    public override int GetHashCode() => HashCode.Combine(Args.Length, GradEnabled, Args.Length > 0 ? Args[0].GetHashCode() : 0);

    public override string ToString() => string.Join(", ", Args.Select(a => a.ToString()));
}
