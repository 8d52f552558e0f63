using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using ParallelKit.Internal;
using ParallelKit.Ipc;
using ParallelKit.Workers;

namespace ParallelKit;

/// <summary>
/// One job in a dedicated process, like Python's <c>multiprocessing.Process</c>: start it, join it, read
/// its exit code. The process is this executable relaunched; it runs the job and exits with 0, or with 1
/// after printing the job's exception to its standard error.
/// </summary>
/// <example>
/// <code>
/// using var p = ParallelProcess.Start(Greeter.Jobs.Hello("bob"));
/// p.Join();
/// Console.WriteLine(p.ExitCode); // 0
/// </code>
/// </example>
public sealed class ParallelProcess : IDisposable
{
    private readonly Process _process;
    private readonly WorkerListener _listener;
    private readonly byte[] _frame;
    private readonly object _gate = new();
    private Socket? _data;
    private Socket? _control;
    private int _disposed;
    private int? _exitCode;

    private ParallelProcess(JobCall call)
    {
        _frame = BuildFrame(call.MarshalKeyAndArguments());
        JobName = call.JobName;
        _listener = new WorkerListener(Admit);
        try
        {
            _process = Process.Start(WorkerLauncher.CreateStartInfo(_listener.Endpoint, _listener.TokenHex, 0, WorkerEnvironment.ProcessMode))
                ?? throw new InvalidOperationException("The process did not start.");
        }
        catch
        {
            _listener.Dispose();
            throw;
        }

        Pid = _process.Id;
    }

    /// <summary>The job this process runs.</summary>
    public string JobName { get; }

    /// <summary>The process id.</summary>
    public int Pid { get; }

    /// <summary>Whether the process is still running.</summary>
    public bool IsAlive => _exitCode is null && !_process.HasExited;

    /// <summary>
    /// The exit code once the process has ended (0: the job returned; 1: it threw; 128+N: killed by signal N),
    /// or <see langword="null"/> while it runs.
    /// </summary>
    public int? ExitCode => _exitCode ?? (_process.HasExited ? _process.ExitCode : null);

    /// <summary>Starts a process that runs <paramref name="call"/> and exits.</summary>
    /// <param name="call">The job to run, e.g. <c>Greeter.Jobs.Hello("bob")</c>.</param>
    /// <returns>The running process.</returns>
    /// <exception cref="InvalidOperationException">This executable has no ParallelKit worker entrypoint (the message says what to add).</exception>
    public static ParallelProcess Start(JobCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        WorkerLauncher.EnsureEntryPoint();
        return new ParallelProcess(call);
    }

    /// <summary>Waits for the process to exit.</summary>
    public void Join()
    {
        _process.WaitForExit();
        Release();
    }

    /// <summary>Waits at most <paramref name="timeout"/> for the process to exit.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <returns><see langword="true"/> when the process has exited.</returns>
    public bool Join(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return false;
        }

        _process.WaitForExit();
        Release();
        return true;
    }

    /// <summary>Waits for the process to exit without blocking a thread.</summary>
    /// <param name="cancellationToken">Stops waiting (the process keeps running).</param>
    /// <returns>A task that completes when the process has exited.</returns>
    public async Task JoinAsync(CancellationToken cancellationToken = default)
    {
        await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        Release();
    }

    /// <summary>Kills the process (SIGKILL) and the processes it started. Does nothing once it has exited.</summary>
    public void Terminate()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or AggregateException)
        {
            // Exited meanwhile, or already reaped.
        }
    }

    /// <summary>Releases the process handle and the private socket; a process still running is killed, never orphaned.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Terminate();
        _process.WaitForExit();
        Release();
        _exitCode = _process.ExitCode; // still readable after the handle is gone
        _process.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => $"ParallelProcess {Pid} ({JobName}, {(IsAlive ? "running" : "exit code " + ExitCode)})";

    private static byte[] BuildFrame(byte[] keyAndArguments)
    {
        using var frame = new FrameBuffer(keyAndArguments.Length + 128);
        frame.Reserve(5);
        frame.WriteInt32(1);
        frame.WriteInt64(0);
        int lengthAt = frame.ReserveInt32();
        frame.WriteInt32(1);
        frame.WriteInt32(-1); // not part of a map
        frame.Write(Diagnostics.Telemetry.TraceParent(null));
        frame.WriteBytes(keyAndArguments);
        frame.PatchInt32(lengthAt, frame.WrittenCount - lengthAt - 4);
        frame.PatchInt32(0, frame.WrittenCount - 5);
        frame.PatchByte(4, (byte)FrameType.Batch);
        return frame.WrittenSpan.ToArray();
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

                data = _data is not null && _control is not null ? _data : null;
            }

            if (data is not null)
            {
                // Hand over the job, then drain the result so that a large one never blocks the child's exit.
                Wire.SendAll(data, _frame);
                var drain = new Thread(() => Drain(data)) { IsBackground = true, Name = "ParallelKit process drain" };
                drain.Start();
            }
        };
    }

    private static void Drain(Socket data)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (true)
            {
                int length;
                try
                {
                    length = Wire.ReceiveFrame(data, ref buffer, out _);
                }
                catch (InvalidOperationException)
                {
                    return;
                }

                if (length < 0)
                {
                    return;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Release()
    {
        lock (_gate)
        {
            _data?.Dispose();
            _control?.Dispose();
        }

        _listener.Dispose();
    }
}
