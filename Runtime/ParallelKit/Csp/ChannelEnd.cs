using System;
using System.Threading;
using System.Threading.Tasks;
using ParallelKit.CspRuntime;

namespace ParallelKit;

/// <summary>
/// One end of a <see cref="CspChannel"/>: a <see cref="ChannelIn{T}"/> or a <see cref="ChannelOut{T}"/>.
/// Each end is counted by its channel; <see cref="Retire"/> ends this one, and when every end of one side
/// has retired the other side gets <see cref="ChannelRetiredException"/>.
/// </summary>
public abstract class ChannelEnd
{
    private int _retired;

    private protected ChannelEnd()
    {
    }

    /// <summary>The name of the channel this end belongs to.</summary>
    public abstract string ChannelName { get; }

    /// <summary>Whether <see cref="Retire"/> was called on this end.</summary>
    public bool IsRetired => Volatile.Read(ref _retired) != 0;

    /// <summary>Whether this is a writing end.</summary>
    internal abstract bool IsWriter { get; }

    /// <summary>The channel this end belongs to.</summary>
    internal abstract CspChannel ChannelObject { get; }

    /// <summary>The arena of <see cref="SharedEnd"/>, once this end was passed to another OS process.</summary>
    internal CspArena? SharedArena { get; private set; }

    /// <summary>
    /// This end's record in <see cref="SharedArena"/> (its retired flag), once it was passed to another OS process: the
    /// end there and this one are the same end, retired once between them. 0 before.
    /// </summary>
    internal int SharedEnd { get; private set; }

    /// <summary>
    /// Poisons the channel: every pending and later operation on it, at either end, throws
    /// <see cref="ChannelPoisonedException"/>. From a writer on a buffered channel, readers first drain what
    /// is buffered. Poisoning twice does nothing more.
    /// </summary>
    public abstract void Poison();

    /// <summary>
    /// Retires this end: its own later operations throw <see cref="ChannelRetiredException"/>, and when it is the
    /// last live end of its side, the other side's operations do too (readers once the buffer is drained, so
    /// every value written before the retire is delivered). Retiring twice does nothing more.
    /// </summary>
    public void Retire()
    {
        if (Interlocked.Exchange(ref _retired, 1) == 0)
        {
            if (SharedEnd != 0 && !SharedArena!.TryRetireEnd(SharedEnd))
            {
                return; // its copy in another OS process retired it already
            }

            RetireCore();
        }
    }

    /// <summary>A new end on the same channel and side, counted for retire (a replica's own end).</summary>
    internal abstract ChannelEnd Fork();

    /// <summary>Tells the channel that this end retired.</summary>
    private protected abstract void RetireCore();

    /// <summary>
    /// Gives this end a record in its channel's arena (the channel is in shared memory by now), for an OS process
    /// it is passed to; returns it. The same end passed again keeps its record.
    /// </summary>
    internal int Export(CspArena arena)
    {
        lock (this)
        {
            if (SharedEnd == 0)
            {
                using (arena.Lock())
                {
                    SharedEnd = arena.AllocateEndLocked();
                }

                SharedArena = arena;
                if (IsRetired)
                {
                    arena.TryRetireEnd(SharedEnd);
                }
            }

            return SharedEnd;
        }
    }

    /// <summary>Binds an end unmarshaled in an OS process to its record; <paramref name="retired"/> when it had retired before it came.</summary>
    private protected void Import(CspArena arena, int end, bool retired)
    {
        SharedArena = arena;
        SharedEnd = end;
        if (retired)
        {
            _retired = 1;
        }
    }

    /// <summary>Throws when this end has retired.</summary>
    private protected void ThrowIfRetired()
    {
        if (Volatile.Read(ref _retired) != 0)
        {
            throw new ChannelRetiredException($"This end of the channel '{ChannelName}' has retired.");
        }
    }
}
