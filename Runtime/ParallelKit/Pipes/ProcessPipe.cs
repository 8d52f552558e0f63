using System;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using MemoryPack;
using ParallelKit.SharedMemory;
using ParallelKit.Sync;

namespace ParallelKit;

/// <summary>Creates duplex pipes between threads and processes — Python's <c>multiprocessing.Pipe()</c>.</summary>
public static class ProcessPipe
{
    /// <summary>
    /// Creates a pipe: two connected ends. What one end sends, the other receives, in order, both ways.
    /// Pass an end to a job or a <see cref="ParallelProcess"/> (it crosses by handle) and keep the other.
    /// </summary>
    /// <typeparam name="T">The message type: anything a job argument can be.</typeparam>
    /// <returns>The two ends.</returns>
    /// <example>
    /// <code>
    /// var (parentEnd, childEnd) = ProcessPipe.Create&lt;string&gt;();
    /// using var p = ParallelProcess.Start(Jobs.F(childEnd));   // F: childEnd.Send("hello"); childEnd.Dispose();
    /// Console.WriteLine(parentEnd.Receive());                   // hello
    /// </code>
    /// </example>
    public static (PipeEnd<T> A, PipeEnd<T> B) Create<T>()
    {
        var pipe = PipeState<T>.Create();
        return (new PipeEnd<T>(pipe, 0), new PipeEnd<T>(pipe, 1));
    }

    /// <summary>
    /// Creates a one-way pipe — Python's <c>Pipe(duplex=False)</c>: what the writer sends, the reader receives, in
    /// order. Each end has only its direction's methods, so sending the wrong way does not compile.
    /// </summary>
    /// <typeparam name="T">The message type: anything a job argument can be.</typeparam>
    /// <returns>The reading end and the writing end.</returns>
    public static (PipeReadEnd<T> Reader, PipeWriteEnd<T> Writer) CreateOneWay<T>()
    {
        var pipe = PipeState<T>.Create();
        return (new PipeReadEnd<T>(new PipeEnd<T>(pipe, 0)), new PipeWriteEnd<T>(new PipeEnd<T>(pipe, 1)));
    }
}

/// <summary>
/// One end of a <see cref="ProcessPipe"/>: <see cref="Send"/> to the other end, <see cref="Receive()"/> from it.
/// The other end is gone — <see cref="Receive()"/> throws <see cref="System.IO.EndOfStreamException"/> once the messages
/// already sent are read, and <see cref="Send"/> throws <see cref="System.IO.IOException"/> — when every process
/// holding it has disposed it or exited (or was killed). Messages travel through shared memory, like a
/// <see cref="ProcessQueue{T}"/>. Dispose an end when done with it (in a job too): that is what tells the other end.
/// </summary>
/// <typeparam name="T">The message type.</typeparam>
public sealed class PipeEnd<T> : IMarshalByHandle, IMemoryPackFormatterRegister, IDisposable
{
    private const int PeerCheckMilliseconds = 100;

    private readonly PipeState<T> _pipe;
    private readonly int _end;
    private int _disposed;
    private long _peerLivenessCheckedAt;

    internal PipeEnd(PipeState<T> pipe, int end, bool received = false)
    {
        _pipe = pipe;
        _end = end;
        pipe.Attach(end, received);
    }

    /// <inheritdoc />
    public string HandleName => $"{_pipe.Name}.{_end}";

    private ProcessQueue<T> Outgoing => _pipe.Queue(_end);

    private ProcessQueue<T> Incoming => _pipe.Queue(1 - _end);

    /// <summary>Sends a message to the other end (it never waits for a reader: the pipe is unbounded).</summary>
    /// <param name="message">The message.</param>
    /// <exception cref="System.IO.IOException">The other end is gone (a broken pipe).</exception>
    public void Send(T message)
    {
        ThrowIfDisposed();

        // Whether a holder of the other end is still alive (it may have been killed holding it) costs a look at
        // /proc: done at most every PeerCheckMilliseconds, so a fast sender pays a clock read per message.
        long now = Environment.TickCount64;
        bool checkLiveness = now - Volatile.Read(ref _peerLivenessCheckedAt) >= PeerCheckMilliseconds;
        if (checkLiveness)
        {
            Volatile.Write(ref _peerLivenessCheckedAt, now);
        }

        if (!_pipe.IsHeld(1 - _end, checkLiveness))
        {
            throw new System.IO.IOException("The other end of the pipe is closed, or every process holding it has died: nobody can receive this message (broken pipe).");
        }

        Outgoing.Put(message);
    }

    /// <summary>Sends a message to the other end.</summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Unused: sending never waits.</param>
    /// <returns>A completed task.</returns>
    public ValueTask SendAsync(T message, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Send(message);
        return ValueTask.CompletedTask;
    }

    /// <summary>Receives the next message, waiting as long as it takes.</summary>
    /// <returns>The message.</returns>
    /// <exception cref="System.IO.EndOfStreamException">The other end is gone and every message it sent has been read.</exception>
    public T Receive() => TryReceive(-1, out T message) ? message : throw new TimeoutException();

    /// <summary>Receives the next message, waiting at most <paramref name="timeout"/>.</summary>
    /// <param name="timeout">The longest wait.</param>
    /// <returns>The message.</returns>
    /// <exception cref="TimeoutException">No message came in time.</exception>
    /// <exception cref="System.IO.EndOfStreamException">The other end is gone and every message it sent has been read.</exception>
    public T Receive(TimeSpan timeout)
        => TryReceive(RobustLock.Milliseconds(timeout), out T message) ? message : throw new TimeoutException($"No message arrived within {timeout}.");

    /// <summary>Receives a message if one is waiting, without waiting.</summary>
    /// <param name="message">The message, when there was one.</param>
    /// <returns>Whether there was one.</returns>
    public bool TryReceive(out T message)
    {
        ThrowIfDisposed();
        return Incoming.TryGet(out message);
    }

    /// <summary>
    /// Whether <see cref="Receive()"/> would return at once, without taking anything — Python's <c>poll()</c>: a
    /// message is waiting, or the other end is gone (then <see cref="Receive()"/> throws
    /// <see cref="System.IO.EndOfStreamException"/> rather than waits).
    /// </summary>
    /// <returns>Whether a message (or the end of the stream) is waiting.</returns>
    public bool Poll() => Poll(0);

    /// <summary>
    /// Waits at most <paramref name="timeout"/> until <see cref="Receive()"/> would return at once, without taking
    /// anything — Python's <c>poll(timeout)</c>.
    /// </summary>
    /// <param name="timeout">The longest wait (<see cref="Timeout.InfiniteTimeSpan"/>: no limit).</param>
    /// <returns>Whether a message (or the end of the stream) is waiting.</returns>
    public bool Poll(TimeSpan timeout) => Poll(RobustLock.Milliseconds(timeout));

    /// <summary>Receives the next message without blocking a thread.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The message.</returns>
    /// <exception cref="System.IO.EndOfStreamException">The other end is gone and every message it sent has been read.</exception>
    public async ValueTask<T> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        if (TryReceive(0, out T message))
        {
            return message;
        }

        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            (bool received, T next) = await Task.Run(() => TryReceive(50, out T m) ? (true, m) : (false, default!), cancellationToken).ConfigureAwait(false);
            if (received)
            {
                return next;
            }
        }
    }

    /// <summary>Closes this end in this process: once no process holds it, the other end sees the end of the stream.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _pipe.Detach(_end);
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"PipeEnd<{typeof(T).Name}> {HandleName}";

    internal static PipeEnd<T> Open(string handle)
    {
        int dot = handle.LastIndexOf('.');
        if (dot < 0 || !int.TryParse(handle.AsSpan(dot + 1), out int end) || end is not (0 or 1))
        {
            throw new ArgumentException($"'{handle}' is not the handle of a pipe end.", nameof(handle));
        }

        // Not shared per process like other handles: each end received is held (and disposed) on its own,
        // so that one job disposing its end does not close it for another job in the same worker.
        return new PipeEnd<T>(PipeState<T>.Open(handle[..dot]), end, received: true);
    }

    // Declares the formatter for HandleTypes, which registers it without reflection (trimmed and Native AOT
    // apps too). A static constructor, not a field initializer: it runs before any use of the type, and costs
    // nothing more than storing a delegate.
    static PipeEnd() => HandleTypes.Declare<PipeEnd<T>>(static () => new Formatter());

    static void IMemoryPackFormatterRegister.RegisterFormatter() => MemoryPackFormatterProvider.Register(new Formatter());

    private bool TryReceive(int timeoutMilliseconds, out T message)
    {
        ThrowIfDisposed();

        // A message already there is taken at once: no deadline, no look at the pipe's own state (the queue holds its
        // own memory mapped while it takes it).
        if (Incoming.TryGet(0, out message))
        {
            return true;
        }

        using SegmentUse use = _pipe.Use(); // the end may be disposed meanwhile by another thread (a cancelled ReceiveAsync's)
        Deadline deadline = Deadline.After(timeoutMilliseconds);
        while (true)
        {
            if (Incoming.TryGet(deadline.Slice(PeerCheckMilliseconds), out message))
            {
                return true;
            }

            // Nothing came: is anyone left to send? (Checked after the wait, so nothing in flight is missed.)
            if (!_pipe.IsHeld(1 - _end, checkLiveness: true) && !Incoming.HasItems)
            {
                throw new System.IO.EndOfStreamException("The other end of the pipe is closed and every message it sent has been read.");
            }

            if (deadline.HasPassed)
            {
                return false;
            }
        }
    }

    /// <summary>Counts this end as held while it travels to another process (see the formatter).</summary>
    internal void MarkSending() => _pipe.Sending(_end);

    private bool Poll(int timeoutMilliseconds)
    {
        ThrowIfDisposed();
        using SegmentUse use = _pipe.Use();
        Deadline deadline = Deadline.After(timeoutMilliseconds);
        while (true)
        {
            if (Incoming.HasItems || !_pipe.IsHeld(1 - _end, checkLiveness: true))
            {
                return true;
            }

            int slice = deadline.Slice(PeerCheckMilliseconds);
            if (slice == 0)
            {
                return Incoming.HasItems;
            }

            Incoming.WaitForItem(slice);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    /// <summary>
    /// Marshals the end by handle, and counts it as held while it travels: the sender may dispose its own
    /// copy at once (as Python code closes the child's end after starting the child) without the other end
    /// seeing a closed pipe before the receiving process has opened it.
    /// </summary>
    private sealed class Formatter : MemoryPackFormatter<PipeEnd<T>>
    {
        public override void Serialize<TBufferWriter>(ref MemoryPackWriter<TBufferWriter> writer, scoped ref PipeEnd<T>? value)
        {
            value?._pipe.Sending(value._end);
            writer.WriteString(value?.HandleName);
        }

        public override void Deserialize(ref MemoryPackReader reader, scoped ref PipeEnd<T>? value)
        {
            string? handle = reader.ReadString();
            value = handle is null ? null : Open(handle);
        }
    }
}

/// <summary>
/// The shared state of a pipe: its two queues (end 0 sends on queue 0, end 1 on queue 1) and, per end,
/// which processes hold it (pid and count) — the other end's reader sees the end of the stream when none
/// is left, or none alive. Owned by the creating process, which removes it all when it has disposed both
/// of its ends, or exits.
/// </summary>
internal sealed unsafe class PipeState<T>
{
    private const int NameLength = 96;
    private const int HolderSlots = 64;
    private const int HoldersAt = 2 * NameLength; // per end: HolderSlots × (pid, count, start time as a long)
    private const int SlotInts = 4; // a slot: pid, count, then the holder's start time (a pid alone is reused)
    private const int InFlightAt = HoldersAt + (2 * HolderSlots * SlotInts * 4); // per end: (count, pad, last send as TickCount64)
    private const int DataSize = InFlightAt + (2 * 16);

    /// <summary>How long an end sent to another process counts as held before that process opens it.</summary>
    private const long InFlightGraceMilliseconds = 30_000;

    private static readonly ulong Tag = SharedSegment.TypeTag("ProcessPipe", typeof(T), 0);

    private readonly SharedSegment _segment;
    private readonly ProcessQueue<T>[] _queues;
    private int _ownerEnds; // the owner's ends not yet disposed

    private PipeState(SharedSegment segment, ProcessQueue<T>[] queues, int ownerEnds)
    {
        _segment = segment;
        _queues = queues;
        _ownerEnds = ownerEnds;
    }

    public string Name => _segment.Name;

    public static PipeState<T> Create()
    {
        ProcessQueue<T>[] queues = [new ProcessQueue<T>(), new ProcessQueue<T>()];
        SharedSegment segment = SharedSegment.Create(DataSize, Tag);
        for (int q = 0; q < 2; q++)
        {
            byte[] name = Encoding.ASCII.GetBytes(queues[q].HandleName);
            name.CopyTo(new Span<byte>(segment.Data + (q * NameLength), NameLength));
        }

        return new PipeState<T>(segment, queues, ownerEnds: 2);
    }

    public static PipeState<T> Open(string name)
    {
        SharedSegment segment = SharedSegment.Open(name, Tag, $"ProcessPipe<{typeof(T).Name}>");
        var queues = new ProcessQueue<T>[2];
        for (int q = 0; q < 2; q++)
        {
            var bytes = new ReadOnlySpan<byte>(segment.Data + (q * NameLength), NameLength);
            int length = bytes.IndexOf((byte)0);
            queues[q] = ProcessQueue<T>.Open(Encoding.ASCII.GetString(length < 0 ? bytes : bytes[..length]));
        }

        return new PipeState<T>(segment, queues, ownerEnds: 0);
    }

    public ProcessQueue<T> Queue(int end) => _queues[end];

    /// <summary>Keeps the pipe's state mapped for an operation that may wait (see <see cref="SharedSegment.Use"/>).</summary>
    public SegmentUse Use() => _segment.Use();

    /// <summary>Records that this process holds <paramref name="end"/> once more (received: it had been sent here).</summary>
    public void Attach(int end, bool received)
    {
        Adjust(end, +1);
        if (received)
        {
            int* inFlight = (int*)(_segment.Data + InFlightAt + (end * 16));
            int current;
            do
            {
                current = Volatile.Read(ref *inFlight);
            }
            while (current > 0 && Interlocked.CompareExchange(ref *inFlight, current - 1, current) != current);
        }
    }

    /// <summary>The end is being marshaled to another process: held meanwhile.</summary>
    public void Sending(int end)
    {
        byte* at = _segment.Data + InFlightAt + (end * 16);
        Volatile.Write(ref *(long*)(at + 8), Environment.TickCount64);
        Interlocked.Increment(ref *(int*)at);
    }

    /// <summary>Records that this process let go of <paramref name="end"/>; the owner removes the pipe after its last end.</summary>
    public void Detach(int end)
    {
        if (!_segment.IsDisposed)
        {
            Adjust(end, -1);
        }

        if (!_segment.IsOwner)
        {
            _segment.Dispose(); // this process's mapping of a received end; the queues stay for other holders here
            return;
        }

        // The owner's last end: remove the pipe only if nobody else holds an end and nothing is left unread.
        // Otherwise it stays until the owner exits (the other side drains it and sees the end of the stream).
        if (Interlocked.Decrement(ref _ownerEnds) == 0
            && !IsHeld(0, checkLiveness: true) && !IsHeld(1, checkLiveness: true)
            && !_queues[0].HasItems && !_queues[1].HasItems)
        {
            _queues[0].Dispose();
            _queues[1].Dispose();
            _segment.Dispose();
        }
    }

    /// <summary>Whether some process holds <paramref name="end"/> (and, if asked, is still alive).</summary>
    public bool IsHeld(int end, bool checkLiveness = false)
    {
        if (_segment.IsDisposed)
        {
            return false;
        }

        byte* inFlight = _segment.Data + InFlightAt + (end * 16);
        if (Volatile.Read(ref *(int*)inFlight) > 0
            && Environment.TickCount64 - Volatile.Read(ref *(long*)(inFlight + 8)) < InFlightGraceMilliseconds)
        {
            return true;
        }

        int* slots = Slots(end);
        for (int i = 0; i < HolderSlots; i++)
        {
            int* slot = slots + (SlotInts * i);
            int pid = Volatile.Read(ref slot[0]);
            long started = Volatile.Read(ref *(long*)(slot + 2));
            if (pid != 0 && Volatile.Read(ref slot[1]) > 0
                && (!checkLiveness || (pid == Environment.ProcessId && started == OwnerIdentity.StartTime) || OwnerIdentity.IsAlive(pid, started)))
            {
                return true;
            }
        }

        return false;
    }

    private int* Slots(int end) => (int*)(_segment.Data + HoldersAt) + (end * HolderSlots * SlotInts);

    private void Adjust(int end, int delta)
    {
        int pid = Environment.ProcessId;
        using (_segment.Lock())
        {
            int* slots = Slots(end);
            int free = -1;
            for (int i = 0; i < HolderSlots; i++)
            {
                int* slot = slots + (SlotInts * i);
                int holder = slot[0];
                if (holder == pid && *(long*)(slot + 2) == OwnerIdentity.StartTime)
                {
                    slot[1] = Math.Max(0, slot[1] + delta);
                    return;
                }

                // A slot of a dead holder (or of an earlier process that had this pid), or an empty one, can be taken.
                if (free < 0 && (holder == 0 || slot[1] == 0 || !OwnerIdentity.IsAlive(holder, *(long*)(slot + 2))))
                {
                    free = i;
                }
            }

            if (delta > 0 && free >= 0)
            {
                int* slot = slots + (SlotInts * free);
                *(long*)(slot + 2) = OwnerIdentity.StartTime;
                slot[1] = delta;
                Volatile.Write(ref slot[0], pid);
            }
        }
    }
}
