namespace Nabla.Graphs;

/// <summary>One SSA value of a traced graph: written once (by a parameter, a capture or an op), read by later ops.</summary>
/// <param name="Id">Its number, printed as <c>%Id</c>; the index into <see cref="TracedGraph.Values"/>.</param>
/// <param name="Shape">The shape it had when traced (replays run under the same signature, so the same shape).</param>
/// <param name="DType">Its element type.</param>
/// <param name="Device">Where it lives.</param>
internal sealed record GraphValue(int Id, Shape Shape, DType DType, Device Device);
