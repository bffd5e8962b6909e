namespace Nabla.Graphs.Passes;

internal sealed partial class ElementwiseFusion
{
    /// <summary>
    /// Merges a group into a later one that reads its value, so the merged program makes both values in one pass over
    /// memory (a fused op with several outputs): the value is still written once for its other readers, but the later
    /// group no longer reads it back, and inputs both groups read are read once. Adam's update written with tensor ops is
    /// three groups (m', v', and p' reading them back) that become one program with three outputs.
    /// </summary>
    /// <remarks>
    /// The rule, which makes a merge never move more memory than the groups did: the later group reads a value the
    /// earlier one makes (a group of one op counts: an op whose value is also read elsewhere). It is allowed only where
    /// nothing changes but where the values are computed: the merged op runs at its last member's place, so every value
    /// of the merged group read outside it (or returned) must be read only by ops after that place (a group reading one
    /// earlier joins too, see <see cref="Merged"/>); no write, control-flow or custom op may lie between the members (the
    /// same barrier count); one grad mode (<see cref="OneGradMode"/>); at most <see cref="MaxSteps"/> steps. Groups that only share an input are not merged (a sibling merge saves that
    /// input's second read but lengthens the program; not measured).
    /// </remarks>
    static List<List<int>> MergeGroups(List<List<int>> groups, GraphIndex index, PassContext context)
    {
        var ops = context.Graph.Ops;
        var owner = new int[ops.Count];
        Array.Fill(owner, -1);
        for (int g = 0; g < groups.Count; g++)
            foreach (int k in groups[g]) owner[k] = g;
        var live = new bool[groups.Count];
        Array.Fill(live, true);
        // Earlier groups first: a group has taken its own producers before a later one takes it.
        foreach (int b in Enumerable.Range(0, groups.Count).OrderBy(g => groups[g][^1]))
        {
            for (bool grew = live[b]; grew;)
            {
                grew = false;
                foreach (int a in Producers(groups[b], b, owner, index, ops))
                    if (live[a] && Merged([b, a], groups, owner, index, context) is { } taken)
                    {
                        foreach (int g in taken.Skip(1))
                        {
                            groups[b] = [.. groups[b].Concat(groups[g]).Order()];
                            live[g] = false;
                            foreach (int k in groups[g]) owner[k] = b;
                        }
                        grew = true;
                        break;
                    }
            }
        }
        return [.. Enumerable.Range(0, groups.Count).Where(g => live[g]).Select(g => groups[g])];
    }

    /// <summary>The other groups that make a value some member of group <paramref name="b"/> reads.</summary>
    static IEnumerable<int> Producers(List<int> members, int b, int[] owner, GraphIndex index, List<GraphOp> ops)
    {
        var seen = new HashSet<int>();
        foreach (int k in members)
            foreach (int id in ops[k].Inputs)
                if (index.Producer[id] is int p and >= 0 && owner[p] is int a and >= 0 && a != b && seen.Add(a)) yield return a;
    }

    /// <summary>
    /// The groups that merge when <paramref name="taken"/>[1] joins <paramref name="taken"/>[0] (these two first), or
    /// null where the rule forbids it. An op outside that reads a value of the merged group before its last member would
    /// lose its input: when that op is itself in a group, that group joins too (its read is saved as well), else no merge.
    /// </summary>
    static List<int>? Merged(List<int> taken, List<List<int>> groups, int[] owner, GraphIndex index, PassContext context)
    {
        var ops = context.Graph.Ops;
        int barrier = index.Barrier[groups[taken[0]][^1]];
        for (int steps = 0; ;)
        {
            var members = taken.SelectMany(g => groups[g]).ToHashSet();
            if (members.Count > MaxSteps || taken.Skip(steps).Any(g => index.Barrier[groups[g][^1]] != barrier)) return null;
            steps = taken.Count;
            int last = members.Max();
            int before = taken.Count;
            foreach (int k in members)
                foreach (int r in index.Readers[ops[k].Outputs[0]] ?? [])
                {
                    if (members.Contains(r) || r > last) continue;
                    if (owner[r] < 0) return null;
                    if (!taken.Contains(owner[r])) taken.Add(owner[r]);
                }
            if (taken.Count == before) return OneGradMode([.. members.Order()], ops, context) ? taken : null;
        }
    }
}
