using System;
using System.IO;
using System.Text;
using ParallelKit.SharedMemory;

namespace ParallelKit.Ipc;

/// <summary>
/// A server worker's data channel in shared memory: one <see cref="SharedSegment"/> (<c>/dev/shm</c>, 0600, owned by
/// the parent and swept with its other segments) holding two <see cref="ByteRing"/>s, calls (parent → worker: batch
/// frames) and results (worker → parent: result and heartbeat frames).
/// <code>
///  offset               size                     field
///   0                   SizeFor(CallsCapacity)   calls ring
///   SizeFor(Calls…)     SizeFor(ResultsCapacity) results ring
/// </code>
/// </summary>
/// <remarks>
/// The parent creates the segment when the worker's data socket connects and sends its name in a
/// <see cref="FrameType.Rings"/> frame, the last frame on that socket in that direction; the worker opens it and
/// from then on both sides move data frames through the rings. The sockets stay for the handshake, for control
/// frames (cancel, shutdown) and to learn of a death: the parent reads the data socket only for its end of stream,
/// and then closes the rings.
/// </remarks>
internal sealed class WorkerRings : IDisposable
{
    // Frames larger than a ring stream through it, so the size only sets how often a large payload's two sides take
    // turns: 256 KiB each way is about a socket's buffer, and keeps a worker's rings to half a MiB of /dev/shm (a
    // container's default /dev/shm is 64 MiB; where it is full, a worker's data goes over its socket instead).

    /// <summary>Bytes of the calls ring.</summary>
    public const int CallsCapacity = 1 << 18;

    /// <summary>Bytes of the results ring.</summary>
    public const int ResultsCapacity = 1 << 18;

    /// <summary>The variable that turns the rings off (value <c>socket</c>): data frames then go over the socket, as before the rings.</summary>
    public const string TransportVariable = "PARALLELKIT_WORKER_TRANSPORT";

    private static readonly ulong Tag = SharedSegment.TypeTag($"WorkerRings:{CallsCapacity}:{ResultsCapacity}", typeof(byte), 1);

    private readonly SharedSegment _segment;

    private WorkerRings(SharedSegment segment)
    {
        _segment = segment;
        Calls = new ByteRing(segment, 0, CallsCapacity);
        Results = new ByteRing(segment, ByteRing.SizeFor(CallsCapacity), ResultsCapacity);
    }

    /// <summary>Parent → worker.</summary>
    public ByteRing Calls { get; }

    /// <summary>Worker → parent.</summary>
    public ByteRing Results { get; }

    /// <summary>The segment's name, sent to the worker.</summary>
    public string Name => _segment.Name;

    /// <summary>Whether a worker connecting now gets rings (Linux with futexes, and not turned off by <see cref="TransportVariable"/>).</summary>
    public static bool Enabled => OperatingSystem.IsLinux() && Sync.Futex.IsSupported
        && !string.Equals(Environment.GetEnvironmentVariable(TransportVariable), "socket", StringComparison.OrdinalIgnoreCase);

    /// <summary>Creates the rings of one worker (the parent does).</summary>
    public static WorkerRings Create()
        => new(SharedSegment.Create(ByteRing.SizeFor(CallsCapacity) + ByteRing.SizeFor(ResultsCapacity), Tag));

    /// <summary>Opens the rings a <see cref="FrameType.Rings"/> frame names (the worker does).</summary>
    /// <exception cref="InvalidOperationException">The body names no worker rings.</exception>
    public static WorkerRings Open(ReadOnlySpan<byte> body)
        => new(SharedSegment.Open(Encoding.UTF8.GetString(body), Tag, "worker's data rings"));

    /// <summary>The <see cref="FrameType.Rings"/> frame that hands these rings to the worker.</summary>
    public byte[] OfferFrame()
    {
        byte[] name = Encoding.UTF8.GetBytes(Name);
        byte[] frame = new byte[FrameHeader.Size + name.Length];
        FrameHeader.Write(frame, name.Length, FrameType.Rings);
        name.CopyTo(frame.AsSpan(FrameHeader.Size));
        return frame;
    }

    /// <summary>Closes both rings: every wait on them, on either side, ends.</summary>
    public void Close()
    {
        Calls.Close();
        Results.Close();
    }

    /// <summary>Closes the rings and unmaps them here (the owner also removes the file).</summary>
    public void Dispose()
    {
        Close();
        _segment.Dispose();
    }
}

/// <summary>Reads frames from a ring (the parent's results reader).</summary>
internal readonly struct RingFrameSource(ByteRing ring) : IFrameSource
{
    /// <inheritdoc/>
    public int Receive(Span<byte> buffer) => ring.Read(buffer);
}

/// <summary>
/// A worker's data channel once its parent offered rings: reads come from the calls ring, writes go to the results
/// ring; the socket it replaced is kept, idle, until disposal (its end of stream tells the parent of this process's
/// death).
/// </summary>
internal sealed class RingWorkerChannel(WorkerRings rings, WorkerChannel socket) : WorkerChannel
{
    /// <inheritdoc/>
    public override int Receive(Span<byte> buffer) => rings.Calls.Read(buffer);

    /// <inheritdoc/>
    public override void Send(ReadOnlySpan<byte> data)
    {
        if (!rings.Results.Write(data))
        {
            throw new IOException("The parent closed the worker's rings.");
        }
    }

    /// <inheritdoc/>
    public override bool TrySend(ReadOnlySpan<byte> frame)
        => rings.Results.TryWrite(frame, out bool closed) || (closed ? throw new IOException("The parent closed the worker's rings.") : false);

    /// <inheritdoc/>
    public override bool HasData => rings.Calls.HasData;

    /// <inheritdoc/>
    public override bool WaitReadable(int timeoutMilliseconds) => rings.Calls.WaitReadable(timeoutMilliseconds);

    /// <inheritdoc/>
    public override void ShutdownReceive() => rings.Calls.Close();

    /// <summary>Closes both rings: nothing more is read or written (the parent is gone).</summary>
    public void Close() => rings.Close();

    /// <inheritdoc/>
    public override void Dispose()
    {
        rings.Close();
        socket.Dispose();

        // Unmapped only when nothing runs on the rings any more: the process is leaving (see WorkerLoop.Dispose).
        rings.Dispose();
    }
}
