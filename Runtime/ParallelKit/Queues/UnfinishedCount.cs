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
            Futex.Wake(counter, int.MaxValue);
        }
    }

    /// <summary>Waits at most <paramref name="timeoutMilliseconds"/> (negative: no limit) for the count to reach zero.</summary>
    public bool WaitForZero(int timeoutMilliseconds)
    {
        int* counter = Counter;
        long started = Environment.TickCount64;
        while (true)
        {
            int value = Volatile.Read(ref *counter);
            if (value <= 0)
            {
                return true;
            }

            int wait = RobustLock.OwnerCheckMilliseconds;
            if (timeoutMilliseconds >= 0)
            {
                long left = timeoutMilliseconds - (Environment.TickCount64 - started);
                if (left <= 0)
                {
                    return false;
                }

                wait = (int)Math.Min(wait, left);
            }

            Futex.Wait(counter, value, wait);
        }
    }

    internal static UnfinishedCount Open(string handle) => OpenShared(handle, Tag, static segment => new UnfinishedCount(segment));
}
