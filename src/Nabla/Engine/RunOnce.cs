namespace Nabla.Engine;

/// <summary>
/// A disposable that runs its action once, on the first Dispose (closing a scope, removing a hook);
/// later calls do nothing, so a double <c>using</c> or a user's second Dispose is harmless.
/// </summary>
internal sealed class RunOnce(Action action) : IDisposable
{
    Action? _action = action;

    public void Dispose() => Interlocked.Exchange(ref _action, null)?.Invoke();
}
