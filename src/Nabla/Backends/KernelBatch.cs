namespace Nabla.Backends;

/// <summary>
/// One raw-access scope (<see cref="RawAccess"/>) held open across a row of small kernel runs, so that each
/// run's own scope is a nested one: an outermost scope ticks a clock shared by all threads (an interlocked
/// add), a measurable part of a kernel on a few elements. Hold it only across short work that allocates
/// nothing large: the arrays of storages that die meanwhile are not reused until it closes.
/// </summary>
internal struct KernelBatch
{
    RawAccess.Scope _scope;
    bool _open;

    /// <summary>Opens the scope unless it is open.</summary>
    public void Open()
    {
        if (_open) return;
        _scope = RawAccess.Enter();
        _open = true;
    }

    /// <summary>Closes the scope if it is open.</summary>
    public void Close()
    {
        if (!_open) return;
        _open = false;
        _scope.Dispose();
    }
}
