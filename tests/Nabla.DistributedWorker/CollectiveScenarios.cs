using System.Globalization;
using Nabla.Distributed;

namespace Nabla.DistributedWorker;

/// <summary>Collectives on tensors: each rank prints "rank R: name values" lines that the tests compare.</summary>
internal static class CollectiveScenarios
{
    public static readonly (string, Func<string[], int>)[] List =
    [
        ("collectives", Collectives),
        ("shape-mismatch", ShapeMismatch),
        ("hang", Hang),
        ("hang-allreduce", HangInAllReduce),
        ("exit-early", ExitEarly),
        ("crash", Crash),
        ("threads", KernelThreads),
    ];

    static string Values(Tensor t) =>
        string.Join(" ", t.To(DType.Float64).Reshape(-1).ToArray<double>().Select(v => v.ToString("R", CultureInfo.InvariantCulture)));

    static void Print(ProcessGroup world, string name, Tensor t) =>
        Console.WriteLine($"rank {world.Rank}: {name} [{string.Join(",", t.Shape.ToArray())}] {Values(t)}");

    // Every collective and reduce op, on values that depend on the rank: r + 1 + i/4.
    static int Collectives(string[] args)
    {
        using var world = ProcessGroup.Init();
        int r = world.Rank, n = world.Size;
        Console.WriteLine($"rank {r}: size {n} local {world.LocalRank} backend {world.Backend}");
        Console.WriteLine($"rank {r}: library {world.MpiLibraryVersion}");
        var x = (Tensor.Arange(0, 6, 1, DType.Float64) / 4 + (r + 1)).Reshape(2, 3);
        Print(world, "sum", world.AllReduce(x));
        Print(world, "average", world.AllReduce(x, ReduceOp.Average));
        Print(world, "max", world.AllReduce(x, ReduceOp.Max));
        Print(world, "min", world.AllReduce(x, ReduceOp.Min));
        Print(world, "product", world.AllReduce(x, ReduceOp.Product));
        Print(world, "sum-float32", world.AllReduce(x.To(DType.Float32)));
        Print(world, "sum-int64", world.AllReduce(Tensor.Full([2], r + 1.0, DType.Int64)));
        Print(world, "broadcast", world.Broadcast(x, root: n - 1));
        Print(world, "gather", world.AllGather(x));
        Print(world, "gather-scalar", world.AllGather(Tensor.Full([], (double)r, DType.Float64)));
        Print(world, "reduce-scatter", world.ReduceScatter(Tensor.Arange(0, 2 * n, 1, DType.Float64) + r));
        var inPlace = x.Clone();
        world.AllReduceInPlace(inPlace);
        Print(world, "in-place", inPlace);
        Console.WriteLine($"rank {r}: metric {world.AllReduce(r + 0.5).ToString("R", CultureInfo.InvariantCulture)}");
        world.Barrier();
        return 0;
    }

    // Rank r passes r + 1 elements: every rank must throw the same message, naming each rank's shape.
    static int ShapeMismatch(string[] args)
    {
        using var world = ProcessGroup.Init();
        try
        {
            world.AllReduce(Tensor.Zeros(world.Rank + 1));
            Console.WriteLine($"rank {world.Rank}: no error");
            return 1;
        }
        catch (DistributedException e)
        {
            Console.WriteLine($"rank {world.Rank}: error {e.Message}");
            return 0;
        }
    }

    // The last rank sleeps past the timeout (args[0] seconds) before joining a barrier.
    static int Hang(string[] args)
    {
        var timeout = TimeSpan.FromSeconds(double.Parse(args[0], CultureInfo.InvariantCulture));
        using var world = ProcessGroup.Init(new ProcessGroupOptions { Timeout = timeout });
        world.AllReduce(Tensor.Ones(3));
        if (world.Rank == world.Size - 1) Thread.Sleep(TimeSpan.FromMinutes(5));
        world.Barrier();
        return 0;
    }

    // As Hang, but the others wait in an all-reduce (which, unchecked, blocks inside MPI_Allreduce).
    static int HangInAllReduce(string[] args)
    {
        var timeout = TimeSpan.FromSeconds(double.Parse(args[0], CultureInfo.InvariantCulture));
        using var world = ProcessGroup.Init(new ProcessGroupOptions { Timeout = timeout });
        world.AllReduce(Tensor.Ones(3));
        if (world.Rank == world.Size - 1) Thread.Sleep(TimeSpan.FromMinutes(5));
        world.AllReduce(Tensor.Ones(3));
        return 0;
    }

    // The last rank exits with code 3 before the second collective.
    static int ExitEarly(string[] args)
    {
        using var world = ProcessGroup.Init(new ProcessGroupOptions { Timeout = TimeSpan.FromSeconds(60) });
        world.AllReduce(Tensor.Ones(3));
        if (world.Rank == world.Size - 1) Environment.Exit(3);
        world.AllReduce(Tensor.Ones(3));
        return 0;
    }

    // The last rank is killed (SIGKILL, no handler runs) before the second collective.
    static int Crash(string[] args)
    {
        using var world = ProcessGroup.Init(new ProcessGroupOptions { Timeout = TimeSpan.FromSeconds(60) });
        world.AllReduce(Tensor.Ones(3));
        if (world.Rank == world.Size - 1) System.Diagnostics.Process.GetCurrentProcess().Kill();
        world.AllReduce(Tensor.Ones(3));
        return 0;
    }

    // The kernel thread count each rank ends up with after Init.
    static int KernelThreads(string[] args)
    {
        using var world = ProcessGroup.Init();
        Console.WriteLine($"rank {world.Rank}: threads {Threads.Count} local-size {world.LocalSize}");
        return 0;
    }
}
