using System;
using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using MemoryPack;
using ParallelKit.SharedMemory;
using ParallelKit.Sync;
using static ParallelKit.QueueLayout;

namespace ParallelKit;

/// <summary>
/// A first-in first-out queue shared by threads and processes — Python's <c>multiprocessing.Queue</c>:
/// any number of producers and consumers, in any processes it is passed to (by handle). Items are
/// marshaled with MemoryPack into shared memory (<c>/dev/shm</c>), so a put is complete when
/// <see cref="Put"/> returns: a producer may exit (or be killed) right after without losing what it put,
/// and never waits for a consumer (no join-before-drain deadlock). Unbounded by default; with a capacity,
/// producers wait while it is full. Producers and consumers hold different locks, so a put and a get run side by side;
/// waiting threads spin briefly, then sleep on a futex.
/// </summary>
/// <typeparam name="T">The item type: anything a job argument can be.</typeparam>
/// <example>
/// <code>
/// using var queue = new ProcessQueue&lt;(int, string?, string)&gt;();
/// using var p = ParallelProcess.Start(Jobs.F(queue));   // F: queue.Put((42, null, "hello"))
/// Console.WriteLine(queue.Get().Item3);                   // hello
/// </code>
/// </example>
/// <remarks>
/// The items live in a chain of shared-memory chunks of 1 MiB (an item larger than that gets a chunk of
/// its own); a consumer that finishes a chunk hands it back for reuse, so a steady stream maps no new
/// memory. At most 4,096 chunks are in use at once (4 GiB of small items). The creating process owns the queue: disposing it (or that process's
/// exit) removes the queue and the items left in it. <see cref="Close"/> says no more items will come:
/// puts then throw, and gets on the drained queue throw instead of waiting forever.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "The name DESIGN.md gives it, after Python's multiprocessing.Queue.")]
public sealed unsafe class ProcessQueue<T> : SharedObject, IMemoryPackFormatterRegister
{
    private const long DefaultChunkSize = 1 << 20;

    // 2: the layout with a lock for producers and one for consumers (QueueLayout); a queue of the one-lock layout
    // is not opened as one of this.
    private static readonly ulong Tag = SharedSegment.TypeTag("ProcessQueue", typeof(T), 2);
    private static readonly ulong ChunkTag = SharedSegment.TypeTag("ProcessQueueChunk", typeof(T), 0);
    private static readonly string ChunkDescription = $"ProcessQueue<{typeof(T).Name}> chunk";

    private static readonly long SpinTicks = Stopwatch.Frequency / 50_000; // 20 µs

    private readonly ChunkChain _chunks;

    // What an empty queue's consumer waits for: made once, not a closure per wait (a consumer that keeps up with its
    // producer waits before almost every get).
    private readonly Func<bool> _hasItemsOrClosed;

    // The queue's header, the producers' lock (the segment's own) and the consumers' lock: valid while a use of the
    // segment lasts (every operation holds one), so an operation never trips over a disposal in another thread.
    private readonly byte* _header;
    private readonly int* _producerLock;
    private readonly int* _consumerLock;

    // This process's mappings of the chunks being written and read, by chunk number (not by slot: a slot is reused,
    // a chunk number never), under the producers' and the consumers' lock respectively.
    private long _writeIndex = -1;
    private SharedSegment? _writeChunk;
    private long _readIndex = -1;
    private SharedSegment? _readChunk;

    // The write position this process's consumers last read (consumers' lock): see SeesItem.
    private long _seenWrite;

    // Declares the formatter for HandleTypes, which registers it without reflection (trimmed and Native AOT
    // apps too). A static constructor, not a field initializer: it runs before any use of the type, and costs
    // nothing more than storing a delegate.
    static ProcessQueue() => HandleTypes.Declare<ProcessQueue<T>>(static () => new HandleFormatter<ProcessQueue<T>>(Open));

    /// <summary>Creates a queue in new shared memory, owned by this process.</summary>
    /// <param name="capacity">The most items it holds (producers wait while it is full); 0 for no limit.</param>
    public ProcessQueue(int capacity = 0)
        : this(capacity, DefaultChunkSize)
    {
    }

    /// <summary>A queue with chunks of <paramref name="chunkSize"/> bytes (small ones for control channels).</summary>
    internal ProcessQueue(int capacity, long chunkSize)
        : base(CreateSegment(capacity))
    {
        _header = Segment.Data;
        _producerLock = Segment.LockWord;
        _consumerLock = (int*)(_header + ConsumerLockAt);
        *(int*)(Data + CapacityAt) = capacity;
        *(long*)(Data + ChunkSizeAt) = chunkSize;
        _chunks = new ChunkChain(Segment, ChunkTag, ChunkDescription);
        _chunks.CreateFirst(chunkSize);
        _hasItemsOrClosed = () => HasItems || IsClosed;
        HandleTypes.Ensure<T>();
    }

    private ProcessQueue(SharedSegment segment)
        : base(segment)
    {
        _header = Segment.Data;
        _producerLock = Segment.LockWord;
        _consumerLock = (int*)(_header + ConsumerLockAt);
        _chunks = new ChunkChain(Segment, ChunkTag, ChunkDescription);
        _hasItemsOrClosed = () => HasItems || IsClosed;
        HandleTypes.Ensure<T>();
    }

    /// <summary>The most items the queue holds; 0 when unbounded.</summary>
    public int Capacity => *(int*)(Data + CapacityAt);

    /// <summary>The number of items in the queue now (others may change it at any moment).</summary>
    public long Count
    {
        get
        {
            // Taken first: an item taken after this read is counted as put, never the other way round. A put or a
            // take between its position and its count may make it one off for a moment (never below 0).
            long taken = Volatile.Read(ref *(long*)(Data + TakenCountAt));
            return Math.Max(0, Volatile.Read(ref *(long*)(Data + PutCountAt)) - taken);
        }
    }

    /// <summary>Whether <see cref="Close"/> was called, in any process.</summary>
    public bool IsClosed => Volatile.Read(ref *(int*)(Data + ClosedAt)) != 0;

    private byte* Data => Segment.Data;

    /// <summary>Adds an item, waiting while a bounded queue is full.</summary>
    /// <param name="item">The item.</param>
    /// <exception cref="InvalidOperationException">The queue is closed.</exception>
    public void Put(T item) => TryPut(item, -1);

    /// <summary>Adds an item, waiting at most <paramref name="timeout"/> while a bounded queue is full.</summary>
    /// <param name="item">The item.</param>
    /// <param name="timeout">The longest wait (<see cref="Timeout.InfiniteTimeSpan"/>: no limit).</param>
    /// <returns>Whether the item was added.</returns>
    /// <exception cref="InvalidOperationException">The queue is closed.</exception>
    public bool TryPut(T item, TimeSpan timeout) => TryPut(item, RobustLock.Milliseconds(timeout));

    /// <summary>Adds an item, waiting without blocking a thread while a bounded queue is full.</summary>
    /// <param name="item">The item.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when the item is in the queue.</returns>
    public ValueTask PutAsync(T item, CancellationToken cancellationToken = default)
    {
        byte[] payload = MemoryPackSerializer.Serialize(item);
        return Append(default, payload, 0) ? ValueTask.CompletedTask : QueueWaits.PutAsync(this, payload, cancellationToken);
    }

    /// <summary>Removes and returns the first item, waiting as long as it takes for one.</summary>
    /// <returns>The item.</returns>
    /// <exception cref="InvalidOperationException">The queue is closed and empty.</exception>
    public T Get() => TryGet(-1, out T item) ? item : throw new TimeoutException();

    /// <summary>Removes and returns the first item, waiting at most <paramref name="timeout"/> for one.</summary>
    /// <param name="timeout">The longest wait.</param>
    /// <returns>The item.</returns>
    /// <exception cref="TimeoutException">No item came in time.</exception>
    /// <exception cref="InvalidOperationException">The queue is closed and empty.</exception>
    public T Get(TimeSpan timeout)
        => TryGet(RobustLock.Milliseconds(timeout), out T item) ? item : throw new TimeoutException($"No item arrived in the queue within {timeout}.");

    /// <summary>Removes the first item if there is one, without waiting.</summary>
    /// <param name="item">The item, when there was one.</param>
    /// <returns>Whether there was an item.</returns>
    public bool TryGet(out T item)
    {
        if (!HasItems)
        {
            item = default!;
            return false;
        }

        return TryGet(0, out item);
    }

    /// <summary>Removes and returns the first item, waiting without blocking a thread.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The item.</returns>
    /// <exception cref="InvalidOperationException">The queue is closed and empty.</exception>
    public ValueTask<T> GetAsync(CancellationToken cancellationToken = default)
        => TryGet(0, out T item) ? ValueTask.FromResult(item) : QueueWaits.GetAsync(this, cancellationToken);

    /// <summary>
    /// Says that no more items will be put, in any process: puts then throw, and consumers get the items
    /// left and then <see cref="InvalidOperationException"/> instead of waiting forever.
    /// </summary>
    public void Close()
    {
        Segment.BeginUse();
        try
        {
            // Under the producers' lock: every put either committed before the close or throws.
            EnterProducers(Segment);
            try
            {
                Interlocked.Exchange(ref *(int*)(_header + ClosedAt), 1); // a full fence before Signal reads the sleepers
                Signal(NotEmptyAt, NotEmptyWaitersAt, int.MaxValue);
                Signal(NotFullAt, NotFullWaitersAt, int.MaxValue);
            }
            finally
            {
                RobustLock.Exit(_producerLock);
            }
        }
        finally
        {
            Segment.EndUse();
        }
    }

    internal static ProcessQueue<T> Open(string handle)
        => OpenShared(handle, Tag, static segment => new ProcessQueue<T>(segment));

    static void IMemoryPackFormatterRegister.RegisterFormatter() => MemoryPackFormatterProvider.Register(new HandleFormatter<ProcessQueue<T>>(Open));

    /// <summary>Unmaps the chunks too; the owner also removes them with the queue.</summary>
    private protected override void DisposeParts()
        => _chunks.Dispose();

    private bool TryPut(T item, int timeoutMilliseconds)
    {
        if (typeof(T) == typeof(byte[]))
        {
            // A byte array's MemoryPack form is its length (-1 for null) and its bytes: written straight into the chunk,
            // with no writer set up and no copy through a buffer (QueueItemCodec says so, and a test holds it to
            // MemoryPack's own output).
            byte[]? bytes = Unsafe.As<T, byte[]?>(ref item);
            Span<byte> prefix = stackalloc byte[QueueItemCodec.BytesPrefix];
            QueueItemCodec.WriteBytesPrefix(prefix, bytes);
            return Append(prefix, bytes, timeoutMilliseconds);
        }

        if (QueueItemCodec.IsRaw<T>())
        {
            // A number's or an enum's MemoryPack form is its memory.
            return Append(default, MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<T, byte>(ref item), Unsafe.SizeOf<T>()), timeoutMilliseconds);
        }

        ArrayBufferWriter<byte> buffer = QueueItemCodec.Buffer;
        MemoryPackSerializer.Serialize(buffer, item);
        try
        {
            return Append(default, buffer.WrittenSpan, timeoutMilliseconds);
        }
        finally
        {
            QueueItemCodec.Return(buffer);
        }
    }

    /// <summary>
    /// Appends one marshaled item, <paramref name="prefix"/> then <paramref name="body"/> (two parts, so that a byte
    /// array goes in without a copy to join them); false when a bounded queue stayed full for the whole wait.
    /// </summary>
    internal bool Append(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> body, int timeoutMilliseconds)
    {
        int length = prefix.Length + body.Length;
        long need = 8 + Align8(length);
        bool committed = false;
        Segment.BeginUse();
        try
        {
            EnterProducers(Segment);
            try
            {
                byte* header = _header;
                ThrowIfClosed();
                int capacity = *(int*)(header + CapacityAt);
                if (capacity > 0 && Count >= capacity)
                {
                    if (timeoutMilliseconds == 0 || !WaitLocked(consumers: false, NotFullAt, NotFullWaitersAt, timeoutMilliseconds, () => Count < capacity || IsClosed))
                    {
                        return false;
                    }

                    ThrowIfClosed();
                }

                _chunks.ReleaseWritten();
                (long chunkIndex, long offset) = Unpack(Volatile.Read(ref *(long*)(header + WritePositionAt)));
                SharedSegment chunk = WriteChunk(chunkIndex);
                long size = chunk.DataSize;
                if (offset > size)
                {
                    throw Corrupt($"a write position at {offset} in a chunk of {size} bytes");
                }

                if (offset + need > size)
                {
                    if (offset + 8 <= size)
                    {
                        *(int*)(chunk.Data + offset) = EndOfChunk;
                    }

                    if (size != *(long*)(header + ChunkSizeAt))
                    {
                        _chunks.Written(chunkIndex, chunk); // a one-item chunk: unmapped here once consumers are past it
                    }

                    chunkIndex++;
                    chunk = _chunks.Append(chunkIndex, need);
                    (_writeIndex, _writeChunk) = (chunkIndex, chunk);
                    offset = 0;
                }

                byte* record = chunk.Data + offset;
                *(int*)record = length;
                *(int*)(record + 4) = 0;
                prefix.CopyTo(new Span<byte>(record + 8, prefix.Length));
                body.CopyTo(new Span<byte>(record + 8 + prefix.Length, body.Length));

                // Committed only now, in one store: a producer killed before it leaves no half item behind. The count
                // follows (a producer killed in between leaves it one short, which whoever takes the abandoned lock
                // recounts).
                Volatile.Write(ref *(long*)(header + WritePositionAt), Pack(chunkIndex, offset + need));
                Volatile.Write(ref *(long*)(header + PutCountAt), *(long*)(header + PutCountAt) + 1);
                committed = true;
                return true;
            }
            finally
            {
                // Leaving the lock is an interlocked exchange: the full fence between the commit and Signal's read of
                // the sleepers, which an exchange on the position used to pay for a second time.
                RobustLock.Exit(_producerLock);
            }
        }
        finally
        {
            try
            {
                if (committed)
                {
                    Signal(NotEmptyAt, NotEmptyWaitersAt, 1); // still mapped: the use ends below
                }
            }
            finally
            {
                Segment.EndUse();
            }
        }
    }

    internal bool TryGet(int timeoutMilliseconds, out T item)
    {
        Segment.BeginUse();
        try
        {
            EnterConsumers(Segment);
            try
            {
                if (!SeesItem() && !WaitForItemLocked(timeoutMilliseconds))
                {
                    item = default!;
                    return false;
                }

                Take(out item);
                return true;
            }
            finally
            {
                RobustLock.Exit(_consumerLock);
            }
        }
        finally
        {
            Segment.EndUse();
        }
    }

    /// <summary>
    /// Whether an item is committed and not yet taken. The positions say so, not the count: the count follows them,
    /// and after a producer was killed between the two it is off until the next put.
    /// </summary>
    internal bool HasItems
    {
        get
        {
            byte* header = Data; // checked: also asked outside an operation (TryGet, the waits' conditions)
            long read = Volatile.Read(ref *(long*)(header + ReadPositionAt));
            return Volatile.Read(ref *(long*)(header + WritePositionAt)) != read;
        }
    }

    /// <summary>
    /// Holding the consumers' lock: whether an item is committed after the read position. The write position last seen
    /// here answers while the reader is behind it (positions only grow), so a consumer that is behind does not read the
    /// line producers write on every put; only once it has caught up does it look again.
    /// </summary>
    private bool SeesItem()
    {
        long read = Volatile.Read(ref *(long*)(_header + ReadPositionAt));
        if ((ulong)read < (ulong)_seenWrite)
        {
            return true;
        }

        _seenWrite = Volatile.Read(ref *(long*)(_header + WritePositionAt));
        return _seenWrite != read;
    }

    /// <summary>Holding the consumers' lock on an empty queue: waits for an item; throws once the queue is closed and drained.</summary>
    private bool WaitForItemLocked(int timeoutMilliseconds)
    {
        Deadline deadline = Deadline.After(timeoutMilliseconds);
        while (true)
        {
            // Closed is read before the positions: every put was committed before the close.
            bool closed = IsClosed;
            if (SeesItem())
            {
                return true;
            }

            if (closed)
            {
                throw ClosedAndEmpty();
            }

            if (deadline.Remaining == 0
                || !WaitLocked(consumers: true, NotEmptyAt, NotEmptyWaitersAt, deadline.Remaining, _hasItemsOrClosed))
            {
                return false;
            }
        }
    }

    /// <summary>Takes the first item; the caller holds the consumers' lock and saw one committed.</summary>
    private void Take(out T item)
    {
        byte* header = _header;
        (long chunkIndex, long offset) = Unpack(Volatile.Read(ref *(long*)(header + ReadPositionAt)));
        SharedSegment chunk = ReadChunk(chunkIndex);
        while (offset + 8 > chunk.DataSize || *(int*)(chunk.Data + offset) == EndOfChunk)
        {
            if (chunkIndex >= Unpack(_seenWrite).Chunk)
            {
                throw Corrupt($"a read position past the end of chunk {chunkIndex}, the last one written");
            }

            // This chunk is done: move on first, then hand its slot back (a consumer killed in between leaks one
            // slot, never hands it back twice). The free slots are the producers': their lock guards them.
            Volatile.Write(ref *(long*)(header + ReadPositionAt), Pack(chunkIndex + 1, 0));
            RobustLock.Enter(_producerLock, reentrant: false, -1, out bool abandoned);
            try
            {
                if (abandoned)
                {
                    Recount();
                }

                _chunks.Finish(chunkIndex);
            }
            finally
            {
                RobustLock.Exit(_producerLock);
            }

            chunkIndex++;
            offset = 0;
            chunk = ReadChunk(chunkIndex);
        }

        byte* record = chunk.Data + offset;
        int length = *(int*)record;

        // The length comes from shared memory: a broken or hostile process may have written anything there.
        if (length < 0 || 8 + Align8(length) > chunk.DataSize - offset)
        {
            throw Corrupt($"an item of {length} bytes at {offset} in a chunk of {chunk.DataSize} bytes");
        }

        // The item is taken before it is read, as Python's get does: one that cannot be read (say, a handle whose
        // owner has gone) fails this get only, and the queue goes on. The count follows, as in Append.
        long next = Pack(chunkIndex, offset + 8 + Align8(length));
        Volatile.Write(ref *(long*)(header + ReadPositionAt), next);
        if (*(int*)(header + CapacityAt) > 0)
        {
            // Producers wait for room on the count: a full fence after it, before Signal reads the sleepers.
            Interlocked.Exchange(ref *(long*)(header + TakenCountAt), *(long*)(header + TakenCountAt) + 1);
            Signal(NotFullAt, NotFullWaitersAt, 1);
        }
        else
        {
            Volatile.Write(ref *(long*)(header + TakenCountAt), *(long*)(header + TakenCountAt) + 1); // nobody waits for room
        }

        // Read in place (one copy less): the consumers' lock keeps the chunk from being reused meanwhile (only a
        // consumer finishes a chunk), and producers write only after the committed items.
        var bytes = new ReadOnlySpan<byte>(record + 8, length);
        if (typeof(T) == typeof(byte[]) && QueueItemCodec.TryReadBytes(bytes, out byte[]? array))
        {
            item = Unsafe.As<byte[]?, T>(ref array);
            return;
        }

        if (QueueItemCodec.IsRaw<T>() && length == Unsafe.SizeOf<T>())
        {
            item = Unsafe.ReadUnaligned<T>(record + 8);
            return;
        }

        MemoryPackReaderOptionalState state = MemoryPackReaderOptionalStatePool.Rent(null);
        try
        {
            var reader = new MemoryPackReader(bytes, state);
            item = reader.ReadValue<T>()!;
        }
        finally
        {
            ((IDisposable)state).Dispose();
        }
    }

    /// <summary>This process's mapping of chunk <paramref name="index"/>, for the producer that holds the lock.</summary>
    private SharedSegment WriteChunk(long index) => CachedChunk(index, ref _writeIndex, ref _writeChunk);

    /// <summary>This process's mapping of chunk <paramref name="index"/>, for the consumer that holds the lock.</summary>
    private SharedSegment ReadChunk(long index) => CachedChunk(index, ref _readIndex, ref _readChunk);

    /// <summary>The chunk a side used last when it is <paramref name="index"/> and still mapped; else the chain's mapping, kept as that side's last.</summary>
    private SharedSegment CachedChunk(long index, ref long cachedIndex, ref SharedSegment? cached)
    {
        SharedSegment? chunk = cached;
        if (chunk is null || cachedIndex != index || chunk.IsDisposed)
        {
            chunk = _chunks.Chunk(index);
            (cachedIndex, cached) = (index, chunk);
        }

        return chunk;
    }

    /// <summary>
    /// Takes the producers' lock (the segment's). A producer killed holding it may have committed an item without
    /// counting it: the count is then recomputed, which takes the consumers' lock first (the order every thread
    /// keeps), so this lock is let go meanwhile, with a flag that makes whoever comes next recount if this thread
    /// dies before it has.
    /// </summary>
    private void EnterProducers(SharedSegment? lifetime)
    {
        RobustLock.Enter(_producerLock, reentrant: false, -1, out bool abandoned, lifetime);
        if (!abandoned && Volatile.Read(ref *(int*)(_header + RecountNeededAt)) == 0)
        {
            return;
        }

        Interlocked.Exchange(ref *(int*)(_header + RecountNeededAt), 1);
        RobustLock.Exit(_producerLock);
        RobustLock.Enter(_consumerLock, reentrant: false, -1, out _);
        try
        {
            RobustLock.Enter(_producerLock, reentrant: false, -1, out _);
            try
            {
                Recount();
            }
            catch
            {
                RobustLock.Exit(_producerLock);
                throw;
            }
        }
        finally
        {
            RobustLock.Exit(_consumerLock);
        }
    }

    /// <summary>
    /// Takes the consumers' lock. A consumer killed holding it may have taken an item without counting it (or a
    /// producer asked for a recount): the count is then recomputed under the producers' lock too.
    /// </summary>
    private void EnterConsumers(SharedSegment? lifetime)
    {
        RobustLock.Enter(_consumerLock, reentrant: false, -1, out bool abandoned, lifetime);
        if (!abandoned && Volatile.Read(ref *(int*)(_header + RecountNeededAt)) == 0)
        {
            return;
        }

        try
        {
            RobustLock.Enter(_producerLock, reentrant: false, -1, out _);
            try
            {
                Recount();
            }
            finally
            {
                RobustLock.Exit(_producerLock);
            }
        }
        catch
        {
            RobustLock.Exit(_consumerLock);
            throw;
        }
    }

    /// <summary>Counts the committed items between the read and write positions. Caller holds both locks.</summary>
    private void Recount()
    {
        byte* header = _header;
        (long chunkIndex, long offset) = Unpack(Volatile.Read(ref *(long*)(header + ReadPositionAt)));
        (long lastChunk, long end) = Unpack(Volatile.Read(ref *(long*)(header + WritePositionAt)));
        long items = 0;
        while (chunkIndex < lastChunk || (chunkIndex == lastChunk && offset < end))
        {
            SharedSegment chunk = _chunks.Chunk(chunkIndex);
            if (offset + 8 > chunk.DataSize || *(int*)(chunk.Data + offset) == EndOfChunk)
            {
                chunkIndex++;
                offset = 0;
                continue;
            }

            int length = *(int*)(chunk.Data + offset);
            if (length < 0 || 8 + Align8(length) > chunk.DataSize - offset)
            {
                break; // corrupt: the items before it are counted, and the get that reaches it throws
            }

            offset += 8 + Align8(length);
            items++;
        }

        // Only the put count moves: both locks are held, so neither count is moving meanwhile.
        Volatile.Write(ref *(long*)(header + PutCountAt), Volatile.Read(ref *(long*)(header + TakenCountAt)) + items);
        Interlocked.Exchange(ref *(int*)(header + RecountNeededAt), 0); // a full fence before Signal reads the sleepers

        // Whoever sleeps on the old count looks again (an item the count had missed, or room it had hidden).
        Signal(NotEmptyAt, NotEmptyWaitersAt, int.MaxValue);
        Signal(NotFullAt, NotFullWaitersAt, int.MaxValue);
    }

    /// <summary>
    /// Holding the producers' or the consumers' lock, waits for <paramref name="ready"/>: spins a little outside the
    /// lock (a busy producer or consumer is about to act), then sleeps on the sequence word until signalled or out of
    /// time, and takes the lock back to look again (another consumer or producer may have been first).
    /// </summary>
    private bool WaitLocked(bool consumers, int sequenceAt, int waitersAt, int timeoutMilliseconds, Func<bool> ready)
    {
        Deadline deadline = Deadline.After(timeoutMilliseconds);
        var condition = new Ready(ready);
        int* lockWord = consumers ? _consumerLock : _producerLock; // mapped while the caller's use lasts
        for (int round = 0; !ready(); round++)
        {
            if (deadline.HasPassed)
            {
                return false;
            }

            RobustLock.Exit(lockWord);
            try
            {
                if (round == 0 && SpinUntil(ready))
                {
                    continue;
                }

                Waits(sequenceAt, waitersAt).WaitUntil(ref condition, deadline, Segment);
            }
            finally
            {
                if (consumers)
                {
                    EnterConsumers(null);
                }
                else
                {
                    EnterProducers(null);
                }
            }
        }

        return true;
    }

    /// <summary>
    /// A streaming peer acts again within microseconds: catching that by spinning (without the lock, and
    /// without announcing a sleeper) saves both sides a futex: the wake is a system call, the sleep a
    /// context switch. The spin yields at every turn rather than pausing, as <see cref="Ipc.ByteRing"/>'s does: on
    /// two cores the thread waited for (a manager answering a call, a producer) is often queued on this very core,
    /// and a yield with nothing else to run returns at once. On a loaded two-core host a manager set+get took 88 µs
    /// with a pausing spin and 5–9 µs with this one; 64 pausing turns before the yields made it 25–28 µs.
    /// </summary>
    private static bool SpinUntil(Func<bool> ready)
    {
        long spinUntil = Stopwatch.GetTimestamp() + SpinTicks;
        while (true)
        {
            if (ready())
            {
                return true;
            }

            if (Stopwatch.GetTimestamp() >= spinUntil)
            {
                return false;
            }

            Thread.Yield();
        }
    }

    /// <summary>The sequence word at <paramref name="sequenceAt"/> with its sleepers at <paramref name="waitersAt"/>.</summary>
    private WaitWord Waits(int sequenceAt, int waitersAt)
        => new((int*)(_header + sequenceAt), (int*)(_header + waitersAt), (int*)(_header + (sequenceAt == NotEmptyAt ? NotEmptyArmedAt : NotFullArmedAt)));

    /// <summary>
    /// Wakes the sleepers of a sequence word: for one item or one slot (<paramref name="count"/> 1), only when one of them
    /// armed it since the last wake-up (a stream of puts to a consumer that is still waking up costs no system call per
    /// item, see <see cref="WaitWord.AdvanceIfArmed"/>); for a close or a recount, always.
    /// </summary>
    private void Signal(int sequenceAt, int waitersAt, int count)
    {
        if (count == 1)
        {
            Waits(sequenceAt, waitersAt).AdvanceIfArmed();
        }
        else
        {
            Waits(sequenceAt, waitersAt).Advance(count);
        }
    }

    /// <summary>Waits, without the lock, at most <paramref name="milliseconds"/> for an item (or the queue's close).</summary>
    internal void WaitForItem(int milliseconds)
    {
        using SegmentUse use = Use();
        var condition = new Ready(_hasItemsOrClosed);
        Waits(NotEmptyAt, NotEmptyWaitersAt).WaitUntil(ref condition, Deadline.After(milliseconds), Segment);
    }

    /// <summary>Waits, without the lock, at most <paramref name="milliseconds"/> for room in a bounded queue (or its close).</summary>
    internal void WaitForSpace(int milliseconds)
    {
        using SegmentUse use = Use();
        var condition = new Ready(() => Capacity == 0 || Count < Capacity || IsClosed);
        Waits(NotFullAt, NotFullWaitersAt).WaitUntil(ref condition, Deadline.After(milliseconds), Segment);
    }

    private void ThrowIfClosed()
    {
        if (IsClosed)
        {
            throw new InvalidOperationException("The queue is closed: no more items can be put.");
        }
    }

    private static InvalidOperationException ClosedAndEmpty() => new("The queue is closed and empty: no item will come.");

    /// <summary>What a get or put that finds impossible values in shared memory (a broken or hostile process) throws.</summary>
    private static InvalidOperationException Corrupt(string what) => new($"Corrupt ParallelKit queue: {what}. Nothing was read or written outside the queue's memory.");

    /// <summary>A wait's condition given as a delegate (a queue's conditions read several words).</summary>
    private readonly struct Ready(Func<bool> ready) : IWaitCondition
    {
        public bool IsMet() => ready();
    }

    /// <summary>Checks the arguments before any file is created for the queue.</summary>
    private static SharedSegment CreateSegment(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        return SharedSegment.Create(HeaderSize, Tag);
    }

}

/// <summary>The waits of <see cref="ProcessQueue{T}"/>'s async methods, on the thread pool in short slices so that cancellation is prompt.</summary>
internal static class QueueWaits
{
    public static async ValueTask PutAsync<T>(ProcessQueue<T> queue, byte[] payload, CancellationToken cancellationToken)
    {
        while (!queue.Append(default, payload, 0))
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Run(() => queue.WaitForSpace(50), cancellationToken).ConfigureAwait(false);
        }
    }

    public static async ValueTask<T> GetAsync<T>(ProcessQueue<T> queue, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Run(() => queue.WaitForItem(50), cancellationToken).ConfigureAwait(false);
            if (queue.TryGet(0, out T item))
            {
                return item;
            }
        }
    }
}
