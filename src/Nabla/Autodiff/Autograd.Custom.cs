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
            return (value, gy => [gradient(gy)]);
        }).Apply(x);
    }

    /// <summary>The several-input form of <see cref="CustomGradient(Func{Tensor, ValueTuple{Tensor, Func{Tensor, Tensor}}})"/>: the gradient function returns one gradient (or null) per input.</summary>
    public static Func<Tensor[], Tensor> CustomGradient(Func<Tensor[], (Tensor Value, Func<Tensor, Tensor?[]> Gradient)> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return xs => new LambdaGradient(f).Apply(xs);
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

    sealed class LambdaGradient(Func<Tensor[], (Tensor Value, Func<Tensor, Tensor?[]> Gradient)> f) : CustomFunction
    {
        const string GradientKey = "gradient";

        public override string Name => "CustomGradient";

        // f's intermediates (e.g. eˣ in the log1pexp example) feed the gradient function: they are recorded
        // (the value itself gets the custom gradient), so higher derivatives through that function are right.
        internal override bool RecordsForward => true;

        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs)
        {
            var (value, gradient) = f(inputs);
            ctx.Items[GradientKey] = gradient ?? throw Errors.State(Name, "the function returned a null gradient function.");
            return [value ?? throw Errors.State(Name, "the function returned a null value.")];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs)
        {
            ctx.EnsureAlive();
            return ((Func<Tensor, Tensor?[]>)ctx.Items[GradientKey]!)(gradOutputs[0]);
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
