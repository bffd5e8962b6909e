using Nabla.Engine;
using Nabla.Primitives.Movement;

namespace Nabla;

public abstract partial class CustomFunction
{
    /// <summary>
    /// Applies <see cref="FunctionContext.MarkDirty"/> once Forward has returned, as PyTorch does: every dirty
    /// tensor must be returned (the same object), a leaf that requires grad can't be changed in place while
    /// the call is recorded, and each dirty tensor's version goes up once.
    /// </summary>
    void MarkDirtyInputs(FunctionContext ctx, Tensor[] outputs, bool recorded)
    {
        foreach (var d in ctx.Dirty)
        {
            if (!Array.Exists(outputs, o => ReferenceEquals(o, d)))
                throw Errors.State(Name,
                    $"a tensor given to MarkDirty ({Errors.Describe(d)}) was not returned by Forward. A tensor changed in place " +
                    "must be returned as an output (the very same object), so that its history can move to this function.");
            if (!recorded) continue;
            if (d.IsLeaf && d.RequiresGrad)
                throw Errors.State(Name,
                    $"a leaf tensor that requires grad ({Errors.Describe(d)}) was marked dirty: it is being used in an in-place " +
                    "operation. Clone() it and pass the clone, or run the function inside 'using (Autograd.NoGrad())'.");
            if (d.RequiresGrad && d.IsView)
                throw new NotSupportedException(
                    $"{Name}: an input marked dirty ({Errors.Describe(d)}) is a view of another tensor; changing a view in place " +
                    "in a custom function is not supported while gradients are recorded, because the base tensor's history would " +
                    $"not see the change. Clone() the view and pass the clone. (called from {CallSite.Describe()})");
        }
        string? where = GradMode.AnomalyDetection ? CallSite.Describe() : null;
        foreach (var d in ctx.Dirty) d.VersionCounter.Bump(Name, where);
    }
}
