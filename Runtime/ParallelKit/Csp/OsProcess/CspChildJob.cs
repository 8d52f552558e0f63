using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace ParallelKit.CspRuntime;

/// <summary>
/// Runs in the OS process started for a CSP process: the job <see cref="ParallelProcess"/> delivers. It runs
/// the process's method with the ends it was passed (channels in shared memory), then tells the starting process how the method ended (the starting
/// process retires or poisons the real ends, as it would for a process of its own).
/// </summary>
internal sealed class CspChildJob : VoidJobCall
{
    private readonly string _name;
    private readonly ulong _key;
    private readonly CspProcessCall _process;
    private readonly CspEndClient _client;
    private readonly List<ChannelEnd> _ends;

    private CspChildJob(string name, ulong key, CspProcessCall process, CspEndClient client, List<ChannelEnd> ends)
    {
        _name = name;
        _key = key;
        _process = process;
        _client = client;
        _ends = ends;
    }

    public override string JobName => _name;

    protected internal override ulong JobKey => _key;

    /// <summary>Reads the link's pipe end, then the process's arguments with ends bound to it.</summary>
    public static JobCall Decode(ref JobReader arguments, string name, ulong key, CspProcessDecoder decoder)
    {
        PipeEnd<byte[]> pipe = arguments.Read<PipeEnd<byte[]>>()
            ?? throw new InvalidOperationException($"The CSP process '{name}' was started without its link to the starting process.");
        var client = new CspEndClient(pipe);
        CspProcessCall process = decoder(ref arguments);
        var ends = new List<ChannelEnd>();
        process.CollectEnds(ends);

        // The starting process is gone: its processes can no longer see this one end, and their channels may
        // never be poisoned by anyone else; poisoning them here ends whatever waits on them in this process.
        client.Gone = () =>
        {
            foreach (ChannelEnd end in ends)
            {
                end.Poison();
            }
        };
        client.Start();
        return new CspChildJob(name, key, process, client, ends);
    }

    /// <summary>
    /// How much processor time this OS process may spend after its member's method started, with no channel operation
    /// yet, before the member says it started anyway (a method that computes first). Processor time, not time on the
    /// clock: on a host loaded several times over the first channel operation (compiling the code that runs it) takes
    /// hundreds of milliseconds by the clock, in which the network's in-process members would run alone.
    /// </summary>
    private static readonly TimeSpan StartedAfterProcessorTime = TimeSpan.FromMilliseconds(50);

    /// <summary>How long by the clock a member with no channel operation yet may take anyway (a method that waits for something else first).</summary>
    private static readonly TimeSpan StartedAfterAtMost = TimeSpan.FromMilliseconds(500);

    /// <summary>How often the fallback looks at the processor time spent.</summary>
    private const int StartedCheckMilliseconds = 10;

    protected internal override void WriteArguments(ref JobWriter writer)
        => throw new InvalidOperationException("A CSP process running in its own OS process is not passed on: start it from the process that owns its channels.");

    protected internal override async ValueTask InvokeAsync(CancellationToken cancellationToken)
    {
        // Started once the method's first channel operation has left the arena's lock (its first offer, say, is in
        // place: the network's in-process members, which start then, find this member ready, not still compiling its
        // first call), or after StartedAfterProcessorTime for a method that computes first, or StartedAfterAtMost for
        // one that waits first; always before the end.
        var gate = new Lock();
        bool startSent = false;
        void Send(CspStatus? status, byte[] body)
        {
            lock (gate)
            {
                if (!startSent)
                {
                    startSent = true;
                    _client.SendStarted();
                }

                if (status is { } done)
                {
                    _client.SendDone(done, RetiredHere(), body);
                }
            }
        }

        Action started = () => Send(null, []);
        CspArena.OnNextRelease = started;
        using var fallback = new StartFallback(started);
        try
        {
            object? result = await Csp.RunHereAsync(_process, cancellationToken).ConfigureAwait(false);
            Send(CspStatus.Ok, _process.SerializeResult(result));
        }
        catch (ChannelPoisonedException e)
        {
            Send(CspStatus.Poisoned, System.Text.Encoding.UTF8.GetBytes(e.Message));
        }
        catch (ChannelRetiredException e)
        {
            Send(CspStatus.Retired, System.Text.Encoding.UTF8.GetBytes(e.Message));
        }
        catch (Exception e)
        {
            Send(CspStatus.Failed, CspValues.Serialize(new[] { _name, e.GetType().FullName ?? e.GetType().Name, e.Message, e.StackTrace ?? string.Empty }));
        }
        finally
        {
            Interlocked.CompareExchange(ref CspArena.OnNextRelease, null, started);
            _client.Dispose();
        }
    }

    /// <summary>
    /// Says the member started once this OS process has spent <see cref="StartedAfterProcessorTime"/> of processor
    /// time since its method started, or <see cref="StartedAfterAtMost"/> has passed, whichever comes first.
    /// </summary>
    private sealed class StartFallback : IDisposable
    {
        private readonly Action _started;
        private readonly TimeSpan _processorAtStart = Environment.CpuUsage.TotalTime;
        private readonly long _clockAtStart = Stopwatch.GetTimestamp();
        private readonly Timer _timer;
        private bool _done;

        public StartFallback(Action started)
        {
            _started = started;
            _timer = new Timer(static state => ((StartFallback)state!).Check(), this, Timeout.Infinite, Timeout.Infinite);
            _timer.Change(StartedCheckMilliseconds, Timeout.Infinite);
        }

        private void Check()
        {
            lock (_timer)
            {
                if (_done)
                {
                    return;
                }

                if (Environment.CpuUsage.TotalTime - _processorAtStart < StartedAfterProcessorTime
                    && Stopwatch.GetElapsedTime(_clockAtStart) < StartedAfterAtMost)
                {
                    _timer.Change(StartedCheckMilliseconds, Timeout.Infinite);
                    return;
                }

                _done = true;
            }

            _started();
        }

        public void Dispose()
        {
            lock (_timer)
            {
                _done = true;
                _timer.Dispose();
            }
        }
    }

    /// <summary>The indexes of the process's ends that retired here (the starting process must not retire them again).</summary>
    private List<int> RetiredHere()
    {
        var retired = new List<int>();
        for (int i = 0; i < _ends.Count; i++)
        {
            if (_ends[i].IsRetired)
            {
                retired.Add(i);
            }
        }

        return retired;
    }
}
