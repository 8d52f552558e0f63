using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using ParallelKit.Internal;

namespace ParallelKit.CspRuntime;

/// <summary>
/// Runs in the OS process started for a CSP process (<see cref="CspProcessCall.InOsProcess"/>): the link to
/// the OS process that started it, which holds the real channel ends. Every operation on a remote end is a
/// request on the pipe, answered when the starting process has performed it on the real end; replies may
/// come in any order, so that several threads of this process can wait on different ends at once.
/// </summary>
internal sealed class CspEndClient : IDisposable
{
    private readonly PipeEnd<byte[]> _pipe;
    private readonly Dictionary<int, TaskCompletionSource<byte[]>> _pending = [];
    private readonly Lock _sendLock = new();
    private int _lastRequest;
    private string? _gone;

    public CspEndClient(PipeEnd<byte[]> pipe)
    {
        _pipe = pipe;
        var receiver = new Thread(ReceiveLoop) { IsBackground = true, Name = "ParallelKit CSP link" };
        receiver.Start();
    }

    /// <summary>Sends a request and blocks until its reply.</summary>
    public byte[] Call(CspOp operation, int endIndex, ReadOnlySpan<byte> payload, CancellationToken cancellationToken)
        => CallAsync(operation, endIndex, payload, cancellationToken).AsTask().GetAwaiter().GetResult();

    /// <summary>Sends a request; the task completes with the reply's payload or throws what the operation threw.</summary>
    public ValueTask<byte[]> CallAsync(CspOp operation, int endIndex, ReadOnlySpan<byte> payload, CancellationToken cancellationToken)
    {
        var reply = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        int id = Interlocked.Increment(ref _lastRequest);
        lock (_pending)
        {
            if (_gone is not null)
            {
                return ValueTask.FromException<byte[]>(new ChannelPoisonedException(_gone));
            }

            _pending.Add(id, reply);
        }

        Send(CspWire.Request(id, operation, endIndex, payload));
        if (!cancellationToken.CanBeCanceled)
        {
            return new ValueTask<byte[]>(reply.Task);
        }

        return WaitCancellable(id, reply.Task, cancellationToken);
    }

    /// <summary>Reports how the process's method ended; the last message.</summary>
    public void SendDone(CspStatus status, ReadOnlySpan<byte> payload)
    {
        byte[] body = new byte[1 + payload.Length];
        body[0] = (byte)status;
        payload.CopyTo(body.AsSpan(1));
        Send(CspWire.Request(0, CspOp.Done, 0, body));
    }

    public void Dispose() => _pipe.Dispose();

    private async ValueTask<byte[]> WaitCancellable(int id, Task<byte[]> reply, CancellationToken cancellationToken)
    {
        // Cancelling asks the other side to give up; its reply (cancelled, or done after all) still settles the task.
        using (cancellationToken.Register(() => Send(CspWire.Request(0, CspOp.Cancel, id, []))))
        {
            return await reply.ConfigureAwait(false);
        }
    }

    private void Send(byte[] message)
    {
        try
        {
            lock (_sendLock)
            {
                _pipe.Send(message);
            }
        }
        catch (IOException e)
        {
            FailAll($"The OS process that started this CSP process is gone ({e.Message}); its channels are unreachable.");
        }
    }

    private void ReceiveLoop()
    {
        try
        {
            while (true)
            {
                byte[] message = _pipe.Receive();
                int id = CspWire.RequestId(message);
                TaskCompletionSource<byte[]>? reply;
                lock (_pending)
                {
                    if (_pending.Remove(id, out reply) is false)
                    {
                        continue;
                    }
                }

                byte[] payload = message.AsSpan(CspWire.ReplyPayloadAt).ToArray();
                switch (CspWire.Status(message))
                {
                    case CspStatus.Ok:
                        reply!.TrySetResult(payload);
                        break;
                    case CspStatus.Poisoned:
                        reply!.TrySetException(new ChannelPoisonedException(System.Text.Encoding.UTF8.GetString(payload)));
                        break;
                    case CspStatus.Retired:
                        reply!.TrySetException(new ChannelRetiredException(System.Text.Encoding.UTF8.GetString(payload)));
                        break;
                    case CspStatus.Cancelled:
                        reply!.TrySetCanceled();
                        break;
                    default:
                        string[] error = CspValues.Deserialize<string[]>(payload);
                        reply!.TrySetException(new JobFailedException(error[0], Environment.ProcessId, error[1], error[2], error[3]));
                        break;
                }
            }
        }
        catch (Exception e) when (e is EndOfStreamException or ObjectDisposedException or IOException)
        {
            FailAll("The OS process that started this CSP process is gone: its channels are unreachable, as if poisoned.");
        }
    }

    private void FailAll(string why)
    {
        List<TaskCompletionSource<byte[]>> pending;
        lock (_pending)
        {
            _gone ??= why;
            pending = [.. _pending.Values];
            _pending.Clear();
        }

        foreach (TaskCompletionSource<byte[]> reply in pending)
        {
            reply.TrySetException(new ChannelPoisonedException(why));
        }
    }
}
