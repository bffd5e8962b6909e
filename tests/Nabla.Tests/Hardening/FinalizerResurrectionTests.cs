using System.Runtime.CompilerServices;
using Nabla.Backends;
using Nabla.Backends.Cpu;
using Nabla.Tests.Autodiff;
using static Nabla.Tests.Backends.PoolProbe;

namespace Nabla.Tests.Hardening;

/// <summary>
/// An object whose finalizer stores a tensor in a static brings that tensor back to life after the GC
/// found it dead. Its pool lease was queued for finalization by the same collection; if the lease returned
/// the array, a new tensor would get it and the resurrected one would show that tensor's values (issue 11,
/// point 9). The lease must wait until the storage is truly unreachable. Runs alone: it forces
/// collections and watches which array new tensors get.
/// </summary>
[Collection(nameof(MemoryCollection))]
public class FinalizerResurrectionTests
{
    const int N = 20_011;                           // 80 KB of float32: pooled; no other test uses this length

    sealed class Resurrector(Tensor kept)
    {
        public static Tensor? Saved;
        ~Resurrector() { Saved = kept; }
    }

    // In its own frame so that nothing but the resurrector holds the tensor when it returns.
    [MethodImpl(MethodImplOptions.NoInlining)]
    static float[] MakeResurrector(float value)
    {
        var t = Tensor.Full([N], value);
        _ = new Resurrector(t);
        using (RawAccess.Enter()) return t.Data<float>();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static float[] DropFilled(int length, float value)
    {
        var t = Tensor.Full([length], value);
        using (RawAccess.Enter()) return t.Data<float>();
    }

    // Everything that touches the resurrected tensor happens here, so the test's own frame (kept alive
    // whole in Debug builds) never holds it.
    [MethodImpl(MethodImplOptions.NoInlining)]
    static void CheckResurrectedKeepsItsData(float[] array, List<float[]> rentedMeanwhile)
    {
        var back = Assert.IsType<Tensor>(Resurrector.Saved);
        // New tensors of the same length, alive at once, must not get the resurrected tensor's array.
        var others = new Tensor[4];
        for (int i = 0; i < others.Length; i++)
        {
            others[i] = Tensor.Full([N], -1 - i);
            using (RawAccess.Enter()) rentedMeanwhile.Add(others[i].Data<float>());
        }
        Assert.DoesNotContain(rentedMeanwhile, a => ReferenceEquals(a, array));
        Assert.All(back.ToArray<float>(), v => Assert.Equal(7f, v));
        Assert.Equal(7f * N, back.Sum().Item<float>());
        for (int i = 0; i < others.Length; i++) Assert.Equal(-1f - i, others[i].Max().Item<float>());
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static List<float[]> RentAll(int count)
    {
        var tensors = Enumerable.Range(0, count).Select(_ => CpuTensor.Empty(DType.Float32, new Shape(N))).ToList();
        using (RawAccess.Enter()) return tensors.Select(t => t.Data<float>()).ToList();
    }

    [Fact]
    public void ResurrectedTensorKeepsItsOwnDataWhileNewTensorsAreMade()
    {
        Resurrector.Saved = null;
        long deferredBefore = PoolLease<float>.Deferred;
        var array = MakeResurrector(7);
        CollectAndFinalize();                       // the resurrector's and the lease's finalizers both ran
        Assert.NotNull(Resurrector.Saved);
        Assert.True(PoolLease<float>.Deferred > deferredBefore, "the lease should have found its storage still reachable");
        CheckResurrectedKeepsItsData(array, []);

        // Once the resurrected tensor is dropped for good, its array does go back to the pool: among the
        // five arrays of this length now free (it and the four others'), the next five tensors get it.
        Resurrector.Saved = null;
        CollectAndFinalize();
        CollectAndFinalize();
        Assert.Contains(RentAll(5), a => ReferenceEquals(a, array));
    }

    [Fact]
    public void StorageDeadWithoutResurrectionReturnsAfterOneCollection()
    {
        // The ordinary case keeps its latency: no finalizer holds the storage, so the lease returns the
        // array on its first run and the next tensor of that length gets it.
        const int n = 20_021;
        var array = DropFilled(n, 5);
        CollectAndFinalize();
        Assert.Same(array, DropFilled(n, 6));
    }
}
