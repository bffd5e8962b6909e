namespace Nabla.Optim;

/// <summary>The line search <see cref="LBFGS"/> uses (PyTorch's <c>line_search_fn</c>).</summary>
public enum LineSearch
{
    /// <summary>None (PyTorch's <c>None</c>): a fixed step of lr (the first iteration: min(1, 1/|g|₁)·lr).</summary>
    None,

    /// <summary>A line search satisfying the strong Wolfe conditions (PyTorch's <c>"strong_wolfe"</c>; c1 1e-4, c2 0.9, 25 evaluations).</summary>
    StrongWolfe,
}
