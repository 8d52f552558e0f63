using System;
using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using ParallelKit.Ipc;
using ParallelKit.Workers;

namespace ParallelKit.Processes;

/// <summary>
/// A relaunched process in single-job mode and its private socket: it connects back, waits for the one
/// job it will run, runs it and exits. The job may be handed over before or after it has connected.
/// </summary>
internal sealed class ProcessLaunch : IDisposable
{
    private readonly WorkerListener _listener;
    private readonly object _gate = new();
    private Socket? _data;
    private Socket? _control;
    private byte[]? _frame;
    private bool _sent;
    private int _released;

    // Completes when the process has said it is leaving (with its exit code), or has gone without saying so.
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _reportedExitCode;
    private volatile bool _reported;
    private readonly long _startTime;

    public ProcessLaunch()
    {
        _listener = new WorkerListener(Admit);
        try
        {
            Process = Process.Start(WorkerLauncher.CreateStartInfo(_listener.Endpoint, _listener.TokenHex, 0, WorkerEnvironment.ProcessMode))
                ?? throw new InvalidOperationException("The process did not start.");
        }
        catch
        {
            _listener.Dispose();
            throw;
        }

        Pid = Process.Id;
        _startTime = Internal.RuntimeIpcFiles.RemoveWhenExited(Process);
        Exited = Process.WaitForExitAsync();
        _ = Exited.ContinueWith(
            static (_, state) => ((ProcessLaunch)state!)._ended.TrySetResult(),
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Completes when .NET has reaped the process.</summary>
    public Task Exited { get; }

    /// <summary>
    /// Completes once the process has flushed its output and is leaving (it reported its exit code just before
    /// <c>_exit</c>), or has ended without reporting (killed, crashed, or before it got its job).
    /// </summary>
    public Task Ended => _ended.Task;

    /// <summary>The exit code the process reported on its way out; <see langword="null"/> until then, or if it died first.</summary>
    public int? ReportedExitCode => _reported ? _reportedExitCode : null;

    public Process Process { get; }

    public int Pid { get; }

    /// <summary>Whether the process is alive and has not been given its job yet.</summary>
    public bool IsWaiting
    {
        get
        {
            lock (_gate)
            {
                return _frame is null && !Process.HasExited;
            }
        }
    }

    /// <summary>Hands the job over: at once if the process has connected, else as soon as it does.</summary>
    public void Run(byte[] frame)
    {
        Socket? data;
        lock (_gate)
        {
            _frame = frame;
            data = TakeSendable();
        }

        if (data is not null)
        {
            Send(data, frame);
        }
    }

    /// <summary>Kills the process if it still runs, and closes the socket and its directory.</summary>
    public void Dispose()
    {
        Internal.NativeProcess.KillTree(Process);

        // Killed: its runtime cannot remove its files, and this process may exit before it sees the death.
        Internal.RuntimeIpcFiles.Remove(Pid, _startTime);
        Release();
    }

    /// <summary>Closes the channels and the private socket directory; the process is not touched.</summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        lock (_gate)
        {
            _data?.Dispose();
            _control?.Dispose();
        }

        _listener.Dispose();
    }

    /// <summary>The data channel, when the process has connected and a job waits to be sent. Caller holds the gate.</summary>
    private Socket? TakeSendable()
    {
        if (_sent || _frame is null || _data is null || _control is null)
        {
            return null;
        }

        _sent = true;
        return _data;
    }

    private Action<Socket>? Admit(WorkerHello hello)
    {
        if (hello.WorkerId != 0 || hello.ProcessId != Pid || !hello.SameBuild)
        {
            return null;
        }

        return socket =>
        {
            Socket? data;
            byte[]? frame;
            lock (_gate)
            {
                if (hello.Channel == Channel.Data)
                {
                    _data = socket;
                }
                else
                {
                    _control = socket;
                }

                data = TakeSendable();
                frame = _frame;
            }

            if (data is not null)
            {
                Send(data, frame!);
            }
        };
    }

    /// <summary>Sends the job, then drains the result so that a large one never blocks the child's exit.</summary>
    private void Send(Socket data, byte[] frame)
    {
        try
        {
            Wire.SendAll(data, frame);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return; // The process died; its exit code tells.
        }

        var drain = new Thread(() => Drain(data)) { IsBackground = true, Name = "ParallelKit process drain" };
        drain.Start();
    }

    private void Drain(Socket data)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (true)
            {
                int length;
                FrameType type;
                try
                {
                    length = Wire.ReceiveFrame(new SocketFrameSource(data), ref buffer, out type);
                }
                catch (InvalidOperationException)
                {
                    return;
                }

                if (length < 0)
                {
                    return;
                }

                if (type == FrameType.Exiting && FrameHeader.TryReadExiting(buffer.AsSpan(0, length), out int exitCode))
                {
                    _reportedExitCode = exitCode;
                    _reported = true;
                    _ended.TrySetResult();
                    return;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
