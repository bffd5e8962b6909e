using Nabla.Engine;

namespace Nabla.Distributed;

internal sealed partial class GradientReducer
{
    /// <summary>The name of parameter <paramref name="index"/> in errors.</summary>
    public string NameOf(int index) => names[index];

    /// <summary>
    /// A whole round inside a trace (<c>Graph.Compile</c>): records one <see cref="CollectiveCall"/> per bucket, in bucket
    /// order, each copying its members' gradients into the bucket, all-reducing it (checked: every call compares what
    /// each rank passes, so ranks replaying different graphs fail with an error instead of mixing data) and copying the
    /// average back; then, when <paramref name="findUnused"/>, one op for the used-parameter flags. Every replay runs
    /// these ops again, with that call's gradients, after the traced backward and before what reads them.
    /// </summary>
    /// <returns>
    /// Per parameter, its average: the very tensor of <paramref name="gradients"/> (averaged in place), a new tensor where
    /// this rank had none (zeros counted), or null where no rank had one (only with <paramref name="findUnused"/>).
    /// </returns>
    /// <remarks>
    /// Same buckets, same collectives and same arithmetic as an eager round, so the same bits; but no overlap with
    /// backward: the trace's backward is a list of ops that the replay runs before these.
    /// </remarks>
    public Tensor?[] AverageInGraph(Tensor?[] gradients, bool findUnused)
    {
        var averaged = new Tensor?[parameters.Length];
        using var _ = Autograd.NoGrad();
        for (int b = 0; b < Buckets.Count; b++)
        {
            var members = Buckets[b].Members;
            int[] present = [.. Enumerable.Range(0, members.Length).Where(k => gradients[members[k]] is not null)];
            int[] absent = [.. Enumerable.Range(0, members.Length).Where(k => gradients[members[k]] is null)];
            int bucket = b;
            var call = new CollectiveCall($"{owner}.Bucket{b}AllReduce", given => ReduceBucket(bucket, present, absent, given));
            var outputs = call.ApplyAll([.. present.Select(k => gradients[members[k]]!)]);
            for (int j = 0; j < present.Length; j++) averaged[members[present[j]]] = outputs[j];
            for (int j = 0; j < absent.Length; j++) averaged[members[absent[j]]] = outputs[present.Length + j];
        }
        if (findUnused)
        {
            var used = UsedInGraph([.. gradients.Select(g => g is not null)]);
            for (int i = 0; i < used.Length; i++)
                if (!used[i]) averaged[i] = null;
        }
        return averaged;
    }

    // One replay's bucket: the given gradients (members `present`) and zeros (members `absent`) averaged over the ranks;
    // the given ones are overwritten with their averages, the absent ones' averages are returned as new tensors.
    Tensor[] ReduceBucket(int b, int[] present, int[] absent, Tensor[] given)
    {
        var bucket = Buckets[b];
        Tensor Slot(int k) => bucket.Slice(k, parameters[bucket.Members[k]].Shape);
        for (int j = 0; j < present.Length; j++) Slot(present[j]).CopyFrom(given[j]);
        foreach (int k in absent) Slot(k).Zero();
        string what = $"{owner} bucket {b} (compiled step)";
        ProcessGroup.Wait(group.StartAllReduce(bucket.Flat, ReduceOp.Average, what, checkShapes: true), what);
        for (int j = 0; j < present.Length; j++) given[j].CopyFrom(Slot(present[j]));
        return [.. absent.Select(k => Slot(k).Clone())];
    }

    // Which parameters some rank had a gradient for, as the trace found it. The graph after this op was built for that
    // answer (which .Grad it sets, which gradients it passes on as null), so a replay that gets another one stops.
    bool[] UsedInGraph(bool[] had)
    {
        bool[]? traced = null;
        var call = new CollectiveCall($"{owner}.UsedParameterFlags", _ =>
        {
            var flags = Tensor.FromArray(had.Select(h => h ? 1 : 0).ToArray(), [had.Length]);
            string what = $"{owner} used-parameter flags (compiled step)";
            ProcessGroup.Wait(group.StartAllReduce(flags, ReduceOp.Max, what, checkShapes: true), what);
            bool[] used = [.. flags.ToArray<int>().Select(f => f != 0)];
            if (traced is null) traced = used;
            else if (!used.SequenceEqual(traced))
                throw new DistributedException($"{owner}: in this call of the compiled step, the parameters some rank computed a gradient for " +
                    $"changed since it was traced (now unused on every rank: {Describe(used)}; when traced: {Describe(traced)}). The graph " +
                    "after the all-reduce was built for the traced set and the call can't start over; use the same parameters on every " +
                    $"call of a compiled step, or train that part eagerly (called at {CallSite.Describe()}).");
            return [flags];
        });
        call.ApplyAll();
        return traced!;

        string Describe(bool[] used) => used.All(u => u) ? "none" : string.Join(", ", used.Select((u, i) => (u, i)).Where(x => !x.u).Select(x => names[x.i]));
    }
}
