using System.Collections;

namespace Nabla.Data;

/// <summary>
/// One epoch of batches. With prefetch &gt; 0, batch k+1..k+prefetch are built on the thread pool as a
/// chain of tasks (each starts when the previous finished, so the dataset is used by one thread at
/// a time) while the caller holds batch k. The tasks run without the caller's execution context, so
/// the caller's gradient tapes, no-grad scopes and forward-mode levels do not leak into them.
/// </summary>
internal sealed class BatchEnumerator : IEnumerator<Tensor[]>
{
    readonly Dataset _dataset;
    readonly int[][] _batches;
    readonly int _prefetch;
    readonly CancellationTokenSource _cts;
    readonly Queue<Task<Tensor[]>> _pending = new();
    Task<Tensor[]>? _tail;
    int _scheduled;
    int _consumed;
    bool _finished;
    bool _disposed;
    Tensor[]? _current;

    public BatchEnumerator(Dataset dataset, int[][] batches, int prefetch, CancellationToken token)
    {
        _dataset = dataset;
        _batches = batches;
        _prefetch = prefetch;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(token);
    }

    public Tensor[] Current => _current ?? throw new InvalidOperationException("DataLoader: call MoveNext before reading Current.");

    object IEnumerator.Current => Current;

    public bool MoveNext()
    {
        if (_finished) return false;
        _cts.Token.ThrowIfCancellationRequested();
        try
        {
            if (_prefetch == 0)
            {
                if (_consumed == _batches.Length) return Finish();
                _current = Build(_consumed++);
                return true;
            }
            if (_pending.Count == 0 && _scheduled < _batches.Length) Schedule();
            if (_pending.Count == 0) return Finish();
            var next = _pending.Dequeue();
            while (_pending.Count < _prefetch && _scheduled < _batches.Length) Schedule();
            _current = Wait(next);
            _consumed++;
            return true;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    bool Finish()
    {
        _finished = true;
        _current = null;
        return false;
    }

    Tensor[] Build(int batch)
    {
        _cts.Token.ThrowIfCancellationRequested();
        using (Autograd.NoGrad()) return _dataset.GetBatch(_batches[batch]);
    }

    void Schedule()
    {
        int batch = _scheduled++;
        var previous = _tail;
        using (ExecutionContext.SuppressFlow())
        {
            _tail = previous is null
                ? Task.Factory.StartNew(() => Build(batch), _cts.Token, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default)
                // LazyCancellation: even when cancelled, a link starts only after the previous one ended,
                // so waiting for the last link means all work is over.
                : previous.ContinueWith(_ => Build(batch), _cts.Token,
                    TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.LazyCancellation, TaskScheduler.Default);
        }
        _pending.Enqueue(_tail);
    }

    Tensor[] Wait(Task<Tensor[]> task)
    {
        try { task.Wait(_cts.Token); }
        catch (AggregateException) { }   // rethrown below with its original type and stack
        return task.GetAwaiter().GetResult();
    }

    public void Reset() => throw new NotSupportedException("DataLoader: enumerate the loader again for a new epoch.");

    /// <summary>Stops the background work and waits for it, so the dataset is no longer in use when this returns.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _finished = true;
        _current = null;
        _cts.Cancel();
        if (_tail is { } tail)
        {
            try { tail.Wait(); }
            catch (AggregateException) { }
            foreach (var t in _pending)
                if (t.IsFaulted) _ = t.Exception;   // observed: the caller stopped, nobody wants it
            _pending.Clear();
            _tail = null;
        }
        _cts.Dispose();
    }
}
