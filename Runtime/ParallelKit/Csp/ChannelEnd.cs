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

    /// <summary>
    /// In an OS process started for a CSP process: the link to the OS process holding the real end, which
    /// performs this end's operations; <see langword="null"/> for an end of a channel in this process.
    /// </summary>
    internal CspEndClient? Client { get; private protected init; }

    /// <summary>This end's index among the ends the starting OS process passed (with <see cref="Client"/>).</summary>
    internal int ClientIndex { get; private protected init; }

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
            RetireCore();
        }
    }

    /// <summary>A new end on the same channel and side, counted for retire (a replica's own end).</summary>
    internal abstract ChannelEnd Fork();

    /// <summary>Tells the channel that this end retired.</summary>
    private protected abstract void RetireCore();

    /// <summary>Serves a remote read: reads here, returns the value's bytes.</summary>
    internal virtual ValueTask<byte[]> ServeReadAsync(CancellationToken cancellationToken)
        => throw new InvalidOperationException($"{this} cannot be read from.");

    /// <summary>Serves a remote write of the value in <paramref name="value"/>.</summary>
    internal virtual ValueTask ServeWriteAsync(ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
        => throw new InvalidOperationException($"{this} cannot be written to.");

    /// <summary>A guard on this end for a remote alternation (an output guard offers the value in <paramref name="value"/>).</summary>
    internal abstract Guard ServeGuard(ReadOnlySpan<byte> value);

    /// <summary>The bytes of a value read by this end's guard.</summary>
    internal virtual byte[] SerializeBoxed(object? value) => [];

    /// <summary>Poisons this end's channel for a remote client, or through the link.</summary>
    private protected void PoisonRemote() => Client!.Call(CspOp.Poison, ClientIndex, [], CancellationToken.None);

    /// <summary>Throws when this end has retired.</summary>
    private protected void ThrowIfRetired()
    {
        if (Volatile.Read(ref _retired) != 0)
        {
            throw new ChannelRetiredException($"This end of the channel '{ChannelName}' has retired.");
        }
    }
}
