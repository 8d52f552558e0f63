using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;

namespace ParallelKit.CspRuntime;

/// <summary>
/// Runs in the OS process started for a CSP process (<see cref="CspProcessCall.InOsProcess"/>): its link to the
/// OS process that started it. The channels are in shared memory, so the link carries two messages, that the
/// process's method starts and how it ended; its other use is noticing that the starting process is gone (the pipe ends), when
/// <see cref="Gone"/> runs (the child poisons its channels then, so that nothing it runs waits for ever).
/// </summary>
internal sealed class CspEndClient : IDisposable
{
    private readonly PipeEnd<byte[]> _pipe;
    private readonly Lock _sendLock = new();
    private int _disposed;

    public CspEndClient(PipeEnd<byte[]> pipe)
    {
        _pipe = pipe;
    }

    /// <summary>Runs (on the link's thread) when the starting process is gone before this one said it ended.</summary>
    public Action? Gone { get; set; }

    /// <summary>Starts watching the link.</summary>
    public void Start()
    {
        var receiver = new Thread(WatchLoop) { IsBackground = true, Name = "ParallelKit CSP link" };
        receiver.Start();
    }

    /// <summary>Reports that the process's method starts now; the first message.</summary>
    public void SendStarted() => SendDone(CspStatus.Started, [], []);

    /// <summary>Reports how the process's method ended, and which of its ends retired here; the last message.</summary>
    public void SendDone(CspStatus status, IReadOnlyList<int> retired, ReadOnlySpan<byte> payload)
    {
        try
        {
            lock (_sendLock)
            {
                _pipe.Send(CspWire.Done(status, retired, payload));
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The starting process is gone: nobody waits for the outcome.
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _pipe.Dispose();
        }
    }

    private void WatchLoop()
    {
        try
        {
            while (true)
            {
                _ = _pipe.Receive(); // nothing is sent this way: this returns only when the link breaks
            }
        }
        catch (Exception e) when (e is EndOfStreamException or ObjectDisposedException or IOException)
        {
            if (Volatile.Read(ref _disposed) == 0)
            {
                Gone?.Invoke();
            }
        }
    }
}
