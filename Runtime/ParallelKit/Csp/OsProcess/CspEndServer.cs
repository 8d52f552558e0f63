using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace ParallelKit.CspRuntime;

/// <summary>
/// Runs in the OS process that started a CSP process in an OS process of its own: it holds the real ends
/// given to that process and performs, on them, every operation the child asks for on the pipe. The pipe
/// tells it when the child is gone (exited, or killed: the pipe checks its holders' pids and start times), and
/// <see cref="Ended"/> completes then.
/// </summary>
internal sealed class CspEndServer : IDisposable
{
    private readonly PipeEnd<byte[]> _pipe;
    private readonly List<ChannelEnd> _ends;
    private readonly Dictionary<int, CancellationTokenSource> _running = [];
    private readonly Lock _sendLock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _processName;

    public CspEndServer(string processName, PipeEnd<byte[]> pipe, List<ChannelEnd> ends)
    {
        _processName = processName;
        _pipe = pipe;
        _ends = ends;
    }

    /// <summary>Completes when the child has said how its method ended, or is gone.</summary>
    public Task Ended => _ended.Task;

    /// <summary>How the child's method ended (its Done message), or <see langword="null"/> when it never said.</summary>
    public (CspStatus Status, byte[] Payload)? Outcome { get; private set; }

    /// <summary>The index the child knows <paramref name="end"/> by.</summary>
    public int IndexOf(ChannelEnd end)
    {
        for (int i = 0; i < _ends.Count; i++)
        {
            if (ReferenceEquals(_ends[i], end))
            {
                return i;
            }
        }

        throw new InvalidOperationException($"{end} is not among the ends given to '{_processName}'.");
    }

    /// <summary>Starts serving on a thread of its own.</summary>
    public void Start()
    {
        var receiver = new Thread(ReceiveLoop) { IsBackground = true, Name = "ParallelKit CSP server " + _processName };
        receiver.Start();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _pipe.Dispose();
    }

    private void ReceiveLoop()
    {
        try
        {
            while (true)
            {
                byte[] message = _pipe.Receive();
                CspOp operation = CspWire.Operation(message);
                if (operation == CspOp.Done)
                {
                    Outcome = ((CspStatus)message[CspWire.RequestPayloadAt], message.AsSpan(CspWire.RequestPayloadAt + 1).ToArray());
                    break;
                }

                Dispatch(CspWire.RequestId(message), operation, CspWire.EndIndex(message), message.AsMemory(CspWire.RequestPayloadAt));
            }
        }
        catch (Exception e) when (e is EndOfStreamException or ObjectDisposedException or IOException)
        {
            // The child is gone; the runner reports how.
        }
        finally
        {
            _stop.Cancel();
            _ended.TrySetResult();
        }
    }

    private void Dispatch(int id, CspOp operation, int endIndex, ReadOnlyMemory<byte> payload)
    {
        switch (operation)
        {
            case CspOp.Cancel:
                lock (_running)
                {
                    if (_running.TryGetValue(endIndex, out CancellationTokenSource? cancel))
                    {
                        cancel.Cancel();
                    }
                }

                return;
            case CspOp.Poison:
                Reply(id, () => _ends[endIndex].Poison());
                return;
            case CspOp.Retire:
                Reply(id, () => _ends[endIndex].Retire());
                return;
        }

        var cancellation = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        lock (_running)
        {
            _running[id] = cancellation;
        }

        _ = ServeAsync(id, operation, endIndex, payload, cancellation);
    }

    private async Task ServeAsync(int id, CspOp operation, int endIndex, ReadOnlyMemory<byte> payload, CancellationTokenSource cancellation)
    {
        try
        {
            byte[] result = operation switch
            {
                CspOp.Read => await _ends[endIndex].ServeReadAsync(cancellation.Token).ConfigureAwait(false),
                CspOp.Write => await WriteAsync(_ends[endIndex], payload, cancellation.Token).ConfigureAwait(false),
                CspOp.Select => await SelectAsync(payload, cancellation.Token).ConfigureAwait(false),
                _ => throw new InvalidOperationException($"Unknown CSP operation {operation}."),
            };
            Send(CspWire.Reply(id, CspStatus.Ok, result));
        }
        catch (Exception e)
        {
            SendFailure(id, e);
        }
        finally
        {
            lock (_running)
            {
                _running.Remove(id);
            }

            cancellation.Dispose();
        }
    }

    private static async ValueTask<byte[]> WriteAsync(ChannelEnd end, ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
    {
        await end.ServeWriteAsync(value, cancellationToken).ConfigureAwait(false);
        return [];
    }

    /// <summary>Runs the child's alternation here, over the real ends: the guards come in the child's order, tried by priority.</summary>
    private async ValueTask<byte[]> SelectAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        ReadOnlySpan<byte> span = payload.Span;
        int count = BinaryPrimitives.ReadInt32LittleEndian(span);
        int at = 4;
        var guards = new Guard[count];
        var ends = new ChannelEnd?[count];
        for (int k = 0; k < count; k++)
        {
            byte kind = span[at];
            bool enabled = span[at + 1] != 0;
            int endIndex = BinaryPrimitives.ReadInt32LittleEndian(span[(at + 2)..]);
            long ticks = BinaryPrimitives.ReadInt64LittleEndian(span[(at + 6)..]);
            int length = BinaryPrimitives.ReadInt32LittleEndian(span[(at + 14)..]);
            ReadOnlySpan<byte> value = span.Slice(at + 18, length);
            at += 18 + length;
            guards[k] = kind switch
            {
                RemoteGuardKind.Input or RemoteGuardKind.Output => _ends[endIndex].ServeGuard(value),
                RemoteGuardKind.Skip => Guard.Skip(),
                _ => Guard.Timeout(TimeSpan.FromTicks(ticks)),
            };
            guards[k].Enabled = enabled;
            ends[k] = kind == RemoteGuardKind.Input ? _ends[endIndex] : null;
        }

        Choice chosen = await new Alternation(guards).PriSelectAsync(cancellationToken).ConfigureAwait(false);
        byte[] read = ends[chosen.Index] is { } input ? input.SerializeBoxed(chosen.Value) : [];
        byte[] reply = new byte[4 + read.Length];
        BinaryPrimitives.WriteInt32LittleEndian(reply, chosen.Index);
        read.CopyTo(reply.AsSpan(4));
        return reply;
    }

    private void SendFailure(int id, Exception e)
    {
        (CspStatus status, byte[] payload) = e switch
        {
            ChannelPoisonedException => (CspStatus.Poisoned, System.Text.Encoding.UTF8.GetBytes(e.Message)),
            ChannelRetiredException => (CspStatus.Retired, System.Text.Encoding.UTF8.GetBytes(e.Message)),
            OperationCanceledException => (CspStatus.Cancelled, Array.Empty<byte>()),
            _ => (CspStatus.Failed, CspValues.Serialize(new[] { _processName, e.GetType().FullName ?? e.GetType().Name, e.Message, e.StackTrace ?? string.Empty })),
        };
        Send(CspWire.Reply(id, status, payload));
    }

    private void Reply(int id, Action operation)
    {
        try
        {
            operation();
            Send(CspWire.Reply(id, CspStatus.Ok, []));
        }
        catch (Exception e)
        {
            SendFailure(id, e);
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
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The child is gone: nobody waits for this reply.
        }
    }
}

/// <summary>The kinds of guard a remote alternation sends.</summary>
internal static class RemoteGuardKind
{
    public const byte Input = 0;
    public const byte Output = 1;
    public const byte Skip = 2;
    public const byte Timeout = 3;
}
