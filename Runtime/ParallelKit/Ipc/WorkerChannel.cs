using System;
using System.IO;

namespace ParallelKit.Ipc;

/// <summary>Something frames are read from: a worker's channel, or a parent's socket.</summary>
internal interface IFrameSource
{
    /// <summary>Reads what is there, blocking until something is; 0 when the peer closed or the channel failed.</summary>
    int Receive(Span<byte> buffer);
}

/// <summary>
/// One connection from a worker to its parent's Unix domain socket: blocking reads and writes, a wait
/// for data with a time-out, and a shutdown that wakes a thread blocked reading.
/// </summary>
/// <remarks>
/// On Linux this is a socket file descriptor driven by system calls (<see cref="LinuxWorkerChannel"/>):
/// <see cref="System.Net.Sockets.Socket"/>'s first use costs a worker ~10 ms of start-up (its assemblies,
/// telemetry event source and address types), a third of a cold <see cref="ParallelProcess"/>. Elsewhere
/// it wraps a <see cref="System.Net.Sockets.Socket"/>.
/// </remarks>
internal abstract class WorkerChannel : IFrameSource, IDisposable
{
    /// <summary>Connects to the parent's socket at <paramref name="path"/>.</summary>
    /// <exception cref="ParentUnreachableException">Nobody listens there any more.</exception>
    public static WorkerChannel Connect(string path)
        => OperatingSystem.IsLinux() ? LinuxWorkerChannel.Connect(path) : SocketWorkerChannel.Connect(path);

    /// <inheritdoc/>
    public abstract int Receive(Span<byte> buffer);

    /// <summary>Writes all of <paramref name="data"/>.</summary>
    /// <exception cref="IOException">The parent closed its end.</exception>
    public abstract void Send(ReadOnlySpan<byte> data);

    /// <summary>
    /// Writes a small frame now if there is room for it, and never waits (a heartbeat: its sender must not block on a
    /// parent that does not read).
    /// </summary>
    /// <returns><see langword="false"/> when there was no room: nothing was written.</returns>
    /// <exception cref="IOException">The parent closed its end.</exception>
    public abstract bool TrySend(ReadOnlySpan<byte> frame);

    /// <summary>Whether bytes are waiting to be read.</summary>
    public abstract bool HasData { get; }

    /// <summary>Waits until a read would not block (data, or the peer's end of stream); false on time-out.</summary>
    public abstract bool WaitReadable(int timeoutMilliseconds);

    /// <summary>Stops reading: a thread blocked in <see cref="Receive"/> returns 0.</summary>
    public abstract void ShutdownReceive();

    /// <summary>Closes the connection, waking any thread blocked on it.</summary>
    public abstract void Dispose();
}

/// <summary>The parent's socket is gone (it exited, or dropped a spare it no longer needed).</summary>
internal sealed class ParentUnreachableException(string message) : IOException(message);
