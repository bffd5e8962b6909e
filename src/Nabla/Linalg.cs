namespace Nabla;

// NB: part A1 owns this class's summary (its Linalg.cs); this file only stands in for it in part A2's worktree, so the
// documentation build has a summary. At the merge, keep A1's file.
/// <summary>Linear algebra on batches of matrices (torch.linalg): decompositions and matrix norms.</summary>
public static partial class Linalg
{
}
