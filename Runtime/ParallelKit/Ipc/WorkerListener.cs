using System;
using System.Buffers.Binary;
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
        _directory = Directory.CreateTempSubdirectory($"{DirectoryPrefix}{Environment.ProcessId}-").FullName;
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
    /// removes those whose owner (the pid in the name) is gone.
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
                string name = Path.GetFileName(directory);
                int dash = name.IndexOf('-', DirectoryPrefix.Length);
                if (dash > 0
                    && int.TryParse(name.AsSpan(DirectoryPrefix.Length, dash - DirectoryPrefix.Length), out int owner)
                    && owner != Environment.ProcessId
                    && !Directory.Exists($"/proc/{owner}"))
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

    private void AcceptLoop()
    {
        while (Volatile.Read(ref _disposed) == 0)
        {
            Socket connection;
            try
            {
                connection = _listener.Accept();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return;
            }

            Handshake(connection);
        }
    }

    private void Handshake(Socket connection)
    {
        try
        {
            // A worker says hello as soon as it connects; a silent peer must not hold up the others for long.
            connection.ReceiveTimeout = 5_000;
            Span<byte> hello = stackalloc byte[Wire.HandshakeLength];
            if (!Wire.ReceiveExactly(new SocketFrameSource(connection), hello))
            {
                connection.Dispose();
                return;
            }

            int at = 5 + Wire.TokenLength;
            bool authentic = BinaryPrimitives.ReadUInt32LittleEndian(hello) == Wire.Magic
                && hello[4] == Wire.ProtocolVersion
                && CryptographicOperations.FixedTimeEquals(hello.Slice(5, Wire.TokenLength), _token);
            var channel = (Channel)hello[at + 4];
            var moduleVersionId = new Guid(hello.Slice(at + 9, 16));
            Action<Socket>? accept = null;
            bool sameBuild = moduleVersionId == _moduleVersionId || moduleVersionId == Guid.Empty || _moduleVersionId == Guid.Empty;
            if (authentic && channel is Channel.Data or Channel.Control)
            {
                accept = _admit(new WorkerHello(
                    BinaryPrimitives.ReadInt32LittleEndian(hello[at..]),
                    channel,
                    BinaryPrimitives.ReadInt32LittleEndian(hello[(at + 5)..]),
                    sameBuild));
            }

            if (accept is null)
            {
                // Only a peer that knows the secret learns why: it can then tell its user something useful.
                Wire.SendAll(connection, [authentic && !sameBuild ? Wire.HandshakeRejectedOtherBuild : Wire.HandshakeRejected]);
                connection.Dispose();
                return;
            }

            connection.ReceiveTimeout = 0;
            Wire.SendAll(connection, [Wire.HandshakeAccepted]);
            accept(connection);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            connection.Dispose();
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
