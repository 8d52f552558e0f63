using System;
using System.Threading;
using System.Threading.Tasks;
using MemoryPack;
using ParallelKit.SharedMemory;
using ParallelKit.Sync;

namespace ParallelKit;

/// <summary>
/// A flag threads and processes can wait for — Python's <c>multiprocessing.Event</c>: <see cref="Set"/>
/// wakes every waiter and lets later waits through until <see cref="Clear"/>. As in Python, a waiter that was
/// waiting when the event was set returns <see langword="true"/> even if the event was cleared again before
/// it woke up (<c>Set(); Clear();</c> is a pulse that wakes everyone waiting).
/// </summary>
public sealed unsafe class ProcessEvent : SharedObject, IMemoryPackFormatterRegister
{
    // Data words: 0 state: bit 0 set or clear, the bits above it a generation that every Set advances (so a
    // waiter knows it was set meanwhile, and the futex word changes even if it is cleared at once);
    // 1 sleeping waiters.
    private const int SetBit = 1;
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
    public bool IsSet => (Volatile.Read(ref *Word(0)) & SetBit) != 0;

    /// <summary>Sets the event, waking every thread of every process that waits for it.</summary>
    public void Set()
    {
        int* state = Word(0);
        int seen;
        do
        {
            seen = Volatile.Read(ref *state);
            if ((seen & SetBit) != 0)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref *state, NextGenerationSet(seen), seen) != seen);

        WaitOn(0, 1).Wake(int.MaxValue);
    }

    /// <summary>Clears the event: later waits wait again.</summary>
    public void Clear()
    {
        int* state = Word(0);
        int seen;
        do
        {
            seen = Volatile.Read(ref *state);
            if ((seen & SetBit) == 0)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref *state, seen & ~SetBit, seen) != seen);
    }

    /// <summary>Waits until the event is set.</summary>
    public void Wait() => Wait(-1);

    /// <summary>Waits until the event is set, or <paramref name="timeout"/> passes.</summary>
    /// <param name="timeout">The longest wait (<see cref="Timeout.InfiniteTimeSpan"/>: no limit).</param>
    /// <returns>Whether the event is set.</returns>
    public bool Wait(TimeSpan timeout) => Wait(RobustLock.Milliseconds(timeout));

    /// <summary>Waits until the event is set, without blocking the calling thread.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when the event is set.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public Task WaitAsync(CancellationToken cancellationToken = default) => AsyncWait.Run(Wait, -1, cancellationToken);

    /// <summary>Waits until the event is set, or <paramref name="timeout"/> passes, without blocking the calling thread.</summary>
    /// <param name="timeout">The longest wait (<see cref="Timeout.InfiniteTimeSpan"/>: no limit).</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>Whether the event is set.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
        => AsyncWait.Run(Wait, RobustLock.Milliseconds(timeout), cancellationToken);

    internal static ProcessEvent Open(string handle) => OpenShared(handle, Tag, static segment => new ProcessEvent(segment));

    // Declares the formatter for HandleTypes, which registers it without reflection (trimmed and Native AOT
    // apps too). A static constructor, not a field initializer: it runs before any use of the type, and costs
    // nothing more than storing a delegate.
    static ProcessEvent() => HandleTypes.Declare<ProcessEvent>(static () => new HandleFormatter<ProcessEvent>(Open));

    static void IMemoryPackFormatterRegister.RegisterFormatter() => MemoryPackFormatterProvider.Register(new HandleFormatter<ProcessEvent>(Open));

    /// <summary>The state after a Set of a clear state: the next generation, set.</summary>
    private static int NextGenerationSet(int clear) => (int)(((uint)clear + 2) | SetBit);

    private bool Wait(int timeoutMilliseconds)
    {
        using SegmentUse use = Use();
        var changed = new StateChanged(Word(0), Volatile.Read(ref *Word(0)));
        return WaitOn(0, 1).WaitUntil(ref changed, Deadline.After(timeoutMilliseconds), Segment);
    }

    /// <summary>
    /// The wait's condition: set, or no longer the state (clear, of one generation) the wait began in. A Set and a
    /// Clear between two looks still end the wait, since Set moves the generation.
    /// </summary>
    private readonly struct StateChanged(int* state, int first) : IWaitCondition
    {
        public bool IsMet()
        {
            int now = Volatile.Read(ref *state);
            return (now & SetBit) != 0 || now != first;
        }
    }
}
