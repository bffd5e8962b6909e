using System.Collections.Concurrent;
using Nabla.Data;

namespace Nabla.Tests.Data;

/// <summary>
/// A dataset whose sample i is [i as float32 scalar, i as int64 scalar] and that records who reads
/// it: how many reads, how many at once, on which threads; it can throw at one index and run a hook
/// (e.g. to block or to signal) on every read.
/// </summary>
sealed class ProbeDataset(int count, int throwAt = -1, Action<int>? onRead = null) : Dataset
{
    int _reads, _active, _maxActive;

    public int Reads => Volatile.Read(ref _reads);
    public int Active => Volatile.Read(ref _active);
    public int MaxActive => Volatile.Read(ref _maxActive);
    public ConcurrentDictionary<int, int> ThreadOf { get; } = new();

    public override int Count => count;

    public override Tensor[] this[int index]
    {
        get
        {
            int now = Interlocked.Increment(ref _active);
            int max;
            while (now > (max = Volatile.Read(ref _maxActive)) && Interlocked.CompareExchange(ref _maxActive, now, max) != max) { }
            try
            {
                Interlocked.Increment(ref _reads);
                ThreadOf[index] = Environment.CurrentManagedThreadId;
                onRead?.Invoke(index);
                if (index == throwAt) throw new ProbeException($"sample {index} is broken");
                return [Tensor.Scalar((float)index), Tensor.Scalar(index, DType.Int64)];
            }
            finally
            {
                Interlocked.Decrement(ref _active);
            }
        }
    }
}

sealed class ProbeException(string message) : Exception(message);
