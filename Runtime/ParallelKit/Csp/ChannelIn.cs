using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using ParallelKit.CspRuntime;

namespace ParallelKit;

/// <summary>
/// The reading end of a <see cref="CspChannel{T}"/> (PyCSP's <c>ChannelEndRead</c>), from
/// <see cref="CspChannel{T}.Reader"/>. <c>await foreach</c> reads until the writers retire; poison ends it
/// with <see cref="ChannelPoisonedException"/>.
/// </summary>
/// <typeparam name="T">The type of the values read.</typeparam>
public sealed class ChannelIn<T> : ChannelEnd, IAsyncEnumerable<T>
{
    private readonly CspChannel<T> _channel;

    /// <summary>An end of <paramref name="channel"/>; <paramref name="retired"/> for one passed back from another OS process that had retired it there.</summary>
    internal ChannelIn(CspChannel<T> channel, bool retired = false)
        : base(retired)
    {
        _channel = channel;
    }

    /// <inheritdoc/>
    public override string ChannelName => _channel.Name;

    /// <summary>The channel.</summary>
    internal CspChannel<T> Channel => _channel;

    internal override CspChannel ChannelObject => _channel;

    internal override bool IsWriter => false;

    /// <summary>Reads one value, blocking until a writer gives one.</summary>
    /// <returns>The value.</returns>
    /// <exception cref="ChannelPoisonedException">The channel is poisoned.</exception>
    /// <exception cref="ChannelRetiredException">This end retired, or every writer retired and the buffer is empty.</exception>
    public T Read() => Read(CancellationToken.None);

    /// <summary>Reads one value, blocking until a writer gives one or <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="cancellationToken">Stops waiting; no value is taken then (none is taken with a token already cancelled, even a ready one, as with .NET's channels).</param>
    /// <returns>The value.</returns>
    /// <exception cref="ChannelPoisonedException">The channel is poisoned.</exception>
    /// <exception cref="ChannelRetiredException">This end retired, or every writer retired and the buffer is empty.</exception>
    public T Read(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        BeginOperation();
        NoteBlockingOperation();
        return _channel.Read(cancellationToken);
    }

    /// <summary>Reads one value without blocking a thread.</summary>
    /// <param name="cancellationToken">Stops waiting; no value is taken then (none is taken with a token already cancelled, even a ready one, as with .NET's channels).</param>
    /// <returns>The value.</returns>
    /// <exception cref="ChannelPoisonedException">The channel is poisoned.</exception>
    /// <exception cref="ChannelRetiredException">This end retired, or every writer retired and the buffer is empty.</exception>
    public ValueTask<T> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<T>(cancellationToken);
        }

        BeginOperation();
        return _channel.ReadAsync(cancellationToken);
    }

    /// <summary>An input guard for an <see cref="Alternation"/>: chosen when a value can be read, which it then reads.</summary>
    /// <returns>The guard; set <see cref="ParallelKit.Guard.Enabled"/> to make it conditional.</returns>
    public InputGuard<T> Guard() => new(this);

    /// <inheritdoc/>
    public override void Poison() => _channel.PoisonCore(byWriter: false);

    /// <summary>Reads values until every writer has retired (the loop then ends) or the channel is poisoned (it throws).</summary>
    /// <param name="cancellationToken">Stops the loop.</param>
    /// <returns>The values, in the order read.</returns>
    public async IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            T value;
            try
            {
                value = await ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelRetiredException) when (!IsRetired)
            {
                yield break;
            }

            yield return value;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"ChannelIn<{typeof(T).Name}> of {ChannelName}";

    internal override ChannelEnd Fork() => _channel.ForkReader();

    private protected override void RetireCore() => _channel.RetireEnd(writer: false);
}
