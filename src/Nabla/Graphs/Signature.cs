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
internal sealed record ArgSignature(Shape Shape, DType DType, Device Device, int[] Strides, bool RequiresGrad, int SameAs)
{
    public bool Equals(ArgSignature? other) =>
        other is not null && Shape.Equals(other.Shape) && DType == other.DType && Device.Equals(other.Device)
        && Strides.AsSpan().SequenceEqual(other.Strides) && RequiresGrad == other.RequiresGrad && SameAs == other.SameAs;

    public override int GetHashCode() => HashCode.Combine(Shape, DType, Device, RequiresGrad, SameAs);

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
    public static Signature Of(Tensor[] args, Module? module) => new()
    {
        Args = [.. args.Select((a, i) => new ArgSignature(a.Shape, a.DType, a.Device, (int[])a.Strides.Clone(), a.RequiresGrad,
            Array.FindIndex(args, 0, i, b => b.SharesStorage(a))))],
        GradEnabled = GradMode.Enabled,
        Modules = module is null ? [] : [.. module.NamedModules().Select(m => (m.Name == "" ? module.GetType().Name : m.Name, m.Module.IsTraining))],
    };

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
