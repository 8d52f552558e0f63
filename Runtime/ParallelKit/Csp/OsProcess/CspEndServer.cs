using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace ParallelKit.CspRuntime;

/// <summary>
/// Runs in the OS process that started a CSP process in an OS process of its own: the other end of its link
/// (<see cref="CspEndClient"/>). It waits for the child's messages, that its method starts and how it ended; the pipe
/// tells it when the child is gone (exited, or killed: the pipe checks its holders' pids and start times), and
/// <see cref="Ended"/> (and the start, if it had not) completes then. The child's channel operations never come here: they work on the channels
/// in shared memory.
/// </summary>
internal sealed class CspEndServer : IDisposable
{
    private readonly PipeEnd<byte[]> _pipe;
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _started;
    private readonly string _processName;

    /// <param name="processName">The process's name, for the receiving thread's name.</param>
    /// <param name="pipe">This side of the link.</param>
    /// <param name="started">Completed when the child's method starts, or when it ends or is gone without saying so.</param>
    public CspEndServer(string processName, PipeEnd<byte[]> pipe, TaskCompletionSource started)
    {
        _processName = processName;
        _pipe = pipe;
        _started = started;
    }

    /// <summary>Completes when the child has said how its method ended, or is gone.</summary>
    public Task Ended => _ended.Task;

    /// <summary>How the child's method ended (its one message), or <see langword="null"/> when it never said.</summary>
    public (CspStatus Status, byte[] Payload)? Outcome { get; private set; }

    /// <summary>The indexes of the process's ends that retired in the child (with <see cref="Outcome"/>).</summary>
    public int[] RetiredThere { get; private set; } = [];

    /// <summary>Starts waiting on a thread of its own.</summary>
    public void Start()
    {
        var receiver = new Thread(ReceiveLoop) { IsBackground = true, Name = "ParallelKit CSP link " + _processName };
        receiver.Start();
    }

    public void Dispose() => _pipe.Dispose();

    private void ReceiveLoop()
    {
        try
        {
            byte[] message = _pipe.Receive();
            if (CspWire.Status(message) == CspStatus.Started)
            {
                _started.TrySetResult();
                message = _pipe.Receive();
            }

            RetiredThere = CspWire.Retired(message);
            Outcome = (CspWire.Status(message), CspWire.Payload(message));
        }
        catch (Exception e) when (e is EndOfStreamException or ObjectDisposedException or IOException)
        {
            // The child is gone; the runner reports how.
        }
        finally
        {
            _started.TrySetResult();
            _ended.TrySetResult();
        }
    }
}
