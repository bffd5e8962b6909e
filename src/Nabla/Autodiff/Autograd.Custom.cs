using Nabla.Engine;

namespace Nabla;

public static partial class Autograd
{
    /// <summary>
    /// TensorFlow's <c>@tf.custom_gradient</c>: <paramref name="f"/> returns its value and a function
    /// from the output's gradient to the input's gradient; the returned function uses that gradient
    /// instead of differentiating <paramref name="f"/>'s ops (which run unrecorded). Write the gradient
    /// function with Tensor ops to keep higher derivatives.
    /// </summary>
    /// <example><code>
    /// // log(1 + eˣ) with a gradient that stays finite for large x
    /// var log1pexp = Autograd.CustomGradient(x =>
    /// {
    ///     var e = x.Exp();
    ///     return ((1 + e).Log(), gy => gy * (1 - 1 / (1 + e)));
    /// });
    /// </code></example>
    public static Func<Tensor, Tensor> CustomGradient(Func<Tensor, (Tensor Value, Func<Tensor, Tensor> Gradient)> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return x => new LambdaGradient(xs =>
        {
            var (value, gradient) = f(xs[0]);
            return (value, gradient is null ? null! : (gy, _) => [gradient(gy)]);
        }, takesVariables: false).Apply(x);
    }

    /// <summary>The several-input form of <see cref="CustomGradient(Func{Tensor, ValueTuple{Tensor, Func{Tensor, Tensor}}})"/>: the gradient function returns one gradient (or null) per input.</summary>
    public static Func<Tensor[], Tensor> CustomGradient(Func<Tensor[], (Tensor Value, Func<Tensor, Tensor?[]> Gradient)> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return xs => new LambdaGradient(inputs =>
        {
            var (value, gradient) = f(inputs);
            return (value, gradient is null ? null! : (gy, _) => gradient(gy));
        }, takesVariables: false).Apply(xs);
    }

    /// <summary>
    /// TensorFlow's <c>@tf.custom_gradient</c> for a function that reads trainable <see cref="Variable"/>s it
    /// is not given as inputs (a layer's weights): the gradient function receives the output's gradient
    /// and those variables (each once, in the order <paramref name="f"/> first read them; empty when it read
    /// none) and returns the input's gradient and one gradient (or null) per variable, each shaped like its
    /// variable. <see cref="GradientTape.Gradient(Tensor, Tensor, Tensor?, UnconnectedGradients)"/>,
    /// <see cref="Tensor.Backward"/> and <see cref="Grad(Tensor, Tensor, Tensor?, bool?, bool, bool?, bool)"/> use
    /// them for the variables. The plain overloads throw when <paramref name="f"/> reads a trainable variable
    /// that is not an input, as TF requires the gradient function to accept <c>variables</c> then.
    /// </summary>
    /// <example><code>
    /// var w = new Variable(Tensor.FromArray(new[] { 1.0, 1.0 }, [2]));   // y = w[1] x + w[0]
    /// var linear = Autograd.CustomGradient((Tensor x) =>
    /// {
    ///     var y = w[1] * x + w[0];
    ///     return (y, (dy, variables) => (dy * w[1], [Tensor.Stack([dy.Sum(), (dy * x).Sum()])]));
    /// });
    /// </code></example>
    public static Func<Tensor, Tensor> CustomGradient(
        Func<Tensor, (Tensor Value, Func<Tensor, IReadOnlyList<Variable>, (Tensor? Input, Tensor?[] Variables)> Gradient)> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return x => new LambdaGradient(xs =>
        {
            var (value, gradient) = f(xs[0]);
            return (value, gradient is null ? null! : (gy, vs) =>
            {
                var (input, variables) = gradient(gy, vs);
                return Join(1, [input], variables, vs.Count);
            });
        }, takesVariables: true).Apply(x);
    }

    /// <summary>
    /// The several-input form of <see cref="CustomGradient(Func{Tensor, ValueTuple{Tensor, Func{Tensor, IReadOnlyList{Variable}, ValueTuple{Tensor, Tensor[]}}}})"/>:
    /// the gradient function returns one gradient (or null) per input and one per variable.
    /// </summary>
    public static Func<Tensor[], Tensor> CustomGradient(
        Func<Tensor[], (Tensor Value, Func<Tensor, IReadOnlyList<Variable>, (Tensor?[] Inputs, Tensor?[] Variables)> Gradient)> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return xs => new LambdaGradient(inputs =>
        {
            var (value, gradient) = f(inputs);
            return (value, gradient is null ? null! : (gy, vs) =>
            {
                var (ins, variables) = gradient(gy, vs);
                return Join(inputs.Length, ins, variables, vs.Count);
            });
        }, takesVariables: true).Apply(xs);
    }

    /// <summary>The gradients of the inputs then of the variables, after checking both counts (TF's checks).</summary>
    static Tensor?[] Join(int inputCount, Tensor?[]? inputs, Tensor?[]? variables, int variableCount)
    {
        const string op = "CustomGradient";
        if (inputs is null || inputs.Length != inputCount)
            throw Errors.State(op, $"the gradient function returned {inputs?.Length ?? 0} input gradients for {inputCount} inputs; " +
                "return one (or null) per input.");
        if (variables is null || variables.Length != variableCount)
            throw Errors.State(op, $"the gradient function returned {variables?.Length ?? 0} variable gradients but the function read " +
                $"{variableCount} trainable variables; return one gradient (or null) per variable, in the order of the list it was given.");
        return [.. inputs, .. variables];
    }

    /// <summary>
    /// Gradient checkpointing (torch.utils.checkpoint / tf.recompute_grad): runs <paramref name="f"/>
    /// without keeping its intermediate activations, and runs it again during backward to get them.
    /// Same values and gradients (to any order), less memory, one extra forward. The recomputation
    /// replays the default random generator's draws (so dropout masks match) and leaves it where it was.
    /// </summary>
    public static Tensor Checkpoint(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(f);
        return new CheckpointFunction(f).Apply(inputs);
    }

    /// <summary>The one-input form of <see cref="Checkpoint(Func{Tensor[], Tensor}, Tensor[])"/>.</summary>
    public static Tensor Checkpoint(Func<Tensor, Tensor> f, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(f);
        return new CheckpointFunction(xs => f(xs[0])).Apply(input);
    }

    /// <summary>
    /// The custom function behind CustomGradient. <paramref name="f"/> gives the value and a gradient function
    /// from (output gradient, variables read) to the gradients of the inputs then of the variables.
    /// </summary>
    sealed class LambdaGradient(Func<Tensor[], (Tensor Value, Func<Tensor, IReadOnlyList<Variable>, Tensor?[]> Gradient)> f, bool takesVariables)
        : CustomFunction
    {
        const string GradientKey = "gradient", VariablesKey = "variables";

        public override string Name => "CustomGradient";

        // f's intermediates (e.g. eˣ in the log1pexp example) feed the gradient function: they are recorded
        // (the value itself gets the custom gradient), so higher derivatives through that function are right.
        internal override bool RecordsForward => true;

        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs)
        {
            Tensor value;
            Func<Tensor, IReadOnlyList<Variable>, Tensor?[]> gradient;
            VariableWatcher watcher;
            using (VariableWatcher.Start(out watcher)) (value, gradient) = f(inputs);
            ctx.Items[GradientKey] = gradient ?? throw Errors.State(Name, "the function returned a null gradient function.");
            if (value is null) throw Errors.State(Name, "the function returned a null value.");
            // As TF: the variables are those read that are not inputs; they become inputs of the recorded call.
            Variable[] variables = [.. watcher.Used.Where(v => !Array.Exists(inputs, x => ReferenceEquals(x, v)))];
            if (variables.Length > 0 && !takesVariables)
                throw Errors.Arg(Name,
                    $"the function reads trainable variables it was not given as inputs ({string.Join(", ", variables.Select(v => $"'{v.Name}' {Errors.Describe(v)}"))}), " +
                    "so its gradient function must also return their gradients (TF: grad_fn must accept the keyword argument 'variables'). " +
                    "Use the CustomGradient overload whose gradient function takes (dy, variables) and returns (input gradients, variable gradients), " +
                    "or pass the variables as inputs.");
            ctx.Items[VariablesKey] = variables;
            ctx.AddInputs(variables);
            return [value];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs)
        {
            ctx.EnsureAlive();
            var gradient = (Func<Tensor, IReadOnlyList<Variable>, Tensor?[]>)ctx.Items[GradientKey]!;
            return gradient(gradOutputs[0], (Variable[])ctx.Items[VariablesKey]!);
        }
    }

    sealed class CheckpointFunction(Func<Tensor[], Tensor> f) : CustomFunction
    {
        public override string Name => "Checkpoint";

        const string RngKey = "rng";

        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs)
        {
            ctx.SaveForBackward(inputs);
            // As torch.utils.checkpoint: the recomputation must draw the same random numbers (e.g. dropout masks).
            ctx.Items[RngKey] = Generator.Default.State;
            return [f(inputs)];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs)
        {
            var inputs = ctx.SavedTensors;
            // Grad mode is on here only for a higher-order backward (createGraph, or a tape recording this one).
            bool higherOrder = GradMode.Enabled;
            var result = new Tensor?[inputs.Count];
            using (EnableGrad())
            {
                // Recompute on stand-ins for the inputs that need a gradient, so the inner gradient stops at the
                // stand-ins: hooks on the real inputs then run once, in the outer backward. For a higher-order
                // backward a stand-in is a recorded identity of its input, so the gradient stays differentiable
                // with respect to the real input; otherwise a fresh leaf.
                var proxies = new Tensor[inputs.Count];
                var wanted = new List<Tensor>();
                for (int i = 0; i < proxies.Length; i++)
                {
                    if (!ctx.NeedsInputGrad(i))
                    {
                        proxies[i] = higherOrder ? inputs[i] : inputs[i].Detach();
                        continue;
                    }
                    proxies[i] = higherOrder ? inputs[i].Alias() : inputs[i].Detach();
                    if (!proxies[i].RequiresGrad)
                    {
                        // Not followed by anything recording now (e.g. its tape has stopped): a fresh leaf will do.
                        proxies[i] = inputs[i].Detach();
                        proxies[i].RequiresGrad = true;
                    }
                    wanted.Add(proxies[i]);
                }
                if (wanted.Count == 0) return result;
                Tensor y;
                var now = Generator.Default.State;
                Generator.Default.State = ((long, long))ctx.Items[RngKey]!;
                try { y = f(proxies); }
                finally { Generator.Default.State = now; }
                if (!y.RequiresGrad) return result;
                var grads = Grad([y], wanted, [gradOutputs[0]], retainGraph: higherOrder, createGraph: higherOrder, allowUnused: true);
                for (int i = 0, k = 0; i < proxies.Length; i++)
                    if (ctx.NeedsInputGrad(i)) result[i] = grads[k++];
            }
            return result;
        }
    }
}
