using System;

namespace ParallelKit;

/// <summary>
/// A held cross-process lock (of a <see cref="SharedValue{T}"/>, a <see cref="SharedArray{T}"/>, a
/// <c>[SharedValue]</c> object or a process lock); disposing it releases the lock. Use it with
/// <see langword="using"/>, on the thread that took it: <c>using (counter.Lock()) { counter.Value++; }</c>.
/// </summary>
public readonly unsafe struct LockScope : IDisposable
{
    private readonly int* _word;

    // Keeps the shared memory mapped while the scope lives, however the code that took it holds its owner.
    private readonly object? _owner;

    internal LockScope(int* word, object owner, bool wasAbandoned)
    {
        _word = word;
        _owner = owner;
        WasAbandoned = wasAbandoned;
    }

    /// <summary>
    /// Whether the previous holder died (its process was killed, or its thread ended) while holding the
    /// lock. The lock is held all the same; the state it guards may be half-updated.
    /// </summary>
    public bool WasAbandoned { get; }

    /// <summary>Releases the lock.</summary>
    /// <exception cref="System.Threading.SynchronizationLockException">The calling thread does not hold the lock.</exception>
    public void Dispose()
    {
        if (_word != null)
        {
            Sync.RobustLock.Exit(_word);
            GC.KeepAlive(_owner);
        }
    }
}
