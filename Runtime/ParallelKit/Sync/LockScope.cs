using System;
using ParallelKit.SharedMemory;
using ParallelKit.Sync;

namespace ParallelKit;

/// <summary>
/// A held cross-process lock (of a <see cref="SharedValue{T}"/>, a <see cref="SharedArray{T}"/>, a
/// <c>[SharedValue]</c> object or a process lock); disposing it releases the lock. Use it with
/// <see langword="using"/>, on the thread that took it: <c>using (counter.Lock()) { counter.Value++; }</c>.
/// </summary>
public readonly unsafe struct LockScope : IDisposable
{
    private readonly int* _word;

    // Keeps the shared memory mapped while the scope lives (a use of the segment, ended by Dispose), even if another
    // thread disposes the object holding it meanwhile.
    private readonly SharedSegment? _segment;

    private LockScope(SharedSegment segment, bool wasAbandoned)
    {
        _segment = segment;
        _word = segment.LockWord;
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
            try
            {
                RobustLock.Exit(_word);
            }
            finally
            {
                _segment!.EndUse();
            }
        }
    }

    /// <summary>Takes the lock in <paramref name="segment"/>'s header, waiting as long as it takes.</summary>
    internal static LockScope Enter(SharedSegment segment, bool reentrant)
    {
        TryEnter(segment, reentrant, -1, out LockScope scope);
        return scope;
    }

    /// <summary>Takes the lock in <paramref name="segment"/>'s header unless <paramref name="timeoutMilliseconds"/> pass first (negative: no limit).</summary>
    /// <exception cref="ObjectDisposedException">The segment was or got disposed in this process.</exception>
    internal static bool TryEnter(SharedSegment segment, bool reentrant, int timeoutMilliseconds, out LockScope scope)
    {
        segment.BeginUse();
        try
        {
            if (RobustLock.Enter(segment.LockWord, reentrant, timeoutMilliseconds, out bool abandoned, segment))
            {
                scope = new LockScope(segment, abandoned);
                return true;
            }
        }
        catch
        {
            segment.EndUse();
            throw;
        }

        segment.EndUse();
        scope = default;
        return false;
    }
}
