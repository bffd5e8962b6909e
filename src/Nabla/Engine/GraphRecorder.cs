using Nabla.Primitives;

namespace Nabla.Engine;

/// <summary>
/// The reverse-mode interpreter: records a graph node when grad mode is on and an input is tracked
/// (requires grad, or is followed by an active tape), adds it to the tapes that follow its inputs, and
/// otherwise notes on the output where the graph was cut (so a null gradient can be explained).
/// </summary>
internal sealed class GraphRecorder : Interpreter
{
    public override void Call(Primitive op, Tensor[] inputs, ReadOnlySpan<Tensor> outputs)
    {
        Record(op, inputs, outputs[0]);
        // Further differentiable outputs each get a node of their own rule; the others (an argmax) carry no gradient.
        for (int k = 1; k < outputs.Length; k++)
            if (op.OutputRule(k) is { } rule) Record(rule, inputs, outputs[k]);
    }

    /// <summary>Records <paramref name="y"/> = <paramref name="op"/>(<paramref name="inputs"/>), already computed.</summary>
    public static void Record(Primitive op, Tensor[] inputs, Tensor y)
    {
        bool gradEnabled = GradMode.Enabled;
        var tapes = gradEnabled ? Tapes.Active : null;
        if (tapes is not null) WatchAccessedVariables(tapes, inputs);
        bool tracked = AnyRequiresGrad(inputs) || (tapes is not null && AnyTapeTracks(tapes, inputs));
        if (gradEnabled && tracked && y.DType.IsFloating())
        {
            var next = new GradNode?[inputs.Length];
            GraphCut? cutBelow = null;
            for (int i = 0; i < inputs.Length; i++)
            {
                if (inputs[i].RequiresGrad || (tapes is not null && Tapes.Follows(inputs[i])))
                    next[i] = inputs[i].GradEdge();
                else cutBelow ??= inputs[i].Cut;
            }
            var node = new OpNode(op, inputs, y, next) { CutBelow = cutBelow };
            y.GradFn = node;
            if (tapes is not null)
                foreach (var tape in tapes)
                    if (!tape.Paused && AnyTracks(tape, inputs)) tape.Add(node);
        }
        else if (CutHere(op, inputs, y, gradEnabled, tracked) is { } cut)
        {
            // Remember that the graph was cut here, so "why is my gradient null?" can be answered.
            y.Cut = cut;
        }
    }

    /// <summary>Why an op whose output gets no node cuts the graph (null: nothing differentiable was cut).</summary>
    static GraphCut? CutHere(Primitive op, Tensor[] inputs, Tensor y, bool gradEnabled, bool tracked)
    {
        // An input is followed when it requires grad or some active tape (recording or not) tracks it.
        bool followed = tracked || AnyRequiresGrad(inputs);
        if (!followed && Tapes.Open is { } all)
            foreach (var tape in all)
                if (AnyTracks(tape, inputs)) followed = true;
        if (!followed) return AnyCut(inputs);
        if (!y.DType.IsFloating()) return GraphCut.NotFloating(op.Name, y.DType);
        if (GradMode.RecordingStoppedAt is not null) return GraphCut.StopAllRecording(op.Name);
        return gradEnabled ? GraphCut.StopRecording(op.Name) : GraphCut.NoGrad(op.Name);
    }

    static void WatchAccessedVariables(TapeRecord[] tapes, Tensor[] inputs)
    {
        foreach (var tape in tapes)
        {
            if (tape.Paused || !tape.WatchAccessedVariables) continue;
            foreach (var x in inputs)
                if (x.IsTrainableVariable) tape.Watch(x);
        }
    }

    static bool AnyRequiresGrad(Tensor[] inputs)
    {
        foreach (var t in inputs)
            if (t.RequiresGrad) return true;
        return false;
    }

    static GraphCut? AnyCut(Tensor[] inputs)
    {
        foreach (var t in inputs)
            if (t.Cut is { } cut) return cut;
        return null;
    }

    static bool AnyTapeTracks(TapeRecord[] tapes, Tensor[] inputs)
    {
        foreach (var tape in tapes)
            if (!tape.Paused && AnyTracks(tape, inputs)) return true;
        return false;
    }

    static bool AnyTracks(TapeRecord tape, Tensor[] inputs)
    {
        foreach (var t in inputs)
            if (tape.Tracks(t)) return true;
        return false;
    }
}
