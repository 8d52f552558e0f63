using System;
using System.Threading;
using System.Threading.Tasks;
using MemoryPack;
using ParallelKit.SharedMemory;

namespace ParallelKit;

/// <summary>
/// The reading end of a one-way pipe (<see cref="ProcessPipe.CreateOneWay{T}"/>): receives what the writing end
/// sends. Behaves as a <see cref="PipeEnd{T}"/> that cannot send; crosses to jobs and processes by handle.
/// </summary>
/// <typeparam name="T">The message type.</typeparam>
public sealed class PipeReadEnd<T> : IMarshalByHandle, IMemoryPackFormatterRegister, IDisposable
{
    private readonly PipeEnd<T> _end;

    internal PipeReadEnd(PipeEnd<T> end) => _end = end;

    /// <inheritdoc />
    public string HandleName => _end.HandleName;

    /// <summary>Receives the next message, waiting as long as it takes.</summary>
    /// <returns>The message.</returns>
    /// <exception cref="System.IO.EndOfStreamException">The writing end is gone and every message it sent has been read.</exception>
    public T Receive() => _end.Receive();

    /// <summary>Receives the next message, waiting at most <paramref name="timeout"/>.</summary>
    /// <param name="timeout">The longest wait.</param>
    /// <returns>The message.</returns>
    /// <exception cref="TimeoutException">No message came in time.</exception>
    /// <exception cref="System.IO.EndOfStreamException">The writing end is gone and every message it sent has been read.</exception>
    public T Receive(TimeSpan timeout) => _end.Receive(timeout);

    /// <summary>Receives a message if one is waiting, without waiting.</summary>
    /// <param name="message">The message, when there was one.</param>
    /// <returns>Whether there was one.</returns>
    public bool TryReceive(out T message) => _end.TryReceive(out message);

    /// <summary>Receives the next message without blocking a thread.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The message.</returns>
    public ValueTask<T> ReceiveAsync(CancellationToken cancellationToken = default) => _end.ReceiveAsync(cancellationToken);

    /// <summary>Whether a message (or the end of the stream) is waiting, without taking it — Python's <c>poll()</c>.</summary>
    /// <returns>Whether <see cref="Receive()"/> would return at once.</returns>
    public bool Poll() => _end.Poll();

    /// <summary>Waits at most <paramref name="timeout"/> for a message (or the end of the stream), without taking it.</summary>
    /// <param name="timeout">The longest wait.</param>
    /// <returns>Whether <see cref="Receive()"/> would return at once.</returns>
    public bool Poll(TimeSpan timeout) => _end.Poll(timeout);

    /// <summary>Closes this end in this process (see <see cref="PipeEnd{T}.Dispose"/>).</summary>
    public void Dispose() => _end.Dispose();

    /// <inheritdoc />
    public override string ToString() => $"PipeReadEnd<{typeof(T).Name}> {HandleName}";

    internal static PipeReadEnd<T> Open(string handle) => new(PipeEnd<T>.Open(handle));

    static PipeReadEnd() => HandleTypes.Declare<PipeReadEnd<T>>(static () => new Formatter());

    static void IMemoryPackFormatterRegister.RegisterFormatter() => MemoryPackFormatterProvider.Register(new Formatter());

    /// <summary>By handle, counted as held while it travels, as a <see cref="PipeEnd{T}"/> is.</summary>
    private sealed class Formatter : MemoryPackFormatter<PipeReadEnd<T>>
    {
        public override void Serialize<TBufferWriter>(ref MemoryPackWriter<TBufferWriter> writer, scoped ref PipeReadEnd<T>? value)
        {
            value?._end.MarkSending();
            writer.WriteString(value?.HandleName);
        }

        public override void Deserialize(ref MemoryPackReader reader, scoped ref PipeReadEnd<T>? value)
        {
            string? handle = reader.ReadString();
            value = handle is null ? null : Open(handle);
        }
    }
}

/// <summary>
/// The writing end of a one-way pipe (<see cref="ProcessPipe.CreateOneWay{T}"/>): sends to the reading end.
/// Behaves as a <see cref="PipeEnd{T}"/> that cannot receive; crosses to jobs and processes by handle.
/// </summary>
/// <typeparam name="T">The message type.</typeparam>
public sealed class PipeWriteEnd<T> : IMarshalByHandle, IMemoryPackFormatterRegister, IDisposable
{
    private readonly PipeEnd<T> _end;

    internal PipeWriteEnd(PipeEnd<T> end) => _end = end;

    /// <inheritdoc />
    public string HandleName => _end.HandleName;

    /// <summary>Sends a message to the reading end (it never waits for the reader: the pipe is unbounded).</summary>
    /// <param name="message">The message.</param>
    /// <exception cref="System.IO.IOException">The reading end is gone (a broken pipe).</exception>
    public void Send(T message) => _end.Send(message);

    /// <summary>Sends a message to the reading end.</summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Unused: sending never waits.</param>
    /// <returns>A completed task.</returns>
    public ValueTask SendAsync(T message, CancellationToken cancellationToken = default) => _end.SendAsync(message, cancellationToken);

    /// <summary>Closes this end in this process: once no process holds it, the reader sees the end of the stream.</summary>
    public void Dispose() => _end.Dispose();

    /// <inheritdoc />
    public override string ToString() => $"PipeWriteEnd<{typeof(T).Name}> {HandleName}";

    internal static PipeWriteEnd<T> Open(string handle) => new(PipeEnd<T>.Open(handle));

    static PipeWriteEnd() => HandleTypes.Declare<PipeWriteEnd<T>>(static () => new Formatter());

    static void IMemoryPackFormatterRegister.RegisterFormatter() => MemoryPackFormatterProvider.Register(new Formatter());

    /// <summary>By handle, counted as held while it travels, as a <see cref="PipeEnd{T}"/> is.</summary>
    private sealed class Formatter : MemoryPackFormatter<PipeWriteEnd<T>>
    {
        public override void Serialize<TBufferWriter>(ref MemoryPackWriter<TBufferWriter> writer, scoped ref PipeWriteEnd<T>? value)
        {
            value?._end.MarkSending();
            writer.WriteString(value?.HandleName);
        }

        public override void Deserialize(ref MemoryPackReader reader, scoped ref PipeWriteEnd<T>? value)
        {
            string? handle = reader.ReadString();
            value = handle is null ? null : Open(handle);
        }
    }
}
