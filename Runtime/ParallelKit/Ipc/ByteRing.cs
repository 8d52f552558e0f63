using System;
using System.Diagnostics;
using System.Threading;
using ParallelKit.SharedMemory;
using ParallelKit.Sync;

namespace ParallelKit.Ipc;

/// <summary>
/// One direction of a worker's shared-memory channel: a single-producer, single-consumer ring of bytes in a
/// <see cref="SharedSegment"/>, carrying the same frames as a socket would (<see cref="FrameHeader"/>).
/// <code>
///  offset  size  field (from the ring's start; each group on its own cache line)
///    0      8    published: bytes the producer has written, ever (it alone moves it)
///   64      8    taken: bytes the consumer has read, ever (it alone moves it)
///  128      4    data word: moves when bytes are published while the consumer sleeps (a WaitWord)
///  132      4    data sleepers
///  136      4    space word: moves when bytes are taken while the producer sleeps (a WaitWord)
///  140      4    space sleepers
///  144      4    closed: 1 once either side closed the ring
///  192      …    capacity bytes (a power of two); byte n of the stream lives at n mod capacity
/// </code>
/// </summary>
/// <remarks>
/// <para>
/// The producer copies bytes in and then publishes them with one interlocked write, so the consumer never sees a
/// byte before it is written; a producer killed mid-write leaves at most a published prefix of its frame, which the
/// consumer reads as a frame cut short by the end of the stream, exactly as on a socket. A frame larger than the
/// ring streams through it in pieces.
/// </para>
/// <para>
/// A side with nothing to do first spins (yielding its core at every turn, so that on a machine with two cores
/// the peer it waits for still runs) for an adaptive while, then sleeps on a <see cref="WaitWord"/>. The spin
/// doubles while it keeps paying off and halves while it does not, so an idle worker costs nothing and a busy one
/// never pays for a kernel wake-up.
/// </para>
/// <para>
/// Nothing here notices a dead peer by itself: whoever learns of the death (the socket's end of stream) calls
/// <see cref="Close"/>, which wakes both sides; so sleeps are long (<see cref="SliceMilliseconds"/>) and an idle side
/// costs next to nothing. Every operation holds the segment mapped for its duration, so disposing the segment under a
/// running operation makes that operation fail cleanly.
/// </para>
/// <para>
/// The peer's process may be broken or hostile: each side keeps its own position privately and takes the peer's
/// only after checking it against the capacity. An impossible position ends the stream (a reader throws
/// <see cref="InvalidOperationException"/>, a writer returns false); nothing is read or written outside the ring.
/// </para>
/// </remarks>
internal sealed unsafe class ByteRing
{
    public const int PublishedAt = 0;
    public const int TakenAt = 64;
    public const int DataWordAt = 128;
    public const int DataSleepersAt = 132;
    public const int SpaceWordAt = 136;
    public const int SpaceSleepersAt = 140;
    public const int ClosedAt = 144;
    public const int BytesAt = 192;

    /// <summary>
    /// The longest a side spins before it sleeps, in microseconds. Between two calls of a one-at-a-time round trip
    /// with <c>.Result</c> a worker waits through the caller's own kernel wake-up; a shorter limit (50 µs was tried)
    /// let the spin fail and halve itself often, and the round trip took about twice as long (see docs/benchmarks.md).
    /// </summary>
    public const int MaxSpinMicroseconds = 200;

    private const int MinSpinMicroseconds = 2;

    /// <summary>The longest sleep before a waiter looks at the segment's disposal in this process (<see cref="Close"/> wakes it at once).</summary>
    public const int SliceMilliseconds = 1000;

    private static readonly long TicksPerMicrosecond = Math.Max(1, Stopwatch.Frequency / 1_000_000);

    private readonly SharedSegment _segment;
    private readonly byte* _ring;
    private readonly int _capacity;
    private int _spinMicroseconds = MaxSpinMicroseconds;

    // This side's own position, as a producer (bytes published) or a consumer (bytes taken): the shared copy is for
    // the peer to read, and is never read back (the peer could have changed it).
    private long _published;
    private long _taken;

    /// <summary>A view of the ring at <paramref name="offset"/> in <paramref name="segment"/>'s data.</summary>
    public ByteRing(SharedSegment segment, long offset, int capacity)
    {
        if (capacity <= 0 || (capacity & (capacity - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "A ring's capacity is a power of two.");
        }

        if (offset < 0 || offset + SizeFor(capacity) > segment.DataSize)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, "The ring does not fit its segment.");
        }

        _segment = segment;
        _ring = segment.Data + offset;
        _capacity = capacity;
        _published = Volatile.Read(ref Published);
        _taken = Volatile.Read(ref Taken);
    }

    /// <summary>The bytes a ring of <paramref name="capacity"/> takes, header included (a multiple of 64).</summary>
    public static long SizeFor(int capacity) => BytesAt + (long)capacity;

    /// <summary>The ring's capacity in bytes.</summary>
    public int Capacity => _capacity;

    private ref long Published => ref *(long*)(_ring + PublishedAt);

    private ref long Taken => ref *(long*)(_ring + TakenAt);

    private ref int ClosedFlag => ref *(int*)(_ring + ClosedAt);

    private WaitWord DataWord => new((int*)(_ring + DataWordAt), (int*)(_ring + DataSleepersAt));

    private WaitWord SpaceWord => new((int*)(_ring + SpaceWordAt), (int*)(_ring + SpaceSleepersAt));

    /// <summary>Whether either side closed the ring (or the segment is gone in this process).</summary>
    public bool IsClosed
    {
        get
        {
            using SegmentUse use = UseOrNull(out bool gone);
            return gone || Volatile.Read(ref ClosedFlag) != 0;
        }
    }

    /// <summary>Whether bytes are waiting to be read.</summary>
    public bool HasData
    {
        get
        {
            using SegmentUse use = UseOrNull(out bool gone);
            return !gone && Volatile.Read(ref Published) != _taken;
        }
    }

    /// <summary>
    /// Producer: writes all of <paramref name="data"/>, waiting for room as long as it takes; false when the ring
    /// was closed first (what was written then is lost with the peer).
    /// </summary>
    public bool Write(ReadOnlySpan<byte> data)
    {
        using SegmentUse use = UseOrNull(out bool gone);
        if (gone)
        {
            return false;
        }

        long published = _published;
        while (!data.IsEmpty)
        {
            var room = new HasRoom(_ring, published, _capacity);
            if (!room.IsMet() && !WaitFor(ref room, SpaceWord, Deadline.Never))
            {
                return false;
            }

            if (Volatile.Read(ref ClosedFlag) != 0)
            {
                return false;
            }

            long used = published - Volatile.Read(ref Taken);
            if ((ulong)used > (ulong)_capacity)
            {
                // The peer moved its position where no consumer can: a broken or hostile process. Its stream ends.
                Close();
                return false;
            }

            int count = (int)Math.Min(_capacity - used, data.Length);
            Copy(data[..count], published);
            published += count;
            _published = published;
            data = data[count..];

            // The bytes first, then the position, with a full fence (the WaitWord handshake needs one).
            Interlocked.Exchange(ref Published, published);
            DataWord.Advance(1);
        }

        return true;
    }

    /// <summary>
    /// Producer: writes all of <paramref name="data"/> at once if the ring has room for it now, and never waits (a
    /// writer that must not block until the consumer reads, such as one that also reads the consumer's replies).
    /// </summary>
    /// <param name="data">The bytes, published together.</param>
    /// <param name="closed">Set when the ring was closed (or the peer broke it) first: nothing was written.</param>
    /// <returns><see langword="true"/> when written; <see langword="false"/> when there was no room or the ring is closed.</returns>
    public bool TryWrite(ReadOnlySpan<byte> data, out bool closed)
    {
        using SegmentUse use = UseOrNull(out bool gone);
        closed = gone || Volatile.Read(ref ClosedFlag) != 0;
        if (closed)
        {
            return false;
        }

        long published = _published;
        long used = published - Volatile.Read(ref Taken);
        if ((ulong)used > (ulong)_capacity)
        {
            // The peer moved its position where no consumer can: a broken or hostile process. Its stream ends.
            Close();
            closed = true;
            return false;
        }

        if (_capacity - used < data.Length)
        {
            return false;
        }

        Copy(data, published);
        published += data.Length;
        _published = published;
        Interlocked.Exchange(ref Published, published);
        DataWord.Advance(1);
        return true;
    }

    /// <summary>
    /// Consumer: reads what is there into <paramref name="buffer"/>, waiting until something is; 0 once the ring
    /// is closed and drained.
    /// </summary>
    /// <exception cref="InvalidOperationException">The producer's position is impossible (a broken or hostile peer); the ring is closed.</exception>
    public int Read(Span<byte> buffer) => Read(buffer, Deadline.Never);

    /// <summary>Consumer: waits until a read would not block (bytes, or the end); false when <paramref name="timeoutMilliseconds"/> passed first.</summary>
    public bool WaitReadable(int timeoutMilliseconds)
    {
        using SegmentUse use = UseOrNull(out bool gone);
        if (gone)
        {
            return true;
        }

        var ready = new HasBytes(_ring, _taken);
        return ready.IsMet() || WaitFor(ref ready, DataWord, Deadline.After(timeoutMilliseconds)) || ready.IsMet();
    }

    private int Read(Span<byte> buffer, Deadline deadline)
    {
        using SegmentUse use = UseOrNull(out bool gone);
        if (gone || buffer.IsEmpty)
        {
            return 0;
        }

        var ready = new HasBytes(_ring, _taken);
        if (!ready.IsMet() && !WaitFor(ref ready, DataWord, deadline))
        {
            return 0;
        }

        long taken = _taken;
        long available = Volatile.Read(ref Published) - taken;
        if (available == 0)
        {
            return 0; // closed and drained
        }

        if ((ulong)available > (ulong)_capacity)
        {
            // The peer published more than the ring holds, or moved back: a broken or hostile process.
            Close();
            throw new InvalidOperationException($"Corrupt ParallelKit ring: {available} bytes announced in a ring of {_capacity}.");
        }

        int count = (int)Math.Min(available, buffer.Length);
        int at = (int)(taken & (_capacity - 1));
        int first = Math.Min(count, _capacity - at);
        new ReadOnlySpan<byte>(_ring + BytesAt + at, first).CopyTo(buffer);
        new ReadOnlySpan<byte>(_ring + BytesAt, count - first).CopyTo(buffer[first..]);
        _taken = taken + count;
        Interlocked.Exchange(ref Taken, taken + count);
        SpaceWord.Advance(1);
        return count;
    }

    /// <summary>Closes the ring from either side: both sides' waits end (a reader first drains what was published).</summary>
    public void Close()
    {
        using SegmentUse use = UseOrNull(out bool gone);
        if (gone)
        {
            return;
        }

        Interlocked.Exchange(ref ClosedFlag, 1);
        WakeAll(DataWordAt);
        WakeAll(SpaceWordAt);
    }

    private void WakeAll(int wordAt)
    {
        int* word = (int*)(_ring + wordAt);
        Interlocked.Increment(ref *word);
        Futex.Wake(word, int.MaxValue);
    }

    private void Copy(ReadOnlySpan<byte> data, long position)
    {
        int at = (int)(position & (_capacity - 1));
        int first = Math.Min(data.Length, _capacity - at);
        data[..first].CopyTo(new Span<byte>(_ring + BytesAt + at, first));
        data[first..].CopyTo(new Span<byte>(_ring + BytesAt, data.Length - first));
    }

    /// <summary>
    /// Spins for the adaptive while, then sleeps on <paramref name="word"/>; false at the deadline. The spin yields
    /// at every turn rather than pausing: on two cores the thread this side waits for (the caller of a round trip,
    /// the results thread, the other worker) is often queued on this very core, and a yield with nothing else to run
    /// returns at once. Pausing with a yield every eighth turn made the <c>.Result</c> round trip's median 8–19 µs
    /// across five runs where yielding at every turn made it 5–10 µs (see docs/benchmarks.md).
    /// </summary>
    private bool WaitFor<TCondition>(ref TCondition condition, WaitWord word, Deadline deadline)
        where TCondition : struct, IWaitCondition
    {
        int spin = _spinMicroseconds;
        long until = Stopwatch.GetTimestamp() + (spin * TicksPerMicrosecond);
        while (true)
        {
            if (condition.IsMet())
            {
                _spinMicroseconds = Math.Min(MaxSpinMicroseconds, spin * 2);
                return true;
            }

            if (Stopwatch.GetTimestamp() >= until)
            {
                break;
            }

            Thread.Yield();
        }

        _spinMicroseconds = Math.Max(MinSpinMicroseconds, spin / 2);
        try
        {
            return word.WaitUntil(ref condition, deadline, _segment, SliceMilliseconds);
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    private SegmentUse UseOrNull(out bool gone)
    {
        try
        {
            gone = false;
            return _segment.Use();
        }
        catch (ObjectDisposedException)
        {
            gone = true;
            return default;
        }
    }

    /// <summary>The consumer's wait: bytes to read after <c>taken</c> (or an impossible position, for the reader to reject), or the ring closed.</summary>
    private readonly struct HasBytes(byte* ring, long taken) : IWaitCondition
    {
        public bool IsMet()
            => Volatile.Read(ref *(long*)(ring + PublishedAt)) != taken
               || Volatile.Read(ref *(int*)(ring + ClosedAt)) != 0;
    }

    /// <summary>
    /// The producer's wait: the ring is not exactly full after <c>published</c> (room, or an impossible position, for the
    /// writer to reject), or it is closed.
    /// </summary>
    private readonly struct HasRoom(byte* ring, long published, int capacity) : IWaitCondition
    {
        public bool IsMet()
            => published - Volatile.Read(ref *(long*)(ring + TakenAt)) != capacity
               || Volatile.Read(ref *(int*)(ring + ClosedAt)) != 0;
    }
}
