using System;
using System.Threading;
using ParallelKit.SharedMemory;
using ParallelKit.Sync;

namespace ParallelKit;

/// <summary>
/// The unfinished-task count of a <see cref="JoinableProcessQueue{T}"/>, in shared memory: one 32-bit word that
/// puts raise and <c>TaskDone</c> lowers, and that joiners sleep on (futex) until it reaches zero.
/// </summary>
internal sealed unsafe class UnfinishedCount : SharedObject
{
    private static readonly ulong Tag = TagOf<UnfinishedCount>();

    public UnfinishedCount()
        : base(SharedSegment.Create(sizeof(int), Tag))
    {
    }

    private UnfinishedCount(SharedSegment segment)
        : base(segment)
    {
    }

    public long Value => Volatile.Read(ref *Counter);

    private int* Counter
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            return Word(0);
        }
    }

    public void Add(int count) => Interlocked.Add(ref *Counter, count);

    public void Done()
    {
        int* counter = Counter;
        int left = Interlocked.Decrement(ref *counter);
        if (left < 0)
        {
            Interlocked.Increment(ref *counter);
            throw new InvalidOperationException("TaskDone was called more times than items were put in the queue.");
        }

        if (left == 0)
        {
            WaitOn(0, -1).Wake(int.MaxValue);
        }
    }

    /// <summary>Waits at most <paramref name="timeoutMilliseconds"/> (negative: no limit) for the count to reach zero.</summary>
    public bool WaitForZero(int timeoutMilliseconds)
    {
        using SegmentUse use = Use();
        var zero = new AtZero(Counter);
        return WaitOn(0, -1).WaitUntil(ref zero, Deadline.After(timeoutMilliseconds), Segment);
    }

    /// <summary>The wait's condition: every item marked done.</summary>
    private readonly struct AtZero(int* counter) : IWaitCondition
    {
        public bool IsMet() => Volatile.Read(ref *counter) <= 0;
    }

    internal static UnfinishedCount Open(string handle) => OpenShared(handle, Tag, static segment => new UnfinishedCount(segment));
}
