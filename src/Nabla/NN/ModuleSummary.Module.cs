using Nabla.Engine;

namespace Nabla.NN;

public abstract partial class Module
{
    /// <summary>
    /// Runs the module once on <paramref name="inputs"/> and reports every module call with its output shape and parameter
    /// count, and the totals (torchinfo's <c>summary(model, input_size)</c>; print the result for the table). The run is
    /// under <see cref="Autograd.NoGrad"/> and in eval mode (so batch-norm statistics are left alone), through forward
    /// hooks that are removed afterwards; each module's training mode is restored. <see cref="Forward"/> takes one
    /// tensor, so exactly one input is expected.
    /// </summary>
    /// <example><code>
    /// Console.WriteLine(model.Summary(Tensor.Zeros([1, 1, 28, 28])));
    /// </code></example>
    public ModuleSummary Summary(params Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Length != 1 || inputs[0] is null)
            throw Errors.Arg("Module.Summary", $"{GetType().Name}.Forward takes one input tensor, got {inputs.Length}" +
                (inputs.Length == 1 ? " (null)" : "") + "; pass an example batch, e.g. Tensor.Zeros([1, 3, 32, 32]).");
        var modules = NamedModules().ToList();
        var pathOf = new Dictionary<Module, (string Path, int Depth)>(ReferenceEqualityComparer.Instance);
        foreach (var (path, m) in modules) pathOf[m] = (path, path.Length == 0 ? 0 : path.Count(c => c == '.') + 1);

        var rows = new List<(Module Module, Shape? Output)>();
        var open = new Dictionary<Module, Stack<int>>(ReferenceEqualityComparer.Instance);
        var handles = new List<IDisposable>();
        var training = modules.Select(m => m.Module.IsTraining).ToList();
        try
        {
            foreach (var (_, m) in modules)
            {
                // The pre-hook opens a row (call order, containers first); the hook fills in its output shape.
                // The general hooks, so that modules called with several tensors (attention, recurrent layers) are listed
                // too; the row shows the first output's shape (an LSTM's output, not its state).
                handles.Add(m.RegisterForwardArgsPreHook((mod, _) =>
                {
                    if (!open.TryGetValue(mod, out var stack)) open[mod] = stack = new Stack<int>();
                    stack.Push(rows.Count);
                    rows.Add((mod, null));
                    return null;
                }));
                handles.Add(m.RegisterForwardArgsHook((mod, _, outputs) =>
                {
                    int row = open[mod].Pop();
                    rows[row] = (mod, outputs.Count > 0 ? outputs[0]?.Shape : null);
                    return null;
                }));
            }
            Eval();
            using (Autograd.NoGrad()) Call(inputs[0]);
        }
        finally
        {
            foreach (var h in handles) h.Dispose();
            for (int i = 0; i < modules.Count; i++) modules[i].Module._training = training[i];
        }
        return new ModuleSummary(GetType().Name, [inputs[0].Shape], CountRows(rows, pathOf),
            ParameterCount(), ParameterCount(trainableOnly: true));
    }

    static List<ModuleSummaryRow> CountRows(List<(Module Module, Shape? Output)> calls, Dictionary<Module, (string Path, int Depth)> pathOf)
    {
        var counted = new HashSet<Variable>(ReferenceEqualityComparer.Instance);
        var rows = new List<ModuleSummaryRow>();
        foreach (var (m, output) in calls)
        {
            // Own parameters only, each counted at its first row, so the column sums to the total.
            long? own = m._parameters.Count == 0 ? null : m._parameters.Values.Where(counted.Add).Sum(p => (long)p.NumElements);
            var (path, depth) = pathOf.TryGetValue(m, out var at) ? at : ("?", 0);
            rows.Add(new ModuleSummaryRow(path, m.GetType().Name, depth, output!, own));   // every hook ran: Forward returned (a first output is never null)
        }
        return rows;
    }
}
