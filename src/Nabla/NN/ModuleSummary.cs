using System.Globalization;
using System.Text;

namespace Nabla.NN;

/// <summary>One call of a module during <see cref="Module.Summary"/>: a row of the table.</summary>
/// <param name="Path">The module's dotted name in the tree (<c>"features.0"</c>; <c>""</c> for the module summarized).</param>
/// <param name="TypeName">The module's class name (<c>"Conv2d"</c>).</param>
/// <param name="Depth">Nesting depth: 0 for the module summarized, 1 for its children, ...</param>
/// <param name="OutputShape">The shape of what the call returned.</param>
/// <param name="ParameterCount">
/// Elements of the module's own parameters (not its children's; a parameter shared with an earlier row, or a second call of
/// the same module, counts 0 here, so the column adds up to the total). Null for a module with no parameters of its own.
/// </param>
public sealed record ModuleSummaryRow(string Path, string TypeName, int Depth, Shape OutputShape, long? ParameterCount);

/// <summary>
/// What <see cref="Module.Summary"/> found (torchinfo's summary): one row per module call in the order the calls
/// started, with output shapes and parameter counts, and the totals. <see cref="ToString"/> prints the table.
/// </summary>
public sealed class ModuleSummary
{
    internal ModuleSummary(string modelName, IReadOnlyList<Shape> inputShapes, IReadOnlyList<ModuleSummaryRow> rows,
        long total, long trainable)
    {
        ModelName = modelName;
        InputShapes = inputShapes;
        Rows = rows;
        TotalParameters = total;
        TrainableParameters = trainable;
    }

    /// <summary>The summarized module's class name.</summary>
    public string ModelName { get; }

    /// <summary>The shapes of the inputs the summary ran on.</summary>
    public IReadOnlyList<Shape> InputShapes { get; }

    /// <summary>The module calls, in the order they started (a container before its children).</summary>
    public IReadOnlyList<ModuleSummaryRow> Rows { get; }

    /// <summary>Parameter elements in the whole tree, shared parameters once (<see cref="Module.ParameterCount"/>).</summary>
    public long TotalParameters { get; }

    /// <summary>The elements of parameters that require grad.</summary>
    public long TrainableParameters { get; }

    /// <summary>The elements of frozen parameters (that do not require grad).</summary>
    public long NonTrainableParameters => TotalParameters - TrainableParameters;

    /// <summary>
    /// The table: each call as "name (Type)" indented by depth, its output shape and its own parameter count ("--" for
    /// none), then the input shapes and the totals, with thousands separators, as torchinfo prints them.
    /// </summary>
    public override string ToString()
    {
        var names = Rows.Select(r => r.Depth == 0 ? r.TypeName : new string(' ', 2 * r.Depth) + $"{LastName(r.Path)} ({r.TypeName})").ToList();
        var shapes = Rows.Select(r => r.OutputShape.ToString()).ToList();
        var counts = Rows.Select(r => r.ParameterCount is { } n ? Count(n) : "--").ToList();
        int w1 = Math.Max("Layer (type)".Length, names.Max(n => n.Length)) + 3;
        int w2 = Math.Max("Output Shape".Length, shapes.Max(s => s.Length)) + 3;
        int w3 = Math.Max("Param #".Length, counts.Max(c => c.Length));
        string rule = new('=', w1 + w2 + w3);
        var sb = new StringBuilder();
        sb.AppendLine(rule);
        sb.Append("Layer (type)".PadRight(w1)).Append("Output Shape".PadRight(w2)).AppendLine("Param #".PadLeft(w3));
        sb.AppendLine(rule);
        for (int i = 0; i < Rows.Count; i++)
            sb.Append(names[i].PadRight(w1)).Append(shapes[i].PadRight(w2)).AppendLine(counts[i].PadLeft(w3));
        sb.AppendLine(rule);
        sb.AppendLine($"Input shape{(InputShapes.Count == 1 ? "" : "s")}: {string.Join(", ", InputShapes)}");
        sb.AppendLine($"Total params: {Count(TotalParameters)}");
        sb.AppendLine($"Trainable params: {Count(TrainableParameters)}");
        sb.AppendLine($"Non-trainable params: {Count(NonTrainableParameters)}");
        sb.Append(rule);
        return sb.ToString();
    }

    static string LastName(string path) => path[(path.LastIndexOf('.') + 1)..];

    static string Count(long n) => n.ToString("#,0", CultureInfo.InvariantCulture);
}
