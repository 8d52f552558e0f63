using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading;
using ParallelKit.Workers;

namespace ParallelKit.Ipc;

/// <summary>What a connecting worker says about itself.</summary>
/// <param name="WorkerId">The id the parent gave it.</param>
/// <param name="Channel">Which of its two channels this connection is.</param>
/// <param name="ProcessId">Its process id.</param>
/// <param name="SameBuild">Whether it runs the same build of the entry assembly as the parent.</param>
internal readonly record struct WorkerHello(int WorkerId, Channel Channel, int ProcessId, bool SameBuild);

/// <summary>
/// The parent's end of the control socket: a Unix domain socket in a private directory (0700, the
/// socket 0600) that workers connect to. A connection must present the per-listener secret before
/// anything else; the rest is up to the owner's admission callback.
/// </summary>
internal sealed class WorkerListener : IDisposable
{
    private readonly Socket _listener;
    private readonly string _directory;
    private readonly byte[] _token = RandomNumberGenerator.GetBytes(Wire.TokenLength);
    private readonly Guid _moduleVersionId = WorkerEnvironment.EntryModuleVersionId();
    private readonly Func<WorkerHello, Action<Socket>?> _admit;
    private int _disposed;

    /// <param name="admit">
    /// Decides on an authenticated connection: returns what to do with the socket once it is accepted,
    /// or <see langword="null"/> to refuse it.
    /// </param>
    public WorkerListener(Func<WorkerHello, Action<Socket>?> admit)
    {
        _admit = admit;
        TokenHex = Convert.ToHexString(_token);
        RemoveDirectoriesOfDeadOwners();
        _directory = Directory.CreateTempSubdirectory(
            $"{DirectoryPrefix}{Environment.ProcessId}-{SharedMemory.OwnerIdentity.StartTime}-{SharedMemory.OwnerIdentity.PidNamespace}-").FullName;
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        Endpoint = Path.Combine(_directory, "jobs.sock");
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            // Bound under a temporary name and renamed once it is 0600, so the endpoint never exists with wider rights.
            string binding = Endpoint + ".new";
            _listener.Bind(new UnixDomainSocketEndPoint(binding));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(binding, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            File.Move(binding, Endpoint);
            _listener.Listen(256);
        }
        catch
        {
            _listener.Dispose();
            Directory.Delete(_directory, recursive: true);
            throw;
        }

        // A thread of its own: workers must be admitted even when the caller has every pool thread blocked.
        var acceptor = new Thread(AcceptLoop) { IsBackground = true, Name = "ParallelKit worker admission" };
        acceptor.Start();
    }

    private const string DirectoryPrefix = "parallelkit-";

    private static int s_swept;

    /// <summary>The socket's path, passed to workers.</summary>
    public string Endpoint { get; }

    /// <summary>The secret, hex-encoded, passed to workers.</summary>
    public string TokenHex { get; }

    /// <summary>
    /// An owner that was killed leaves its socket directory behind; the first listener of every process
    /// removes those whose owner is gone: named <c>parallelkit-{pid}-{start time}-{pid namespace}-{random}</c>,
    /// the owner is judged only in this process's pid namespace, by pid and start time (a reused pid is not it).
    /// A directory of another namespace (a container sharing the temp directory), or named the older way, stays.
    /// </summary>
    private static void RemoveDirectoriesOfDeadOwners()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref s_swept, 1) != 0)
        {
            return;
        }

        try
        {
            foreach (string directory in Directory.EnumerateDirectories(Path.GetTempPath(), DirectoryPrefix + "*-*"))
            {
                string[] parts = Path.GetFileName(directory)[DirectoryPrefix.Length..].Split('-');
                if (parts.Length == 4
                    && int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int owner)
                    && long.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long started)
                    && long.TryParse(parts[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long pidNamespace)
                    && SharedMemory.OwnerIdentity.IsCertainlyDead(owner, started, pidNamespace))
                {
                    try
                    {
                        Directory.Delete(directory, recursive: true);
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                    {
                        // Another user's, or being removed by someone else.
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The temp directory cannot be listed: nothing to clean then.
        }
    }

    /// <summary>
    /// How long a connection has to present its hello. A worker sends it the moment it connects; a peer that
    /// stays silent is dropped after this, and meanwhile holds up nobody (handshakes proceed side by side).
    /// </summary>
    internal static readonly TimeSpan HandshakeDeadline = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Accepts connections and reads their hellos on one thread, all at once: non-blocking sockets polled
    /// together, each pending connection with its own deadline, so silent peers cannot keep workers out.
    /// </summary>
    private void AcceptLoop()
    {
        var pending = new List<PendingHandshake>();
        var readable = new List<Socket>();
        try
        {
            _listener.Blocking = false;
            while (Volatile.Read(ref _disposed) == 0)
            {
                long now = Environment.TickCount64;
                long wait = -1;
                readable.Clear();
                readable.Add(_listener);
                foreach (PendingHandshake handshake in pending)
                {
                    readable.Add(handshake.Connection);
                    long left = Math.Max(0, handshake.Deadline - now);
                    wait = wait < 0 ? left : Math.Min(wait, left);
                }

                // Socket.Select takes microseconds. At most a second, so that a disposed listener ends the loop.
                Socket.Select(readable, null, null, (int)Math.Min(1000, wait < 0 ? 1000 : wait + 1) * 1000);
                if (readable.Contains(_listener))
                {
                    AcceptPending(pending);
                }

                now = Environment.TickCount64;
                for (int i = pending.Count - 1; i >= 0; i--)
                {
                    PendingHandshake handshake = pending[i];
                    bool done = readable.Contains(handshake.Connection) && handshake.Read();
                    if (done || now >= handshake.Deadline)
                    {
                        pending.RemoveAt(i);
                        if (done && handshake.IsComplete)
                        {
                            Handshake(handshake.Connection, handshake.Hello);
                        }
                        else
                        {
                            handshake.Connection.Dispose(); // silent past its deadline, or closed before its hello
                        }
                    }
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The listener was disposed.
        }
        finally
        {
            foreach (PendingHandshake handshake in pending)
            {
                handshake.Connection.Dispose();
            }
        }
    }

    private void AcceptPending(List<PendingHandshake> pending)
    {
        while (true)
        {
            Socket connection;
            try
            {
                connection = _listener.Accept();
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.TryAgain or SocketError.ConnectionAborted)
            {
                return;
            }

            connection.Blocking = false;
            pending.Add(new PendingHandshake(connection, Environment.TickCount64 + (long)HandshakeDeadline.TotalMilliseconds));
        }
    }

    private void Handshake(Socket connection, byte[] helloBytes)
    {
        try
        {
            connection.Blocking = true;
            HandshakeRecord hello = HandshakeRecord.Read(helloBytes, _token, out bool authentic);
            Channel channel = hello.Channel;
            Guid moduleVersionId = hello.ModuleVersionId;
            Action<Socket>? accept = null;
            bool sameBuild = moduleVersionId == _moduleVersionId || moduleVersionId == Guid.Empty || _moduleVersionId == Guid.Empty;
            if (authentic && channel is Channel.Data or Channel.Control)
            {
                accept = _admit(new WorkerHello(hello.WorkerId, channel, hello.ProcessId, sameBuild));
            }

            if (accept is null)
            {
                // Only a peer that knows the secret learns why: it can then tell its user something useful.
                Wire.SendAll(connection, [authentic && !sameBuild ? Wire.HandshakeRejectedOtherBuild : Wire.HandshakeRejected]);
                connection.Dispose();
                return;
            }

            Wire.SendAll(connection, [Wire.HandshakeAccepted]);
            accept(connection);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            connection.Dispose();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // This runs on the admission thread: nothing thrown while admitting one worker may end the thread (no
            // worker could connect after it) or the user's process. The worker is dropped (and replaced).
            Console.Error.WriteLine($"ParallelKit: admitting a worker failed: {ex}");
            connection.Dispose();
        }
    }

    /// <summary>A connection whose hello has not fully arrived yet.</summary>
    private sealed class PendingHandshake(Socket connection, long deadline)
    {
        private int _received;

        public Socket Connection { get; } = connection;

        public long Deadline { get; } = deadline;

        public byte[] Hello { get; } = new byte[HandshakeRecord.Size];

        public bool IsComplete => _received == Hello.Length;

        /// <summary>Reads what has arrived; <see langword="true"/> when the hello is complete or the peer closed.</summary>
        public bool Read()
        {
            try
            {
                int n = Connection.Receive(Hello, _received, Hello.Length - _received, SocketFlags.None);
                if (n == 0)
                {
                    return true; // closed before saying hello
                }

                _received += n;
                return IsComplete;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.TryAgain)
            {
                return false;
            }
            catch (SocketException)
            {
                return true; // reset: IsComplete stays false, the connection is dropped
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _listener.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Removed by someone else, or busy: nothing of value is left in it.
        }

    }
}
