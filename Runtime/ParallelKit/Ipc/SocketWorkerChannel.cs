using System;
using System.IO;
using System.Net.Sockets;

namespace ParallelKit.Ipc;

/// <summary>A worker's connection to its parent over <see cref="Socket"/>, where there is no <see cref="LinuxWorkerChannel"/>.</summary>
internal sealed class SocketWorkerChannel : WorkerChannel
{
    private readonly Socket _socket;

    private SocketWorkerChannel(Socket socket) => _socket = socket;

    public static new SocketWorkerChannel Connect(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionRefused or SocketError.AddressNotAvailable)
        {
            socket.Dispose();
            throw new ParentUnreachableException($"Cannot connect to '{path}': {ex.Message}");
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new SocketWorkerChannel(socket);
    }

    public override int Receive(Span<byte> buffer) => new SocketFrameSource(_socket).Receive(buffer);

    public override void Send(ReadOnlySpan<byte> data)
    {
        try
        {
            Wire.SendAll(_socket, data);
        }
        catch (SocketException ex)
        {
            throw new IOException($"Sending to the parent process failed: {ex.Message}", ex);
        }
    }

    public override bool TrySend(ReadOnlySpan<byte> frame)
    {
        try
        {
            if (!_socket.Poll(0, SelectMode.SelectWrite))
            {
                return false;
            }
        }
        catch (SocketException ex)
        {
            throw new IOException($"Sending to the parent process failed: {ex.Message}", ex);
        }

        Send(frame);
        return true;
    }

    public override bool HasData => _socket.Available > 0;

    public override bool WaitReadable(int timeoutMilliseconds)
    {
        try
        {
            return _socket.Poll(TimeSpan.FromMilliseconds(timeoutMilliseconds), SelectMode.SelectRead);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    public override void ShutdownReceive()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Receive);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    public override void Dispose() => _socket.Dispose();
}

/// <summary>A parent's (or any) <see cref="Socket"/> read as frames: errors and disposal read as the end of the stream.</summary>
internal readonly struct SocketFrameSource(Socket socket) : IFrameSource
{
    public int Receive(Span<byte> buffer)
    {
        try
        {
            return socket.Receive(buffer, SocketFlags.None);
        }
        catch (SocketException)
        {
            return 0;
        }
        catch (ObjectDisposedException)
        {
            return 0;
        }
    }
}
