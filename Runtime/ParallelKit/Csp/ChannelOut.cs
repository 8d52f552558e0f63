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
    private readonly CspChannel<T>? _channel;
    private readonly string _name;

    internal ChannelOut(CspChannel<T> channel)
    {
        _channel = channel;
        _name = channel.Name;
    }

    /// <summary>An end whose operations the OS process that passed it performs.</summary>
    internal ChannelOut(CspEndClient client, int index, string name)
    {
        Client = client;
        ClientIndex = index;
        _name = name;
    }

    /// <inheritdoc/>
    public override string ChannelName => _name;

    /// <summary>The channel (ends of channels in this process only).</summary>
    internal CspChannel<T> Channel => _channel ?? throw new InvalidOperationException($"{this} was passed from another OS process: it has no channel here.");

    internal override bool IsWriter => true;

    /// <summary>Writes one value, blocking until a reader has taken it (or it is in the buffer).</summary>
    /// <param name="value">The value.</param>
    /// <exception cref="ChannelPoisonedException">The channel is poisoned.</exception>
    /// <exception cref="ChannelRetiredException">This end retired, or every reader retired.</exception>
    public void Write(T value) => Write(value, CancellationToken.None);

    /// <summary>Writes one value, blocking until a reader has taken it (or it is in the buffer) or <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="value">The value.</param>
    /// <param name="cancellationToken">Stops waiting; the value is not delivered then.</param>
    /// <exception cref="ChannelPoisonedException">The channel is poisoned.</exception>
    /// <exception cref="ChannelRetiredException">This end retired, or every reader retired.</exception>
    public void Write(T value, CancellationToken cancellationToken)
    {
        ThrowIfRetired();
        if (_channel is not null)
        {
            _channel.Write(value, cancellationToken);
        }
        else
        {
            _ = Client!.Call(CspOp.Write, ClientIndex, CspValues.Serialize(value), cancellationToken);
        }
    }

    /// <summary>Writes one value without blocking a thread.</summary>
    /// <param name="value">The value.</param>
    /// <param name="cancellationToken">Stops waiting; the value is not delivered then.</param>
    /// <returns>A task that completes when a reader has taken the value (or it is in the buffer).</returns>
    /// <exception cref="ChannelPoisonedException">The channel is poisoned.</exception>
    /// <exception cref="ChannelRetiredException">This end retired, or every reader retired.</exception>
    public ValueTask WriteAsync(T value, CancellationToken cancellationToken = default)
    {
        ThrowIfRetired();
        return _channel is not null ? _channel.WriteAsync(value, cancellationToken) : WriteRemoteAsync(value, cancellationToken);
    }

    /// <summary>An output guard for an <see cref="Alternation"/>: chosen when a reader can take <paramref name="value"/>, which it then writes.</summary>
    /// <param name="value">The value offered.</param>
    /// <returns>The guard; set <see cref="ParallelKit.Guard.Enabled"/> to make it conditional.</returns>
    public OutputGuard<T> Guard(T value) => new(this, value);

    /// <inheritdoc/>
    public override void Poison()
    {
        if (_channel is not null)
        {
            _channel.PoisonCore(byWriter: true);
        }
        else
        {
            PoisonRemote();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"ChannelOut<{typeof(T).Name}> of {ChannelName}";

    internal override ChannelEnd Fork() => _channel is not null
        ? _channel.ForkWriter()
        : throw new InvalidOperationException($"{this} was passed from another OS process: replicate the process in the OS process that owns the channel.");

    internal override ValueTask ServeWriteAsync(ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
        => WriteAsync(CspValues.Deserialize<T>(value.Span), cancellationToken);

    internal override Guard ServeGuard(ReadOnlySpan<byte> value) => Guard(CspValues.Deserialize<T>(value));

    private protected override void RetireCore()
    {
        if (_channel is not null)
        {
            _channel.RetireEnd(writer: true);
        }
        else
        {
            Client!.Call(CspOp.Retire, ClientIndex, [], CancellationToken.None);
        }
    }

    private async ValueTask WriteRemoteAsync(T value, CancellationToken cancellationToken)
        => _ = await Client!.CallAsync(CspOp.Write, ClientIndex, CspValues.Serialize(value), cancellationToken).ConfigureAwait(false);
}
