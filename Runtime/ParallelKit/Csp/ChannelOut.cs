using System;
using System.Threading;
using System.Threading.Tasks;
using ParallelKit.CspRuntime;

namespace ParallelKit;

/// <summary>
/// The writing end of a <see cref="CspChannel{T}"/> (PyCSP's <c>ChannelEndWrite</c>), from
/// <see cref="CspChannel{T}.Writer"/>. On an unbuffered channel a write completes when a reader has taken
/// the value.
/// </summary>
/// <typeparam name="T">The type of the values written.</typeparam>
public sealed class ChannelOut<T> : ChannelEnd
{
    private readonly CspChannel<T> _channel;

    /// <summary>An end of <paramref name="channel"/>; <paramref name="retired"/> for one passed back from another OS process that had retired it there.</summary>
    internal ChannelOut(CspChannel<T> channel, bool retired = false)
        : base(retired)
    {
        _channel = channel;
    }

    /// <inheritdoc/>
    public override string ChannelName => _channel.Name;

    /// <summary>The channel.</summary>
    internal CspChannel<T> Channel => _channel;

    internal override CspChannel ChannelObject => _channel;

    internal override bool IsWriter => true;

    /// <summary>Writes one value, blocking until a reader has taken it (or it is in the buffer).</summary>
    /// <param name="value">The value.</param>
    /// <exception cref="ChannelPoisonedException">The channel is poisoned.</exception>
    /// <exception cref="ChannelRetiredException">This end retired, or every reader retired.</exception>
    public void Write(T value) => Write(value, CancellationToken.None);

    /// <summary>Writes one value, blocking until a reader has taken it (or it is in the buffer) or <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="value">The value.</param>
    /// <param name="cancellationToken">Stops waiting; the value is not delivered then (nor with a token already cancelled, even to a waiting reader, as with .NET's channels).</param>
    /// <exception cref="ChannelPoisonedException">The channel is poisoned.</exception>
    /// <exception cref="ChannelRetiredException">This end retired, or every reader retired.</exception>
    public void Write(T value, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        BeginOperation();
        NoteBlockingOperation();
        _channel.Write(value, cancellationToken);
    }

    /// <summary>Writes one value without blocking a thread.</summary>
    /// <param name="value">The value.</param>
    /// <param name="cancellationToken">Stops waiting; the value is not delivered then (nor with a token already cancelled, even to a waiting reader, as with .NET's channels).</param>
    /// <returns>A task that completes when a reader has taken the value (or it is in the buffer).</returns>
    /// <exception cref="ChannelPoisonedException">The channel is poisoned.</exception>
    /// <exception cref="ChannelRetiredException">This end retired, or every reader retired.</exception>
    public ValueTask WriteAsync(T value, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        BeginOperation();
        return _channel.WriteAsync(value, cancellationToken);
    }

    /// <summary>An output guard for an <see cref="Alternation"/>: chosen when a reader can take <paramref name="value"/>, which it then writes.</summary>
    /// <param name="value">The value offered.</param>
    /// <returns>The guard; set <see cref="ParallelKit.Guard.Enabled"/> to make it conditional.</returns>
    public OutputGuard<T> Guard(T value) => new(this, value);

    /// <inheritdoc/>
    public override void Poison() => _channel.PoisonCore(byWriter: true);

    /// <inheritdoc/>
    public override string ToString() => $"ChannelOut<{typeof(T).Name}> of {ChannelName}";

    internal override ChannelEnd Fork() => _channel.ForkWriter();

    private protected override void RetireCore() => _channel.RetireEnd(writer: true);
}
