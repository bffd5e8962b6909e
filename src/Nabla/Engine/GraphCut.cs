using System.Collections.Concurrent;

namespace Nabla.Engine;

/// <summary>
/// Where a tensor was cut from the graph (Detach, NoGrad), kept only as text so it holds no
/// reference to the old graph (a training loop that detaches state must not keep every step alive).
/// </summary>
internal sealed record GraphCut(string Reason)
{
    // One table per kind of cut, keyed by the op's name alone: every op under NoGrad on tracked inputs asks
    // for its cut, so the lookup must not build a key string each time.
    static readonly ConcurrentDictionary<string, GraphCut> NoGradByOp = new(), NoGradientByOp = new(),
        StopByOp = new(), StopAllByOp = new();
    static readonly ConcurrentDictionary<(string, DType), GraphCut> NotFloatingByOp = new();

    public static GraphCut NoGrad(string op) => NoGradByOp.GetOrAdd(op, static o => new GraphCut($"'{o}' computed under NoGrad()"));

    public static GraphCut NoGradient(string op) =>
        NoGradientByOp.GetOrAdd(op, static o => new GraphCut($"'{o}', which has no gradient"));

    public static GraphCut StopRecording(string op) =>
        StopByOp.GetOrAdd(op, static o => new GraphCut($"'{o}' computed under tape.StopRecording()"));

    public static GraphCut StopAllRecording(string op) =>
        StopAllByOp.GetOrAdd(op, static o => new GraphCut($"'{o}' computed under Autograd.StopRecording()"));

    public static GraphCut NotFloating(string op, DType dtype) =>
        NotFloatingByOp.GetOrAdd((op, dtype), static k => new GraphCut($"'{k.Item1}' has a non-floating result ({k.Item2.TorchName()}), which carries no gradient"));
}
