using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;

namespace ParallelKit.Ipc;

/// <summary>
/// A worker's connection to its parent as a plain socket file descriptor and five system calls
/// (<c>socket</c>, <c>connect</c>, <c>send</c>, <c>recv</c>, <c>poll</c>): what a worker needs, without
/// the start-up cost of <see cref="System.Net.Sockets.Socket"/>.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed unsafe partial class LinuxWorkerChannel : WorkerChannel
{
    private const int AddressFamilyUnix = 1;
    private const int StreamSocket = 1;
    private const int CloseOnExec = 0x80000;
    private const int NoSignal = 0x4000; // MSG_NOSIGNAL: a closed peer is an error, not SIGPIPE
    private const int DontWait = 0x40; // MSG_DONTWAIT: no room is EAGAIN, not a wait
    private const int WouldBlock = 11; // EAGAIN
    private const int ShutdownRead = 0;
    private const int ShutdownBoth = 2;
    private const short PollIn = 0x1;
    private const int Interrupted = 4; // EINTR
    private const int NoSuchFile = 2; // ENOENT: the parent removed its socket
    private const int ConnectionRefused = 111; // ECONNREFUSED: nobody accepts on it any more
    private const int SocketPathCapacity = 108; // sizeof(sockaddr_un.sun_path)

    private readonly SocketHandle _handle;

    private LinuxWorkerChannel(SocketHandle handle) => _handle = handle;

    public static new LinuxWorkerChannel Connect(string path)
    {
        byte[] pathBytes = Encoding.UTF8.GetBytes(path);
        if (pathBytes.Length >= SocketPathCapacity)
        {
            throw new ArgumentException($"The socket path '{path}' is longer than a Unix domain socket allows.", nameof(path));
        }

        int fd = socket(AddressFamilyUnix, StreamSocket | CloseOnExec, 0);
        if (fd < 0)
        {
            throw new IOException($"socket() failed: errno {Marshal.GetLastPInvokeError()}.");
        }

        var handle = new SocketHandle(fd);
        byte* address = stackalloc byte[2 + SocketPathCapacity];
        new Span<byte>(address, 2 + SocketPathCapacity).Clear();
        *(ushort*)address = AddressFamilyUnix;
        pathBytes.CopyTo(new Span<byte>(address + 2, SocketPathCapacity));
        int result;
        int error;
        do
        {
            result = connect(fd, address, 2 + pathBytes.Length + 1);
            error = result < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
        while (result < 0 && error == Interrupted);

        if (result < 0)
        {
            handle.Dispose();
            throw error is ConnectionRefused or NoSuchFile
                ? new ParentUnreachableException($"Cannot connect to '{path}' (errno {error}): the parent no longer listens.")
                : new IOException($"Cannot connect to the parent's socket '{path}' (errno {error}).");
        }

        return new LinuxWorkerChannel(handle);
    }

    public override int Receive(Span<byte> buffer)
    {
        try
        {
            fixed (byte* data = buffer)
            {
                while (true)
                {
                    nint read = recv(_handle, data, buffer.Length, 0);
                    if (read >= 0)
                    {
                        return (int)read;
                    }

                    if (Marshal.GetLastPInvokeError() != Interrupted)
                    {
                        return 0;
                    }
                }
            }
        }
        catch (ObjectDisposedException)
        {
            return 0;
        }
    }

    public override void Send(ReadOnlySpan<byte> data)
    {
        fixed (byte* start = data)
        {
            int offset = 0;
            while (offset < data.Length)
            {
                nint sent = send(_handle, start + offset, data.Length - offset, NoSignal);
                if (sent < 0)
                {
                    int error = Marshal.GetLastPInvokeError();
                    if (error == Interrupted)
                    {
                        continue;
                    }

                    throw new IOException($"Sending to the parent process failed (errno {error}): it closed the connection.");
                }

                offset += (int)sent;
            }
        }
    }

    public override bool TrySend(ReadOnlySpan<byte> frame)
    {
        nint sent;
        int error;
        fixed (byte* start = frame)
        {
            do
            {
                sent = send(_handle, start, frame.Length, NoSignal | DontWait);
                error = sent < 0 ? Marshal.GetLastPInvokeError() : 0;
            }
            while (sent < 0 && error == Interrupted);
        }

        if (sent < 0)
        {
            return error == WouldBlock ? false : throw new IOException($"Sending to the parent process failed (errno {error}): it closed the connection.");
        }

        if (sent < frame.Length)
        {
            // Room for part of it: the rest must follow (a frame is never left cut short); a few bytes, which the buffer
            // that just took some will take too.
            Send(frame[(int)sent..]);
        }

        return true;
    }

    public override bool HasData => WaitReadable(0);

    public override bool WaitReadable(int timeoutMilliseconds)
    {
        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            var fds = new PollDescriptor { Descriptor = (int)_handle.DangerousGetHandle(), Events = PollIn };
            int ready = poll(&fds, 1, timeoutMilliseconds);

            // An error other than a signal counts as readable: the next read reports it.
            return ready != 0 && (ready > 0 || Marshal.GetLastPInvokeError() != Interrupted);
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    public override void ShutdownReceive() => Shutdown(ShutdownRead);

    public override void Dispose()
    {
        // close() alone would not wake a thread blocked in recv() on this descriptor; shutdown() does.
        Shutdown(ShutdownBoth);
        _handle.Dispose();
    }

    private void Shutdown(int how)
    {
        try
        {
            _ = shutdown(_handle, how);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollDescriptor
    {
        public int Descriptor;
        public short Events;
        public short ReturnedEvents;
    }

    /// <summary>Closes the descriptor once no system call is using it any more.</summary>
    private sealed class SocketHandle : SafeHandle
    {
        public SocketHandle()
            : base(-1, ownsHandle: true)
        {
        }

        public SocketHandle(int fd)
            : base(-1, ownsHandle: true) => SetHandle(fd);

        public override bool IsInvalid => handle < 0;

        protected override bool ReleaseHandle() => close((int)handle) == 0;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int connect(int fd, byte* address, int length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint send(SocketHandle fd, byte* data, nint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recv(SocketHandle fd, byte* data, nint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int poll(PollDescriptor* descriptors, nuint count, int timeoutMilliseconds);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int shutdown(SocketHandle fd, int how);

    [LibraryImport("libc")]
    private static partial int close(int fd);
}
