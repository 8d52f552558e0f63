using System;
using System.Threading;
using MemoryPack;
using ParallelKit.SharedMemory;
using ParallelKit.Sync;

namespace ParallelKit;

/// <summary>
/// A flag threads and processes can wait for — Python's <c>multiprocessing.Event</c>: <see cref="Set"/>
/// wakes every waiter and lets later waits through until <see cref="Clear"/>.
/// </summary>
public sealed unsafe class ProcessEvent : SharedObject, IMemoryPackFormatterRegister
{
    // Data words: 0 state (0 clear, 1 set), 1 sleeping waiters.
    private static readonly ulong Tag = TagOf<ProcessEvent>();

    /// <summary>Creates an event in new shared memory, owned by this process.</summary>
    /// <param name="initiallySet">Whether it starts set.</param>
    public ProcessEvent(bool initiallySet = false)
        : base(SharedSegment.Create(2 * sizeof(int), Tag))
    {
        *Word(0) = initiallySet ? 1 : 0;
    }

    private ProcessEvent(SharedSegment segment)
        : base(segment)
    {
    }

    /// <summary>Whether the event is set.</summary>
    public bool IsSet => Volatile.Read(ref *Word(0)) != 0;

    /// <summary>Sets the event, waking every thread of every process that waits for it.</summary>
    public void Set()
    {
        if (Interlocked.Exchange(ref *Word(0), 1) == 0 && Volatile.Read(ref *Word(1)) > 0)
        {
            Futex.Wake(Word(0), int.MaxValue);
        }
    }

    /// <summary>Clears the event: later waits wait again.</summary>
    public void Clear() => Volatile.Write(ref *Word(0), 0);

    /// <summary>Waits until the event is set.</summary>
    public void Wait() => Wait(-1);

    /// <summary>Waits until the event is set, or <paramref name="timeout"/> passes.</summary>
    /// <param name="timeout">The longest wait (<see cref="Timeout.InfiniteTimeSpan"/>: no limit).</param>
    /// <returns>Whether the event is set.</returns>
    public bool Wait(TimeSpan timeout) => Wait(RobustLock.Milliseconds(timeout));

    internal static ProcessEvent Open(string handle) => OpenShared(handle, Tag, static segment => new ProcessEvent(segment));

    // Declares the formatter for HandleTypes, which registers it without reflection (trimmed and Native AOT
    // apps too). A static constructor, not a field initializer: it runs before any use of the type, and costs
    // nothing more than storing a delegate.
    static ProcessEvent() => HandleTypes.Declare<ProcessEvent>(static () => new HandleFormatter<ProcessEvent>(Open));

    static void IMemoryPackFormatterRegister.RegisterFormatter() => MemoryPackFormatterProvider.Register(new HandleFormatter<ProcessEvent>(Open));

    private bool Wait(int timeoutMilliseconds)
    {
        int* state = Word(0);
        if (Volatile.Read(ref *state) != 0)
        {
            return true;
        }

        int* waiters = Word(1);
        long started = Environment.TickCount64;
        Interlocked.Increment(ref *waiters);
        try
        {
            while (Volatile.Read(ref *state) == 0)
            {
                int wait = -1;
                if (timeoutMilliseconds >= 0)
                {
                    long left = timeoutMilliseconds - (Environment.TickCount64 - started);
                    if (left <= 0)
                    {
                        return false;
                    }

                    wait = (int)left;
                }

                Futex.Wait(state, 0, wait);
            }

            return true;
        }
        finally
        {
            Interlocked.Decrement(ref *waiters);
        }
    }
}
