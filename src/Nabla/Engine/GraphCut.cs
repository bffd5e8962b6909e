namespace Nabla.Engine;

/// <summary>
/// Where a tensor was cut from the graph (Detach, NoGrad), kept only as text so it holds no
/// reference to the old graph (a training loop that detaches state must not keep every step alive).
/// </summary>
internal sealed record GraphCut(string Reason)
{
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, GraphCut> ByOp = new();

    public static GraphCut NoGrad(string op) => ByOp.GetOrAdd("nograd:" + op, _ => new GraphCut($"'{op}' computed under NoGrad()"));

    public static GraphCut NoGradient(string op) =>
        ByOp.GetOrAdd("nogradient:" + op, _ => new GraphCut($"'{op}', which has no gradient"));

    public static GraphCut StopRecording(string op) =>
        ByOp.GetOrAdd("stop:" + op, _ => new GraphCut($"'{op}' computed under tape.StopRecording()"));

    public static GraphCut StopAllRecording(string op) =>
        ByOp.GetOrAdd("stopall:" + op, _ => new GraphCut($"'{op}' computed under Autograd.StopRecording()"));

    public static GraphCut NotFloating(string op, DType dtype) =>
        ByOp.GetOrAdd($"dtype:{op}:{dtype}", _ => new GraphCut($"'{op}' has a non-floating result ({dtype.TorchName()}), which carries no gradient"));
}
