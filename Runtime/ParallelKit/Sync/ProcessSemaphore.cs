using System;
using System.Threading;
using System.Threading.Tasks;
using MemoryPack;
using ParallelKit.SharedMemory;
using ParallelKit.Sync;

namespace ParallelKit;

/// <summary>
/// A counting semaphore shared by threads and processes — Python's <c>multiprocessing.Semaphore</c>
/// (and <c>BoundedSemaphore</c>, with a maximum). <see cref="Wait()"/> takes one from the count, waiting
/// while it is zero; <see cref="Release"/> gives back. A semaphore has no owner: any thread may release,
/// and counts taken by a process that dies are not returned (use <see cref="ProcessLock"/> for ownership).
/// </summary>
public sealed unsafe class ProcessSemaphore : SharedObject, IMemoryPackFormatterRegister
{
    // Data words: 0 count, 1 sleeping waiters, 2 maximum count.
    private static readonly ulong Tag = TagOf<ProcessSemaphore>();

    /// <summary>Creates a semaphore in new shared memory, owned by this process.</summary>
    /// <param name="initialCount">The initial count.</param>
    /// <param name="maximumCount">The largest count releases may reach (<see cref="int.MaxValue"/>: unbounded).</param>
    public ProcessSemaphore(int initialCount = 1, int maximumCount = int.MaxValue)
        : base(CreateSegment(initialCount, maximumCount))
    {
        *Word(0) = initialCount;
        *Word(2) = maximumCount;
    }

    private ProcessSemaphore(SharedSegment segment)
        : base(segment)
    {
    }

    /// <summary>The current count.</summary>
    public int CurrentCount => Volatile.Read(ref *Word(0));

    /// <summary>Takes one from the count, waiting as long as it takes for it to be above zero.</summary>
    public void Wait() => Wait(-1);

    /// <summary>Takes one from the count unless <paramref name="timeout"/> passes first.</summary>
    /// <param name="timeout">The longest wait (<see cref="Timeout.InfiniteTimeSpan"/>: no limit).</param>
    /// <returns>Whether one was taken.</returns>
    public bool Wait(TimeSpan timeout) => Wait(RobustLock.Milliseconds(timeout));

    /// <summary>
    /// Takes one from the count without blocking the calling thread — <c>SemaphoreSlim.WaitAsync</c>'s form: at
    /// once when the count is above zero, else when another thread or process releases.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (then nothing was taken).</param>
    /// <returns>A task that completes when one was taken.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public Task WaitAsync(CancellationToken cancellationToken = default) => AsyncWait.Run(Wait, -1, cancellationToken);

    /// <summary>Takes one from the count unless <paramref name="timeout"/> passes first, without blocking the calling thread.</summary>
    /// <param name="timeout">The longest wait (<see cref="Timeout.InfiniteTimeSpan"/>: no limit).</param>
    /// <param name="cancellationToken">Stops waiting (then nothing was taken).</param>
    /// <returns>Whether one was taken.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
        => AsyncWait.Run(Wait, RobustLock.Milliseconds(timeout), cancellationToken);

    /// <summary>Gives back <paramref name="releaseCount"/> and wakes as many waiters.</summary>
    /// <param name="releaseCount">How many to give back.</param>
    /// <returns>The count before the release.</returns>
    /// <exception cref="SemaphoreFullException">The count would exceed the maximum.</exception>
    public int Release(int releaseCount = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(releaseCount, 1);
        int* count = Word(0);
        int maximum = *Word(2);
        int previous;
        do
        {
            previous = Volatile.Read(ref *count);
            if (maximum - previous < releaseCount)
            {
                throw new SemaphoreFullException($"Releasing {releaseCount} would take the semaphore's count past its maximum ({maximum}).");
            }
        }
        while (Interlocked.CompareExchange(ref *count, previous + releaseCount, previous) != previous);

        WaitOn(0, 1).Wake(releaseCount);

        return previous;
    }

    internal static ProcessSemaphore Open(string handle) => OpenShared(handle, Tag, static segment => new ProcessSemaphore(segment));

    // Declares the formatter for HandleTypes, which registers it without reflection (trimmed and Native AOT
    // apps too). A static constructor, not a field initializer: it runs before any use of the type, and costs
    // nothing more than storing a delegate.
    static ProcessSemaphore() => HandleTypes.Declare<ProcessSemaphore>(static () => new HandleFormatter<ProcessSemaphore>(Open));

    static void IMemoryPackFormatterRegister.RegisterFormatter() => MemoryPackFormatterProvider.Register(new HandleFormatter<ProcessSemaphore>(Open));

    /// <summary>Checks the arguments before any file is created for the semaphore.</summary>
    private static SharedSegment CreateSegment(int initialCount, int maximumCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(maximumCount, Math.Max(1, initialCount));
        return SharedSegment.Create(3 * sizeof(int), Tag);
    }

    private bool Wait(int timeoutMilliseconds)
    {
        using SegmentUse use = Use();
        int* count = Word(0);
        if (TryTake(count))
        {
            return true;
        }

        // A hand-off between two processes is faster caught by a short spin than by a sleep and a wake-up.
        for (int i = 0; i < 64; i++)
        {
            Thread.SpinWait(4 << Math.Min(i, 5));
            if (TryTake(count))
            {
                return true;
            }
        }

        var available = new CountAvailable(count);
        return WaitOn(0, 1).WaitUntil(ref available, Deadline.After(timeoutMilliseconds), Segment);
    }

    private static bool TryTake(int* count)
    {
        int current = Volatile.Read(ref *count);
        while (current > 0)
        {
            int seen = Interlocked.CompareExchange(ref *count, current - 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    /// <summary>The wait's condition: a unit of the count, taken.</summary>
    private readonly struct CountAvailable(int* count) : IWaitCondition
    {
        public bool IsMet() => TryTake(count);
    }
}
