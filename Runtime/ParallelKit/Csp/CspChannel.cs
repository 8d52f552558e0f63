using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using ParallelKit.CspRuntime;

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
            lock (Gate)
            {
                return (State & (ChannelState.PoisonedByReader | ChannelState.PoisonedByWriter)) != 0;
            }
        }
    }

    /// <summary>Orders the locks of the channels one alternation takes: always by id, so two alternations never deadlock.</summary>
    internal long Id { get; }

    /// <summary>Guards all of the channel's state.</summary>
    internal Lock Gate { get; } = new();

    /// <summary>Poison and retire; read and written holding <see cref="Gate"/>.</summary>
    internal ChannelState State { get; set; }

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
    private readonly Queue<T> _buffer = new();
    private readonly LinkedList<ValueOffer> _readers = new();
    private readonly LinkedList<ValueOffer> _writers = new();
    private int _readerEnds;
    private int _writerEnds;
    private int _liveReaderEnds;
    private int _liveWriterEnds;

    internal CspChannel(int buffer, string? name)
        : base(name)
    {
        BufferSize = buffer;
    }

    /// <summary>How many values writers may leave before a reader takes them; 0 for a rendezvous.</summary>
    public int BufferSize { get; }

    /// <summary>Makes a new reading end, counted for retire.</summary>
    /// <returns>The end; pass it to one process.</returns>
    public ChannelIn<T> Reader()
    {
        lock (Gate)
        {
            _readerEnds++;
            _liveReaderEnds++;
        }

        return new ChannelIn<T>(this);
    }

    /// <summary>Makes a new writing end, counted for retire.</summary>
    /// <returns>The end; pass it to one process.</returns>
    public ChannelOut<T> Writer()
    {
        lock (Gate)
        {
            _writerEnds++;
            _liveWriterEnds++;
        }

        return new ChannelOut<T>(this);
    }

    /// <inheritdoc/>
    public override string ToString() => $"CspChannel<{typeof(T).Name}> {Name}";

    internal override void PoisonCore(bool byWriter)
    {
        lock (Gate)
        {
            if ((State & (ChannelState.PoisonedByReader | ChannelState.PoisonedByWriter)) != 0)
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

    /// <summary>Leaves a waiting read for <paramref name="selection"/>, holding <see cref="CspChannel.Gate"/>.</summary>
    internal ValueOffer OfferRead(Selection selection, int guardIndex)
    {
        var offer = new ValueOffer(this, selection, guardIndex, default!);
        offer.Node = _readers.AddLast(offer);
        return offer;
    }

    /// <summary>Leaves a waiting write of <paramref name="value"/> for <paramref name="selection"/>, holding <see cref="CspChannel.Gate"/>.</summary>
    internal ValueOffer OfferWrite(Selection selection, int guardIndex, T value)
    {
        var offer = new ValueOffer(this, selection, guardIndex, value);
        offer.Node = _writers.AddLast(offer);
        return offer;
    }

    /// <summary>Reads one value, waiting for a writer.</summary>
    internal T Read(CancellationToken cancellationToken)
    {
        ValueOffer offer;
        lock (Gate)
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

            offer = OfferRead(new Selection(), 0);
        }

        offer.Selection.Wait(-1, cancellationToken);
        return Finish(offer, cancellationToken).Value;
    }

    /// <summary>Reads one value without blocking a thread.</summary>
    internal ValueTask<T> ReadAsync(CancellationToken cancellationToken)
    {
        ValueOffer offer;
        lock (Gate)
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

            offer = OfferRead(new Selection(), 0);
        }

        return Wait(offer, cancellationToken);

        async ValueTask<T> Wait(ValueOffer offer, CancellationToken cancellationToken)
        {
            if (cancellationToken.CanBeCanceled)
            {
                await offer.Selection.WaitAsync(-1, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await offer.Selection.Signaled.ConfigureAwait(false);
            }

            return Finish(offer, cancellationToken).Value;
        }
    }

    /// <summary>Writes one value, waiting for a reader to take it (or for room in the buffer).</summary>
    internal void Write(T value, CancellationToken cancellationToken)
    {
        ValueOffer offer;
        lock (Gate)
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

            offer = OfferWrite(new Selection(), 0, value);
        }

        offer.Selection.Wait(-1, cancellationToken);
        _ = Finish(offer, cancellationToken);
    }

    /// <summary>Writes one value without blocking a thread.</summary>
    internal ValueTask WriteAsync(T value, CancellationToken cancellationToken)
    {
        ValueOffer offer;
        lock (Gate)
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

            offer = OfferWrite(new Selection(), 0, value);
        }

        return Wait(offer, cancellationToken);

        async ValueTask Wait(ValueOffer offer, CancellationToken cancellationToken)
        {
            if (cancellationToken.CanBeCanceled)
            {
                await offer.Selection.WaitAsync(-1, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await offer.Selection.Signaled.ConfigureAwait(false);
            }

            _ = Finish(offer, cancellationToken);
        }
    }

    /// <summary>After a single read or write was signaled: the offer when it was matched, else the exception.</summary>
    private ValueOffer Finish(ValueOffer offer, CancellationToken cancellationToken)
    {
        int outcome = offer.Selection.Outcome;
        if (outcome == 0)
        {
            return offer;
        }

        offer.Withdraw();
        if (outcome == Selection.Cancelled)
        {
            throw new OperationCanceledException(cancellationToken);
        }

        throw Failure(outcome);
    }

    private void FailAll(LinkedList<ValueOffer> offers, int outcome)
    {
        while (offers.First is { } node)
        {
            offers.RemoveFirst();
            node.Value.Selection.TryFail(outcome, Name);
        }
    }

    /// <summary>A waiting read (its value set by the writer that matches it) or write (its value taken by the reader).</summary>
    internal sealed class ValueOffer(CspChannel<T> channel, Selection selection, int guardIndex, T value) : Offer(selection, guardIndex)
    {
        public T Value { get; set; } = value;

        public LinkedListNode<ValueOffer>? Node { get; set; }

        public override void Withdraw()
        {
            lock (channel.Gate)
            {
                if (Node?.List is { } list)
                {
                    list.Remove(Node);
                }
            }
        }
    }
}
