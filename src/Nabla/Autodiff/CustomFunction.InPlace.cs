using Nabla.Engine;
using Nabla.Primitives.Movement;

namespace Nabla;

public abstract partial class CustomFunction
{
    /// <summary>
    /// Applies <see cref="FunctionContext.MarkDirty"/> once Forward has returned, as PyTorch does: every dirty
    /// tensor must be returned (the same object), a leaf that requires grad (or a view of one) can't be
    /// changed in place while the call is recorded, and each dirty tensor's version goes up once.
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
            if ((d.IsLeaf && d.AskedForGrad) || (d.Base is { } b && b.IsLeaf && b.AskedForGrad))
                throw Errors.State(Name,
                    $"a leaf tensor that requires grad ({Errors.Describe(d)}) was marked dirty: it is being used in an in-place " +
                    "operation. Clone() it and pass the clone, or run the function inside 'using (Autograd.NoGrad())'.");
        }
        string? where = GradMode.AnomalyDetection ? CallSite.Describe() : null;
        foreach (var d in ctx.Dirty) d.VersionCounter.Bump(Name, where);
    }

    /// <summary>
    /// For each dirty output that is a view, recorded: the function's node is recorded on a stand-in for the
    /// view's new value (returned by index), so the base's history can be rewritten through the view
    /// (<see cref="ViewHistory"/>), as for a built-in in-place op on a view.
    /// </summary>
    static Tensor?[] StandInsForDirtyViews(FunctionContext ctx, Tensor[] outputs, bool recorded)
    {
        var standIns = new Tensor?[outputs.Length];
        if (!recorded && !ForwardMode.Active) return standIns;
        for (int i = 0; i < outputs.Length; i++)
            if (ctx.IsDirty(outputs[i]) && outputs[i].IsView && outputs[i].DType.IsFloating())
                standIns[i] = outputs[i].View(outputs[i].Shape, outputs[i].Strides, outputs[i].Offset);
        return standIns;
    }

    /// <summary>
    /// Gives each dirty view's base the history "old base with the view's region replaced by the function's
    /// output", then rebuilds the views this call touched (their version stamps were refreshed while the
    /// node was recorded); other views of the base rebuild when next used, as the version moved.
    /// </summary>
    void RewriteBasesOfDirtyViews(Tensor[] outputs, Tensor?[] standIns, Tensor[] inputs)
    {
        for (int i = 0; i < outputs.Length; i++)
        {
            if (standIns[i] is not { } value) continue;
            var view = outputs[i];
            var baseTensor = view.Base!;
            ViewHistory.RewriteBase(Name, view, baseTensor, value);
            foreach (var t in inputs)
                if (ReferenceEquals(t.Base, baseTensor)) ViewHistory.Regenerate(t, baseTensor);
            ViewHistory.Regenerate(view, baseTensor);
        }
    }
}
