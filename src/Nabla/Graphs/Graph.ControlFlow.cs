using Nabla.Engine;
using Nabla.Graphs;

namespace Nabla;

// Control flow that lives in the graph (tf.cond / tf.while_loop, jax.lax.cond / while_loop / scan).
public static partial class Graph
{
    /// <summary>
    /// <paramref name="ifTrue"/>() when <paramref name="pred"/> holds, else <paramref name="ifFalse"/>(): a
    /// branch on a tensor's value that stays a branch in a compiled function (tf.cond, jax.lax.cond). Eagerly it
    /// is a C# <c>if</c> on the value. Inside <see cref="Compile(Func{Tensor, Tensor}, CompileOptions?)"/> both
    /// branches are traced once into one graph op and each call takes the branch its predicate picks, with no
    /// guard and no retrace. Gradients (Backward, tapes, Autograd.Grad, forward mode, any order) flow through the
    /// taken branch; the other gets none, as in PyTorch and TensorFlow.
    /// </summary>
    /// <param name="pred">A one-element tensor (any shape): a bool, or a number where nonzero (NaN included) is true.</param>
    /// <param name="ifTrue">The branch for a true predicate. Tensors from outside are read by reference, as in a compiled function.</param>
    /// <param name="ifFalse">The branch for a false predicate; in a compiled function it must return the shape, dtype and device of <paramref name="ifTrue"/>'s result.</param>
    /// <remarks>
    /// In a compiled function both branches run once when traced, on the call's real values (the result of the one
    /// not taken is dropped and its random draws are given back), so a branch must not update tensors in place, run
    /// a backward pass, or read a floating value to the host: each is an error or makes the function run eagerly.
    /// C# side effects of a branch (printing) happen only while tracing. The result may be a new tensor even when a
    /// branch returns one of its inputs unchanged.
    /// </remarks>
    /// <example><code>
    /// var f = Graph.Compile((Tensor x) => Graph.Cond(x.Sum().Gt(0.0), () => x * 2.0, () => x * 3.0));
    /// f.Call(pos); f.Call(neg);   // one trace serves both signs
    /// </code></example>
    public static Tensor Cond(Tensor pred, Func<Tensor> ifTrue, Func<Tensor> ifFalse)
    {
        ArgumentNullException.ThrowIfNull(ifTrue);
        ArgumentNullException.ThrowIfNull(ifFalse);
        return ControlFlow.Cond(pred, _ => [Returned(ifTrue(), "the ifTrue branch")], _ => [Returned(ifFalse(), "the ifFalse branch")])[0];
    }

    /// <summary>The several-output form of <see cref="Cond(Tensor, Func{Tensor}, Func{Tensor})"/>: both branches return the same number of tensors (at least one).</summary>
    public static Tensor[] Cond(Tensor pred, Func<Tensor[]> ifTrue, Func<Tensor[]> ifFalse)
    {
        ArgumentNullException.ThrowIfNull(ifTrue);
        ArgumentNullException.ThrowIfNull(ifFalse);
        return ControlFlow.Cond(pred, _ => Returned(ifTrue(), "the ifTrue branch"), _ => Returned(ifFalse(), "the ifFalse branch"));
    }

    /// <summary>
    /// Repeats <c>loopVars = body(loopVars)</c> while <paramref name="cond"/>(loopVars) holds, at most
    /// <paramref name="maxIterations"/> times (tf.while_loop; jax.lax.while_loop), and returns the final loop
    /// variables. Eagerly it is a C# <c>while</c>; in a compiled function the loop is one graph op, so the trip
    /// count follows each call's data with no retrace. Each loop variable keeps its shape, dtype and device
    /// (TensorFlow's shape invariants): a body that changes one is an error. Reverse mode keeps what each iteration
    /// needs (unlike jax.lax.while_loop, which has no reverse mode), forward mode works too, to any order.
    /// </summary>
    /// <param name="cond">The loop variables -> a one-element predicate (bool, or a number where nonzero is true).</param>
    /// <param name="body">The loop variables -> their next values, one per loop variable, in order.</param>
    /// <param name="loopVars">The initial values (at least one).</param>
    /// <param name="maxIterations">When given, the loop stops after this many iterations even if cond still holds (as TF's maximum_iterations); must be 0 or more.</param>
    /// <remarks>
    /// In a compiled function, cond and body are traced once (body also when this call runs it zero times, on the
    /// initial values, dropping its result and giving its random draws back), so they must not update tensors in
    /// place, run a backward pass, or read a floating value to the host. Their C# side effects happen only while tracing.
    /// </remarks>
    /// <example><code>
    /// // Newton's iteration for sqrt(a), until converged: the trip count depends on a.
    /// var r = Graph.WhileLoop(v => (v[0] * v[0] - a).Abs().Gt(1e-10), v => [(v[0] + a / v[0]) * 0.5], [a], maxIterations: 100)[0];
    /// </code></example>
    public static Tensor[] WhileLoop(Func<Tensor[], Tensor> cond, Func<Tensor[], Tensor[]> body, Tensor[] loopVars, int? maxIterations = null)
    {
        ArgumentNullException.ThrowIfNull(cond);
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(loopVars);
        if (loopVars.Length == 0) throw Errors.Arg(ControlFlow.WhileName, "loopVars is empty; give at least one loop variable.");
        for (int i = 0; i < loopVars.Length; i++)
            if (loopVars[i] is null) throw Errors.Arg(ControlFlow.WhileName, $"loopVars[{i}] is null.");
        if (maxIterations < 0)
            throw Errors.Arg(ControlFlow.WhileName, $"maxIterations must be 0 or more (or null for no limit), got {maxIterations}.");
        return ControlFlow.While(
            v => [cond(v) ?? throw Errors.State(ControlFlow.WhileName, "the cond function returned null; it must return a one-element predicate tensor.")],
            v => body(v) ?? throw Errors.State(ControlFlow.WhileName, "the body returned null; it must return the next value of each loop variable."),
            loopVars, maxIterations);
    }

    /// <summary>The one-variable form of <see cref="WhileLoop(Func{Tensor[], Tensor}, Func{Tensor[], Tensor[]}, Tensor[], int?)"/>.</summary>
    public static Tensor WhileLoop(Func<Tensor, Tensor> cond, Func<Tensor, Tensor> body, Tensor loopVar, int? maxIterations = null)
    {
        ArgumentNullException.ThrowIfNull(cond);
        ArgumentNullException.ThrowIfNull(body);
        return WhileLoop(v => cond(v[0]), v => [body(v[0])], [loopVar], maxIterations)[0];
    }

    /// <summary>
    /// Scans <paramref name="f"/> over the leading dim of <paramref name="xs"/> (jax.lax.scan; tf.scan):
    /// <c>(carry, y[t]) = f(carry, xs[t])</c> for t = 0, 1, ..., starting from <paramref name="init"/>; returns the
    /// final carry and the ys stacked along a new leading dim. The carry keeps its shape, dtype and device, and every
    /// y has one shape. Eagerly it is a C# loop; in a compiled function it is one graph op (f traced once) for any
    /// length of xs. Differentiable in both modes, to any order, with respect to init, xs and captured tensors.
    /// </summary>
    /// <param name="f">(carry, slice) -> (next carry, y).</param>
    /// <param name="init">The initial carry.</param>
    /// <param name="xs">Scanned along dim 0 (rank 1 or more). With length 0, f runs once on zeros only to learn y's shape; the ys are then empty.</param>
    /// <param name="reverse">Step from the last slice to the first (ys stay in xs's order), as JAX's reverse.</param>
    /// <example><code>
    /// var (total, cumsum) = Graph.Scan((c, x) => (c + x, c + x), Tensor.Zeros(3), xs);   // xs: [n, 3]
    /// </code></example>
    public static (Tensor Carry, Tensor Ys) Scan(Func<Tensor, Tensor, (Tensor Carry, Tensor Y)> f, Tensor init, Tensor xs, bool reverse = false)
    {
        ArgumentNullException.ThrowIfNull(f);
        var (carry, ys) = Scan((c, x) =>
        {
            var (next, y) = f(c[0], x[0]);
            return ([next], [y]);
        }, [init], [xs], reverse);
        return (carry[0], ys[0]);
    }

    /// <summary>
    /// The several-tensor form of <see cref="Scan(Func{Tensor, Tensor, ValueTuple{Tensor, Tensor}}, Tensor, Tensor, bool)"/>: f gets
    /// the carry tensors and one slice of each xs (all xs share their leading length) and returns the next carry
    /// and any number of ys, each stacked.
    /// </summary>
    public static (Tensor[] Carry, Tensor[] Ys) Scan(Func<Tensor[], Tensor[], (Tensor[] Carry, Tensor[] Ys)> f, Tensor[] init, Tensor[] xs, bool reverse = false)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(init);
        ArgumentNullException.ThrowIfNull(xs);
        for (int i = 0; i < init.Length; i++)
            if (init[i] is null) throw Errors.Arg(ControlFlow.ScanName, $"init[{i}] is null.");
        int n = init.Length;
        var all = ControlFlow.Scan(args =>
        {
            var (carry, ys) = f(args[..n], args[n..]);
            if (carry is null || ys is null) throw Errors.State(ControlFlow.ScanName, "the step function returned a null array; return the next carry and the ys.");
            if (carry.Length != n)
                throw Errors.State(ControlFlow.ScanName, $"the step function returned {carry.Length} carry tensor(s) where init has {n}; return one per carry tensor, in order.");
            for (int i = 0; i < ys.Length; i++)
                if (ys[i] is null) throw Errors.State(ControlFlow.ScanName, $"the step function returned null as y {i}.");
            return [.. carry, .. ys];
        }, init, xs, reverse);
        return (all[..n], all[n..]);
    }

    static Tensor Returned(Tensor? result, string role) =>
        result ?? throw Errors.State(ControlFlow.CondName, $"{role} returned null; it must return a tensor.");

    static Tensor[] Returned(Tensor[]? results, string role)
    {
        if (results is null || results.Length == 0)
            throw Errors.State(ControlFlow.CondName, $"{role} returned {(results is null ? "null" : "no tensors")}; it must return at least one tensor (as tf.cond).");
        for (int i = 0; i < results.Length; i++)
            if (results[i] is null) throw Errors.State(ControlFlow.CondName, $"{role} returned null as output {i}.");
        return results;
    }
}
