using System;
using System.Buffers;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;
using MemoryPack;
using ParallelKit.CspRuntime;
using ParallelKit.SharedMemory;

namespace ParallelKit;

/// <summary>
/// A CSP channel (PyCSP's <c>Channel</c>): any number of readers and writers, unbuffered (a write completes
/// when a reader has taken the value: a rendezvous) or buffered. Processes get typed ends from
/// <see cref="CspChannel{T}.Reader"/> and <see cref="CspChannel{T}.Writer"/>; each call makes one end, and
/// the channel counts them for retire. Named <c>CspChannel</c> so that <c>System.Threading.Channels</c> stays
/// usable beside it.
/// </summary>
/// <example>
/// <code>
/// var c = CspChannel.Create&lt;long&gt;();              // rendezvous; CspChannel.Create&lt;long&gt;(buffer: 8)
/// await Csp.Parallel(Net.Processes.Producer(c.Writer()), Net.Processes.Consumer(c.Reader()));
/// </code>
/// </example>
public abstract class CspChannel
{
    private static long s_lastId;
    private static int s_lastName;

    private protected CspChannel(string? name)
    {
        Id = Interlocked.Increment(ref s_lastId);
        Name = name ?? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"channel-{Interlocked.Increment(ref s_lastName)}");
    }

    /// <summary>The channel's name, as given to <see cref="Create{T}(int, string?)"/> or <c>channel-N</c>; used in exception messages.</summary>
    public string Name { get; }

    /// <summary>Whether the channel has been poisoned, from either end.</summary>
    public bool IsPoisoned
    {
        get
        {
            if (Shared is { } shared)
            {
                return (shared.State & (ChannelState.PoisonedByReader | ChannelState.PoisonedByWriter)) != 0;
            }

            lock (Gate)
            {
                return (State & (ChannelState.PoisonedByReader | ChannelState.PoisonedByWriter)) != 0;
            }
        }
    }

    /// <summary>Orders the locks of the channels one alternation takes: always by id, so two alternations never deadlock.</summary>
    internal long Id { get; }

    private int _readerEndsInUse;
    private int _writerEndsInUse;
    private int _readerEndsLooping;
    private int _writerEndsLooping;
    private int _readerEndsStarting;
    private int _writerEndsStarting;
    private int _startWaitsSpent; // 1: readers' side, 2: writers' side (a fair selection waited for it in vain)

    /// <summary>Guards all of the channel's state.</summary>
    internal Lock Gate { get; } = new();

    /// <summary>
    /// The channel's state in shared memory, once an end of it was passed to an OS process of its own (then every
    /// operation, in every process, works there); <see langword="null"/> while it is used in this process only.
    /// </summary>
    internal abstract SharedChannel? Shared { get; }

    /// <summary>Poison and retire of an in-process channel; read and written holding <see cref="Gate"/>.</summary>
    internal ChannelState State { get; set; }

    /// <summary>
    /// The waiting writer whose value a read of this in-process channel took last, straight from its offer: while its
    /// continuation waits to run (<see cref="Selection.IsDispatched"/>), it is on its way back to offer again. A
    /// blocking fair selection waits for it briefly (see <see cref="Alternation"/>). A hint: selections are pooled.
    /// </summary>
    internal Selection? ReturningWriter;

    /// <summary>The waiting reader a write to this in-process channel gave its value last, straight into its offer (as <see cref="ReturningWriter"/>, the other way).</summary>
    internal Selection? ReturningReader;

    /// <summary>Whether a read might not wait now (a value buffered, a writer waiting, or the channel poisoned or its writers retired): a lock-free hint.</summary>
    internal abstract bool MayBeReadable { get; }

    /// <summary>Whether a write might not wait now (a reader waiting, room in the buffer, or the channel poisoned or its readers retired): a lock-free hint.</summary>
    internal abstract bool MayBeWritable { get; }

    /// <summary>
    /// Whether one end at most is in use on the writing side (<paramref name="writers"/>) or the reading side: ends
    /// that have read, written or selected, and not retired (an extra end made but never used does not count). A
    /// lock-free hint.
    /// </summary>
    internal bool HasOneEnd(bool writers) => Volatile.Read(ref writers ? ref _writerEndsInUse : ref _readerEndsInUse) <= 1;

    /// <summary>Counts an end of one side in (<paramref name="change"/> 1, its first operation) or out (-1, it retired); see <see cref="HasOneEnd"/>.</summary>
    internal void CountEndInUse(bool writer, int change) => Interlocked.Add(ref writer ? ref _writerEndsInUse : ref _readerEndsInUse, change);

    /// <summary>
    /// Whether an end on the writing side (<paramref name="writers"/>) or the reading side loops on this channel: its
    /// thread's last blocking operations were all on it (<see cref="ChannelEnd.NoteBlockingOperation"/>), so when it is
    /// not offering now it is on its way back, not busy elsewhere. A lock-free hint.
    /// </summary>
    internal bool HasLoopingEnd(bool writers) => Volatile.Read(ref writers ? ref _writerEndsLooping : ref _readerEndsLooping) > 0;

    /// <summary>Counts an end of one side in (<paramref name="change"/> 1) or out (-1) of the looping ones; see <see cref="HasLoopingEnd"/>.</summary>
    internal void CountLoopingEnd(bool writer, int change) => Interlocked.Add(ref writer ? ref _writerEndsLooping : ref _readerEndsLooping, change);

    /// <summary>
    /// Whether an end on the writing side (<paramref name="writers"/>) or the reading side was given to a process of a
    /// <c>Parallel</c> that has not used it yet (its process is still starting: a new thread waits for a core, its
    /// first call compiles), and no fair selection has waited for that side in vain yet
    /// (<see cref="StartWaitTimedOut"/>). A lock-free hint.
    /// </summary>
    internal bool HasEndStarting(bool writers)
        => Volatile.Read(ref writers ? ref _writerEndsStarting : ref _readerEndsStarting) > 0
        && (Volatile.Read(ref _startWaitsSpent) & (writers ? 2 : 1)) == 0;

    /// <summary>Counts an end of one side in (<paramref name="change"/> 1, given to a starting process) or out (-1, used, retired, or its process ended); see <see cref="HasEndStarting"/>.</summary>
    internal void CountEndStarting(bool writer, int change) => Interlocked.Add(ref writer ? ref _writerEndsStarting : ref _readerEndsStarting, change);

    /// <summary>A fair selection waited in vain for a side's starting end (<see cref="HasEndStarting"/>): none waits for that side's start again (an end held and never used, say a quit signal's, costs one wait).</summary>
    internal void StartWaitTimedOut(bool writers) => Interlocked.Or(ref _startWaitsSpent, writers ? 2 : 1);

    /// <summary>Creates a channel.</summary>
    /// <typeparam name="T">The type of the values it carries.</typeparam>
    /// <param name="buffer">How many values writers may leave before a reader takes them; 0 (the default) for a rendezvous.</param>
    /// <param name="name">A name for exception messages; <see langword="null"/> for <c>channel-N</c>.</param>
    /// <returns>The channel; get its ends with <see cref="CspChannel{T}.Reader"/> and <see cref="CspChannel{T}.Writer"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="buffer"/> is negative.</exception>
    public static CspChannel<T> Create<T>(int buffer = 0, string? name = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(buffer);
        return new CspChannel<T>(buffer, name);
    }

    /// <summary>Poisons the channel (from neither end in particular: like a reader's poison, it discards what is buffered).</summary>
    public void Poison() => PoisonCore(byWriter: false);

    /// <summary>Poisons the channel and fails every waiting offer.</summary>
    internal abstract void PoisonCore(bool byWriter);

    /// <summary>Retires one end of the given side; the last one of a side retires that side.</summary>
    internal abstract void RetireEnd(bool writer);

    /// <summary>
    /// Moves the channel's state to shared memory (once), so that an OS process given one of its ends can use it
    /// directly; every operation in this process then works there too.
    /// </summary>
    /// <exception cref="InvalidOperationException">Operations are waiting on the channel in this process now.</exception>
    internal abstract SharedChannel Promote();

    /// <summary>The exception for a failed outcome of an operation on this channel.</summary>
    internal Exception Failure(int outcome) => outcome == Selection.Retired
        ? new ChannelRetiredException($"The channel '{Name}' is retired: every end on its other side has retired.")
        : new ChannelPoisonedException($"The channel '{Name}' is poisoned.");
}

/// <summary>Poison and retire state of a channel.</summary>
[Flags]
internal enum ChannelState
{
    /// <summary>Open.</summary>
    None = 0,

    /// <summary>Set by a reader's (or the channel's own) poison: every operation fails at once, buffered values are dropped.</summary>
    PoisonedByReader = 1,

    /// <summary>Set by a writer's poison: writes fail at once; reads drain the buffer first.</summary>
    PoisonedByWriter = 2,

    /// <summary>Set when the last reader end retires: writes fail.</summary>
    ReadersRetired = 4,

    /// <summary>Set when the last writer end retires: reads fail once the buffer is drained.</summary>
    WritersRetired = 8,
}


/// <summary>A typed CSP channel; see <see cref="CspChannel"/>.</summary>
/// <typeparam name="T">The type of the values it carries.</typeparam>
public sealed class CspChannel<T> : CspChannel
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_bytes;

    private readonly Queue<T> _buffer = new();
    private readonly LinkedList<ValueOffer> _readers = new();
    private readonly LinkedList<ValueOffer> _writers = new();
    private int _liveReaderEnds;
    private int _liveWriterEnds;
    private volatile SharedChannel? _shared;
    private ValueOffer? _spareReadOffer;  // the last single read's offer (with its selection), for the next one
    private ValueOffer? _spareWriteOffer; // the same for writes

    internal CspChannel(int buffer, string? name)
        : base(name)
    {
        BufferSize = buffer;
    }

    /// <summary>This process's view of a channel in shared memory (an OS process given its ends).</summary>
    internal CspChannel(SharedChannel shared, int buffer, string name)
        : base(name)
    {
        BufferSize = buffer;
        _shared = shared;
    }

    /// <summary>How many values writers may leave before a reader takes them; 0 for a rendezvous.</summary>
    public int BufferSize { get; }

    internal override SharedChannel? Shared => _shared;

    internal override bool MayBeReadable => _buffer.Count > 0 || _writers.Count > 0
        || (State & (ChannelState.PoisonedByReader | ChannelState.PoisonedByWriter | ChannelState.WritersRetired)) != 0;

    internal override bool MayBeWritable => _readers.Count > 0 || _buffer.Count < BufferSize
        || (State & (ChannelState.PoisonedByReader | ChannelState.PoisonedByWriter | ChannelState.ReadersRetired)) != 0;

    /// <summary>Makes a new reading end, counted for retire.</summary>
    /// <returns>The end; pass it to one process.</returns>
    public ChannelIn<T> Reader()
    {
        AddEnd(writer: false);
        return new ChannelIn<T>(this);
    }

    /// <summary>Makes a new writing end, counted for retire.</summary>
    /// <returns>The end; pass it to one process.</returns>
    public ChannelOut<T> Writer()
    {
        AddEnd(writer: true);
        return new ChannelOut<T>(this);
    }

    /// <inheritdoc/>
    public override string ToString() => $"CspChannel<{typeof(T).Name}> {Name}";

    internal override void PoisonCore(bool byWriter)
    {
        lock (Gate)
        {
            if (_shared is { } shared)
            {
                using (shared.Arena.Lock())
                {
                    shared.PoisonLocked(byWriter);
                }

                return;
            }

            // Poisoning again does nothing, but a reader's poison after a writer's drops what that one left buffered.
            if ((State & ChannelState.PoisonedByReader) != 0 || (byWriter && (State & ChannelState.PoisonedByWriter) != 0))
            {
                return;
            }

            State |= byWriter ? ChannelState.PoisonedByWriter : ChannelState.PoisonedByReader;
            if (!byWriter)
            {
                _buffer.Clear();
            }

            FailAll(_readers, Selection.Poisoned);
            FailAll(_writers, Selection.Poisoned);
        }
    }

    internal override void RetireEnd(bool writer)
    {
        lock (Gate)
        {
            if (_shared is { } shared)
            {
                using (shared.Arena.Lock())
                {
                    shared.RetireEndLocked(writer);
                }

                return;
            }

            if (writer)
            {
                if (--_liveWriterEnds == 0)
                {
                    State |= ChannelState.WritersRetired;

                    // Readers wait only on an empty buffer: nothing more will come.
                    FailAll(_readers, Selection.Retired);
                }
            }
            else if (--_liveReaderEnds == 0)
            {
                State |= ChannelState.ReadersRetired;
                _buffer.Clear();
                FailAll(_writers, Selection.Retired);
            }
        }
    }

    internal override SharedChannel Promote()
    {
        lock (Gate)
        {
            if (_shared is { } promoted)
            {
                return promoted;
            }

            if (_readers.Count > 0 || _writers.Count > 0)
            {
                throw new InvalidOperationException(
                    $"The channel '{Name}' has reads or writes waiting in this OS process: it cannot move to shared memory now. Give its ends to processes run with .InOsProcess() before the processes that use it start (in the same Csp.Parallel), or use another channel.");
            }

            CspArena arena = CspArena.Own;
            SharedChannel shared;
            using (arena.Lock())
            {
                int record = arena.AllocateChannelLocked(BufferSize, _liveReaderEnds, _liveWriterEnds, State, out int generation);
                shared = new SharedChannel(arena, record, generation, Name);
                foreach (T value in _buffer)
                {
                    shared.Enqueue(arena.WriteValueLocked(Serialize(value)));
                }
            }

            _buffer.Clear();
            _shared = shared;
            return shared;
        }
    }

    /// <summary>Makes one more reader end for a replica of a process (the channel counts it).</summary>
    internal ChannelIn<T> ForkReader() => Reader();

    /// <summary>Makes one more writer end for a replica of a process (the channel counts it).</summary>
    internal ChannelOut<T> ForkWriter() => Writer();

    /// <summary>
    /// Takes a value if one is ready, holding <see cref="CspChannel.Gate"/>: from the buffer (then refilling it
    /// from a waiting writer), or from a waiting writer directly. Outcome 0: taken; <see cref="Selection.Waiting"/>:
    /// nothing ready; a failure outcome otherwise.
    /// </summary>
    internal int TryReadLocked(out T value)
    {
        if ((State & ChannelState.PoisonedByReader) != 0)
        {
            value = default!;
            return Selection.Poisoned;
        }

        if (_buffer.Count > 0)
        {
            value = _buffer.Dequeue();
            while (_writers.First is { } node)
            {
                _writers.RemoveFirst();
                ValueOffer offer = node.Value;
                if (offer.Selection.TryClaim(offer.GuardIndex))
                {
                    _buffer.Enqueue(offer.Value);
                    offer.Selection.Signal();
                    break;
                }
            }

            return 0;
        }

        if ((State & ChannelState.PoisonedByWriter) != 0)
        {
            value = default!;
            return Selection.Poisoned;
        }

        while (_writers.First is { } node)
        {
            _writers.RemoveFirst();
            ValueOffer offer = node.Value;
            if (offer.Selection.TryClaim(offer.GuardIndex))
            {
                value = offer.Value;
                offer.Selection.Signal();
                ReturningWriter = offer.Selection;
                return 0;
            }
        }

        value = default!;
        return (State & ChannelState.WritersRetired) != 0 ? Selection.Retired : Selection.Waiting;
    }

    /// <summary>Gives <paramref name="value"/> away if a reader waits or the buffer has room, holding <see cref="CspChannel.Gate"/>; outcomes as <see cref="TryReadLocked"/>.</summary>
    internal int TryWriteLocked(T value)
    {
        if ((State & (ChannelState.PoisonedByReader | ChannelState.PoisonedByWriter)) != 0)
        {
            return Selection.Poisoned;
        }

        if ((State & ChannelState.ReadersRetired) != 0)
        {
            return Selection.Retired;
        }

        while (_readers.First is { } node)
        {
            _readers.RemoveFirst();
            ValueOffer offer = node.Value;
            if (offer.Selection.TryClaim(offer.GuardIndex))
            {
                offer.Value = value;
                offer.Selection.Signal();
                ReturningReader = offer.Selection;
                return 0;
            }
        }

        if (_buffer.Count < BufferSize)
        {
            _buffer.Enqueue(value);
            return 0;
        }

        return Selection.Waiting;
    }

    /// <summary>For an alternation: <see cref="TryReadLocked"/> here or in shared memory, holding the lock of whichever holds the channel.</summary>
    internal int TryReadAnyLocked(out T value)
    {
        if (_shared is not { } shared)
        {
            return TryReadLocked(out value);
        }

        int outcome = shared.TryReadLocked(out int cells);
        value = outcome == 0 ? CspValues.Deserialize<T>(shared.Arena.TakeValueLocked(cells)) : default!;
        return outcome;
    }

    /// <summary>For an alternation: <see cref="TryWriteLocked"/> here or in shared memory, holding the lock of whichever holds the channel.</summary>
    internal int TryWriteAnyLocked(T value)
    {
        if (_shared is not { } shared)
        {
            return TryWriteLocked(value);
        }

        int cells = shared.Arena.WriteValueLocked(Serialize(value));
        int outcome = shared.TryWriteLocked(cells);
        if (outcome != 0)
        {
            shared.Arena.FreeValueLocked(cells);
        }

        return outcome;
    }

    /// <summary>Leaves a waiting read for <paramref name="selection"/> (an alternation's), holding the channel's lock.</summary>
    internal Offer OfferRead(Selection selection, int guardIndex)
    {
        if (_shared is { } shared)
        {
            return new SharedOffer<T>(shared, shared.OfferLocked(selection.Slot, guardIndex, reader: true, 0), reader: true);
        }

        var offer = new ValueOffer(this) { Selection = selection, GuardIndex = guardIndex };
        _readers.AddLast(offer.Node);
        return offer;
    }

    /// <summary>Leaves a waiting write of <paramref name="value"/> for <paramref name="selection"/> (an alternation's), holding the channel's lock.</summary>
    internal Offer OfferWrite(Selection selection, int guardIndex, T value)
    {
        if (_shared is { } shared)
        {
            int cells = shared.Arena.WriteValueLocked(Serialize(value));
            try
            {
                return new SharedOffer<T>(shared, shared.OfferLocked(selection.Slot, guardIndex, reader: false, cells), reader: false);
            }
            catch
            {
                shared.Arena.FreeValueLocked(cells); // no room for one more offer
                throw;
            }
        }

        var offer = new ValueOffer(this) { Selection = selection, GuardIndex = guardIndex, Value = value };
        _writers.AddLast(offer.Node);
        return offer;
    }

    /// <summary>Reads one value, waiting for a writer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal T Read(CancellationToken cancellationToken)
    {
        ValueOffer? offer = null;
        lock (Gate)
        {
            // Checked under the lock: a channel moves to shared memory holding it, and only while no offer waits here.
            if (_shared is null)
            {
                int outcome = TryReadLocked(out T value);
                if (outcome == 0)
                {
                    return value;
                }

                if (outcome != Selection.Waiting)
                {
                    throw Failure(outcome);
                }

                offer = RentOffer(ref _spareReadOffer, async: false, default!);
                _readers.AddLast(offer.Node);
            }
        }

        if (offer is null)
        {
            return ReadShared(_shared!, cancellationToken);
        }

        offer.Selection.Wait(-1, cancellationToken);
        return Finish(offer, cancellationToken);
    }

    /// <summary>Reads one value without blocking a thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal ValueTask<T> ReadAsync(CancellationToken cancellationToken)
    {
        ValueOffer? offer = null;
        lock (Gate)
        {
            // Checked under the lock: a channel moves to shared memory holding it, and only while no offer waits here.
            if (_shared is null)
            {
                int outcome = TryReadLocked(out T value);
                if (outcome == 0)
                {
                    return new ValueTask<T>(value);
                }

                if (outcome != Selection.Waiting)
                {
                    return ValueTask.FromException<T>(Failure(outcome));
                }

                offer = RentOffer(ref _spareReadOffer, async: true, default!);
                _readers.AddLast(offer.Node);
            }
        }

        if (offer is null)
        {
            return ReadSharedAsync(_shared!, cancellationToken);
        }

        ValueTask wait = offer.Selection.WaitAsync(-1, cancellationToken);
        if (!wait.IsCompleted)
        {
            offer.Token = cancellationToken;
            return new ValueTask<T>(offer, offer.Selection.Version);
        }

        try
        {
            return new ValueTask<T>(Finish(offer, cancellationToken));
        }
        catch (Exception e)
        {
            return ValueTask.FromException<T>(e);
        }
    }

    /// <summary>Writes one value, waiting for a reader to take it (or for room in the buffer).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void Write(T value, CancellationToken cancellationToken)
    {
        ValueOffer? offer = null;
        lock (Gate)
        {
            // Checked under the lock: a channel moves to shared memory holding it, and only while no offer waits here.
            if (_shared is null)
            {
                int outcome = TryWriteLocked(value);
                if (outcome == 0)
                {
                    return;
                }

                if (outcome != Selection.Waiting)
                {
                    throw Failure(outcome);
                }

                offer = RentOffer(ref _spareWriteOffer, async: false, value);
                _writers.AddLast(offer.Node);
            }
        }

        if (offer is null)
        {
            WriteShared(_shared!, value, cancellationToken);
            return;
        }

        offer.Selection.Wait(-1, cancellationToken);
        _ = Finish(offer, cancellationToken);
    }

    /// <summary>Writes one value without blocking a thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal ValueTask WriteAsync(T value, CancellationToken cancellationToken)
    {
        ValueOffer? offer = null;
        lock (Gate)
        {
            // Checked under the lock: a channel moves to shared memory holding it, and only while no offer waits here.
            if (_shared is null)
            {
                int outcome = TryWriteLocked(value);
                if (outcome == 0)
                {
                    return ValueTask.CompletedTask;
                }

                if (outcome != Selection.Waiting)
                {
                    return ValueTask.FromException(Failure(outcome));
                }

                offer = RentOffer(ref _spareWriteOffer, async: true, value);
                _writers.AddLast(offer.Node);
            }
        }

        if (offer is null)
        {
            return WriteSharedAsync(_shared!, value, cancellationToken);
        }

        ValueTask wait = offer.Selection.WaitAsync(-1, cancellationToken);
        if (!wait.IsCompleted)
        {
            offer.Token = cancellationToken;
            return new ValueTask(offer, offer.Selection.Version);
        }

        try
        {
            _ = Finish(offer, cancellationToken);
            return ValueTask.CompletedTask;
        }
        catch (Exception e)
        {
            return ValueTask.FromException(e);
        }
    }

    /// <summary>The MemoryPack bytes of a value, in this thread's buffer (valid until its next call).</summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> cannot be marshaled (it names the channel and the type).</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ReadOnlySpan<byte> Serialize(T value)
    {
        HandleTypes.Ensure<T>();
        ArrayBufferWriter<byte> buffer = t_bytes ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        try
        {
            MemoryPackSerializer.Serialize(buffer, value);
        }
        catch (MemoryPackSerializationException e)
        {
            throw new InvalidOperationException(
                $"The channel '{Name}' has an end in another OS process (.InOsProcess()), so its values cross as bytes, and a value of type '{typeof(T)}' cannot be marshaled: {e.Message} Mark the type [MemoryPackable] (partial), or keep every end of this channel in one OS process. (PK4004 reports this at build time where .InOsProcess() is called on the process description itself.)",
                e);
        }

        if (buffer.Capacity > 1 << 20)
        {
            t_bytes = null; // do not keep a huge value's buffer per thread
        }

        return buffer.WrittenSpan;
    }

    /// <summary>The spare offer of one side (with its own selection), or a new one.</summary>
    private ValueOffer RentOffer(ref ValueOffer? spare, bool async, T value)
    {
        bool writer = Unsafe.AreSame(ref spare, ref _spareWriteOffer);
        ValueOffer offer = Interlocked.Exchange(ref spare, null) ?? new ValueOffer(this);
        if (!offer.OwnSelection.TryReset(async))
        {
            offer = new ValueOffer(this);
            offer.OwnSelection.TryReset(async);
        }

        offer.Selection = offer.OwnSelection;
        offer.GuardIndex = 0;
        offer.Value = value;
        offer.IsWriter = writer;
        return offer;
    }

    /// <summary>
    /// After a single read or write was signaled: its value when it was matched, else the exception. The offer (with
    /// its selection) becomes its side's spare again: a matcher unlinked the offer before it claimed it, and any other
    /// claimer (poison, cancellation) is shut out by the channel's lock taken here.
    /// </summary>
    private T Finish(ValueOffer offer, CancellationToken cancellationToken)
    {
        Selection selection = offer.Selection;
        selection.Disarm();
        int outcome = selection.Outcome;
        if (outcome != 0)
        {
            offer.Withdraw();
        }

        T value = offer.Value;
        offer.Value = default!;
        offer.Token = default;
        selection.TryReset(async: false); // a new version first: its finished ValueTask awaited again throws, never finishes twice
        Volatile.Write(ref offer.IsWriter ? ref _spareWriteOffer : ref _spareReadOffer, offer);
        if (outcome == 0)
        {
            return value;
        }

        if (outcome == Selection.Cancelled)
        {
            throw new OperationCanceledException(cancellationToken);
        }

        throw Failure(outcome);
    }

    private T ReadShared(SharedChannel shared, CancellationToken cancellationToken)
    {
        if (BeginSharedRead(shared, async: false, out T value, out Selection? selection, out int offer))
        {
            return value;
        }

        selection!.Wait(-1, cancellationToken);
        return FinishShared(shared, selection, offer, reader: true, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<T> ReadSharedAsync(SharedChannel shared, CancellationToken cancellationToken)
    {
        if (BeginSharedRead(shared, async: true, out T value, out Selection? selection, out int offer))
        {
            return value;
        }

        await selection!.WaitAsync(-1, cancellationToken).ConfigureAwait(false);
        return FinishShared(shared, selection, offer, reader: true, cancellationToken);
    }

    private void WriteShared(SharedChannel shared, T value, CancellationToken cancellationToken)
    {
        if (BeginSharedWrite(shared, value, async: false, out Selection? selection, out int offer))
        {
            return;
        }

        selection!.Wait(-1, cancellationToken);
        _ = FinishShared(shared, selection, offer, reader: false, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteSharedAsync(SharedChannel shared, T value, CancellationToken cancellationToken)
    {
        if (BeginSharedWrite(shared, value, async: true, out Selection? selection, out int offer))
        {
            return;
        }

        await selection!.WaitAsync(-1, cancellationToken).ConfigureAwait(false);
        _ = FinishShared(shared, selection, offer, reader: false, cancellationToken);
    }

    /// <summary>Reads at once (true) or leaves a waiting read in shared memory for a new selection.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool BeginSharedRead(SharedChannel shared, bool async, out T value, out Selection? selection, out int offer)
    {
        CspArena arena = shared.Arena;
        ReadOnlySpan<byte> bytes;
        using (arena.Lock())
        {
            int outcome = shared.TryReadLocked(out int cells);
            if (outcome == Selection.Waiting)
            {
                selection = Selection.Rent(async);
                int slot = arena.AllocateSlotLocked();
                selection.AttachSlot(arena, slot);
                offer = shared.OfferLocked(slot, 0, reader: true, 0);
                value = default!;
                return false;
            }

            if (outcome != 0)
            {
                throw Failure(outcome);
            }

            bytes = arena.TakeValueLocked(cells);
        }

        selection = null;
        offer = 0;
        value = CspValues.Deserialize<T>(bytes);
        return true;
    }

    /// <summary>Writes at once (true: taken or buffered) or leaves a waiting write in shared memory for a new selection.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool BeginSharedWrite(SharedChannel shared, T value, bool async, out Selection? selection, out int offer)
    {
        CspArena arena = shared.Arena;
        ReadOnlySpan<byte> bytes = Serialize(value);
        using (arena.Lock())
        {
            int cells = arena.WriteValueLocked(bytes);
            int outcome = shared.TryWriteLocked(cells);
            if (outcome == 0)
            {
                selection = null;
                offer = 0;
                return true;
            }

            if (outcome != Selection.Waiting)
            {
                arena.FreeValueLocked(cells);
                throw Failure(outcome);
            }

            selection = Selection.Rent(async);
            int slot = arena.AllocateSlotLocked();
            selection.AttachSlot(arena, slot);
            offer = shared.OfferLocked(slot, 0, reader: false, cells);
            return false;
        }
    }

    /// <summary>After a single shared read or write was signaled: withdraws its offer, frees its slot; the value read, or the exception.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private T FinishShared(SharedChannel shared, Selection selection, int offer, bool reader, CancellationToken cancellationToken)
    {
        selection.Disarm();
        int outcome;
        CspArena arena = shared.Arena;
        ReadOnlySpan<byte> bytes = default;
        using (arena.Lock())
        {
            int cells = shared.WithdrawLocked(offer);
            outcome = selection.Outcome; // withdrawn and disarmed: nobody claims it any more
            if (outcome == 0 && reader && cells == 0)
            {
                outcome = Selection.Poisoned; // its writer died handing it over (see CspArena.FinishAbandonedClaims)
            }
            else if (outcome == 0 && reader)
            {
                bytes = arena.TakeValueLocked(cells);
            }
            else if (outcome == 0 && cells != 0)
            {
                arena.FreeValueLocked(cells);
                outcome = Selection.Poisoned; // its reader died taking it (see CspArena.FinishAbandonedClaims): nobody has the value
            }
            else if (cells != 0)
            {
                arena.FreeValueLocked(cells);
            }

            arena.FreeSlotLocked(selection.Slot);
        }

        selection.Return();
        if (outcome == 0)
        {
            return reader ? CspValues.Deserialize<T>(bytes) : default!;
        }

        if (outcome == Selection.Cancelled)
        {
            throw new OperationCanceledException(cancellationToken);
        }

        throw Failure(outcome);
    }

    private void AddEnd(bool writer)
    {
        lock (Gate)
        {
            if (_shared is { } shared)
            {
                using (shared.Arena.Lock())
                {
                    ThrowIfSideRetired(shared.State, writer);
                    shared.AddEndLocked(writer);
                }

                return;
            }

            ThrowIfSideRetired(State, writer);
            if (writer)
            {
                _liveWriterEnds++;
            }
            else
            {
                _liveReaderEnds++;
            }
        }
    }

    /// <summary>
    /// A side whose ends have all retired stays retired (as in PyCSP): its other side may already have seen the
    /// retire and ended, so an end made now could write values nobody reads.
    /// </summary>
    private void ThrowIfSideRetired(ChannelState state, bool writer)
    {
        if ((state & (writer ? ChannelState.WritersRetired : ChannelState.ReadersRetired)) != 0)
        {
            string side = writer ? "writer" : "reader";
            throw new ChannelRetiredException(
                $"Every {side} end of {Name} has retired, and a retired side stays retired: no new {side} end can be made. Make every end a network needs before any of them retires.");
        }
    }

    private void FailAll(LinkedList<ValueOffer> offers, int outcome)
    {
        while (offers.First is { } node)
        {
            offers.RemoveFirst();
            node.Value.Selection.TryFail(outcome, Name, node.Value.GuardIndex);
        }
    }

    /// <summary>A waiting read (its value set by the writer that matches it) or write (its value taken by the reader) on an in-process channel.</summary>
    /// <remarks>A single read's or write's offer is also the source of its <see cref="ValueTask"/>, forwarding to its own selection.</remarks>
    internal sealed class ValueOffer : Offer, IValueTaskSource<T>, IValueTaskSource
    {
        public ValueOffer(CspChannel<T> channel)
        {
            Channel = channel;
            Node = new LinkedListNode<ValueOffer>(this);
        }

        /// <summary>The channel it waits on.</summary>
        public CspChannel<T> Channel { get; }

        /// <summary>The selection a single read or write reuses with its offer (an alternation's offers never use theirs).</summary>
        public Selection OwnSelection => field ??= new Selection();

        /// <summary>Whether it is a single write's offer (else a single read's).</summary>
        public bool IsWriter { get; set; }

        /// <summary>A pending async operation's token, for the exception of a cancellation.</summary>
        public CancellationToken Token { get; set; }

        public T Value { get; set; } = default!;

        /// <summary>Its own list node, reused with it.</summary>
        public LinkedListNode<ValueOffer> Node { get; }

        public override object? Boxed => Value;

        public override void Withdraw()
        {
            lock (Channel.Gate)
            {
                if (Node.List is { } list)
                {
                    list.Remove(Node);
                }
            }
        }

        public override void WithdrawLocked() => Node.List?.Remove(Node);

        T IValueTaskSource<T>.GetResult(short token)
        {
            OwnSelection.GetResult(token);
            return Channel.Finish(this, Token);
        }

        void IValueTaskSource.GetResult(short token)
        {
            OwnSelection.GetResult(token);
            _ = Channel.Finish(this, Token);
        }

        ValueTaskSourceStatus IValueTaskSource<T>.GetStatus(short token) => OwnSelection.GetStatus(token);

        ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => OwnSelection.GetStatus(token);

        void IValueTaskSource<T>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
            => OwnSelection.OnCompleted(continuation, state, token, flags);

        void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
            => OwnSelection.OnCompleted(continuation, state, token, flags);
    }
}

/// <summary>A waiting read or write of an alternation on a channel in shared memory.</summary>
/// <typeparam name="T">The channel's value type.</typeparam>
internal sealed class SharedOffer<T>(SharedChannel channel, int offer, bool reader) : Offer
{
    private T _value = default!;
    private bool _lost;

    public override object? Boxed => _value;

    /// <summary>Whether a read that was chosen found no value, or a write that was chosen still has its value: the process at the other end died in the hand-over (see <see cref="CspArena"/>).</summary>
    public override bool LostValue => reader ? _lost : !_lost; // a write chosen whose value is still here: its reader died taking it

    /// <summary>Withdraws the offer (taking the arena's lock); a read that was matched takes its value now.</summary>
    public override void Withdraw()
    {
        CspArena arena = channel.Arena;
        using (arena.Lock())
        {
            int cells = channel.WithdrawLocked(offer);
            _lost = cells == 0;
            if (cells == 0)
            {
                return;
            }

            if (reader)
            {
                _value = CspValues.Deserialize<T>(arena.TakeValueLocked(cells));
            }
            else
            {
                arena.FreeValueLocked(cells);
            }
        }
    }

    public override void WithdrawLocked()
    {
        int cells = channel.WithdrawLocked(offer);
        if (cells != 0)
        {
            channel.Arena.FreeValueLocked(cells);
        }
    }
}
