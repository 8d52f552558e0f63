using System;
using System.Threading;
using ParallelKit.SharedMemory;

namespace ParallelKit.Sync;

/// <summary>What a <see cref="WaitWord"/> waiter waits for (a struct, so that the wait is specialised and allocates nothing).</summary>
internal interface IWaitCondition
{
    /// <summary>Whether the wait is over; may also take what it waited for (a semaphore's count), atomically.</summary>
    bool IsMet();
}

/// <summary>
/// ParallelKit's one cross-process wait: a word in shared memory that changes whenever a waiter may have
/// something to look at (a sequence, a count, a state), and a count of sleepers, so that a signal costs no
/// system call while nobody sleeps. Used by the queue, event, semaphore, condition and barrier.
/// </summary>
/// <remarks>
/// <para>
/// A waiter announces itself in the sleeper count, reads the word, looks at its condition once more, and only
/// then sleeps on the word (a futex wait that returns at once if the word moved meanwhile). A signaller changes
/// the state (with a full fence: an interlocked operation), then reads the sleeper count: either it sees the
/// announcement and wakes, or the waiter's second look sees the change. No wake-up is lost.
/// </para>
/// <para>
/// Sleeps are sliced (<see cref="SliceMilliseconds"/> at most): between slices a waiter notices that its object
/// was disposed in this process (<see cref="ObjectDisposedException"/> instead of a read of unmapped memory), and a
/// waiter woken for a signal and killed before acting on it cannot strand the others for longer than a slice.
/// </para>
/// </remarks>
internal readonly unsafe struct WaitWord
{
    /// <summary>The longest a sleeper sleeps before looking around.</summary>
    public const int SliceMilliseconds = RobustLock.OwnerCheckMilliseconds;

    private readonly int* _word;
    private readonly int* _sleepers;
    private readonly int* _armed;

    /// <summary>A wait on <paramref name="word"/>; <paramref name="sleepers"/> counts sleepers (null: signals always wake).</summary>
    public WaitWord(int* word, int* sleepers)
    {
        _word = word;
        _sleepers = sleepers;
    }

    /// <summary>
    /// A wait on <paramref name="word"/> whose <see cref="AdvanceIfArmed"/> signals cost one wake-up per sleep, not one
    /// per signal: <paramref name="armed"/> is set by a waiter each time before it looks and sleeps, and cleared by the
    /// signal that wakes it (see <see cref="AdvanceIfArmed"/>).
    /// </summary>
    public WaitWord(int* word, int* sleepers, int* armed)
        : this(word, sleepers)
    {
        _armed = armed;
    }

    /// <summary>The word's current value.</summary>
    public int Value => Volatile.Read(ref *_word);

    /// <summary>Whether anyone announced a sleep (always true when sleepers are not counted).</summary>
    public bool HasSleepers => _sleepers == null || Volatile.Read(ref *_sleepers) > 0;

    /// <summary>How many callers are counted among the sleepers (0 for a word that does not count them).</summary>
    public int Sleepers => _sleepers == null ? 0 : Volatile.Read(ref *_sleepers);

    /// <summary>
    /// Waits until <paramref name="condition"/> is met (true) or <paramref name="deadline"/> passes (false). The
    /// condition is looked at first without announcing anything: an uncontended wait costs no write.
    /// </summary>
    /// <param name="condition">What to wait for.</param>
    /// <param name="deadline">When to give up.</param>
    /// <param name="lifetime">The segment holding the word: a wait still going when it is disposed throws.</param>
    /// <param name="sliceMilliseconds">The longest single sleep (see <see cref="SliceMilliseconds"/>): longer where whoever ends the wait also wakes the sleepers.</param>
    /// <exception cref="ObjectDisposedException"><paramref name="lifetime"/> was disposed meanwhile.</exception>
    public bool WaitUntil<TCondition>(ref TCondition condition, Deadline deadline, SharedSegment lifetime, int sliceMilliseconds = SliceMilliseconds)
        where TCondition : struct, IWaitCondition
    {
        if (condition.IsMet())
        {
            return true;
        }

        Announce();
        try
        {
            while (true)
            {
                int seen = Value;
                if (_armed != null)
                {
                    Interlocked.Exchange(ref *_armed, 1); // after reading the word, a full fence before the look: see AdvanceIfArmed
                }

                if (condition.IsMet())
                {
                    return true;
                }

                if (!Sleep(seen, deadline, lifetime, sliceMilliseconds, CancellationToken.None))
                {
                    return condition.IsMet();
                }
            }
        }
        finally
        {
            Withdraw();
        }
    }

    /// <summary>
    /// For a waiter that announced itself (<see cref="Announce"/>) and read <paramref name="seen"/>: sleeps while
    /// the word still holds it, until <paramref name="deadline"/> (false) or until it moves (true). Sleeps last at most
    /// <paramref name="sliceMilliseconds"/> (negative: no limit but the deadline; then whoever disposes the object in
    /// this process must wake its sleepers, see <see cref="SharedObject"/>), and <see cref="AsyncWait.SliceMilliseconds"/>
    /// with a cancellable token.
    /// </summary>
    /// <exception cref="ObjectDisposedException"><paramref name="lifetime"/> was disposed meanwhile.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while the word stood still.</exception>
    public bool SleepWhileUnchanged(int seen, Deadline deadline, SharedSegment lifetime, CancellationToken cancellationToken, int sliceMilliseconds = SliceMilliseconds)
    {
        while (Value == seen)
        {
            if (!Sleep(seen, deadline, lifetime, sliceMilliseconds, cancellationToken))
            {
                return Value != seen;
            }
        }

        return true;
    }

    /// <summary>Counts the caller among the sleepers; signallers wake it from now on. Pair with <see cref="Withdraw"/>.</summary>
    public void Announce()
    {
        if (_sleepers != null)
        {
            Interlocked.Increment(ref *_sleepers);
        }
    }

    /// <summary>Takes the caller out of the sleepers.</summary>
    public void Withdraw()
    {
        if (_sleepers != null)
        {
            Interlocked.Decrement(ref *_sleepers);
        }
    }

    /// <summary>Wakes up to <paramref name="count"/> sleepers; the caller has already changed the word (with a full fence).</summary>
    public void Wake(int count)
    {
        if (HasSleepers)
        {
            Futex.Wake(_word, count);
        }
    }

    /// <summary>
    /// For a sequence word: moves it on and wakes up to <paramref name="count"/> sleepers, when there are any (the
    /// sequence need not move for nobody). The caller changed what the sleepers look at before, with a full fence.
    /// </summary>
    public void Advance(int count)
    {
        if (HasSleepers)
        {
            Interlocked.Increment(ref *_word);
            Futex.Wake(_word, count);
        }
    }

    /// <summary>
    /// For a stream of signals (a queue's puts): like <see cref="Advance"/> waking every sleeper, but only when a waiter
    /// armed the word since the last such wake-up. A producer that puts while its consumer is still waking up then pays no
    /// system call per item. No wake-up is lost: a waiter reads the word, then arms (with a full fence), then looks at its
    /// condition and sleeps while the word still holds what it read; the signaller changed the state with a full fence
    /// before it reads the flag. Either the signaller read the flag before the waiter armed, and the waiter's look sees
    /// the change; or some signaller cleared the waiter's flag, and that one moves the word after the waiter read it, so
    /// the sleep returns at once (everyone is woken: the flag is one for all sleepers).
    /// </summary>
    public void AdvanceIfArmed()
    {
        if (HasSleepers && Volatile.Read(ref *_armed) != 0 && Interlocked.Exchange(ref *_armed, 0) != 0)
        {
            Interlocked.Increment(ref *_word);
            Futex.Wake(_word, int.MaxValue);
        }
    }

    /// <summary>One slice of sleep while the word holds <paramref name="seen"/>; false once the deadline has passed.</summary>
    private bool Sleep(int seen, Deadline deadline, SharedSegment lifetime, int sliceMilliseconds, CancellationToken cancellationToken)
    {
        int slice = deadline.Slice(sliceMilliseconds);
        if (slice == 0)
        {
            return false;
        }

        ObjectDisposedException.ThrowIf(lifetime.IsDisposed, lifetime);
        cancellationToken.ThrowIfCancellationRequested();
        if (cancellationToken.CanBeCanceled)
        {
            slice = slice < 0 ? AsyncWait.SliceMilliseconds : Math.Min(slice, AsyncWait.SliceMilliseconds);
        }

        Futex.Wait(_word, seen, slice);
        return true;
    }
}
