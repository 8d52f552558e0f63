using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using MemoryPack;

namespace ParallelKit.Benchmarks.Micro;

/// <summary>A small record, the kind of argument a job takes; the MemoryPack reference for marshaling cost.</summary>
[MemoryPackable]
public partial record Chunk(int From, int To, string Label);

/// <summary>Entry point of <c>bdn</c> mode.</summary>
public static class MicroBenchmarks
{
    public static int Run(string[] args)
    {
        // No arguments: the in-process cost benchmarks, short run. Otherwise BenchmarkDotNet's own
        // command line (--filter, --job, --inProcess, ...). Results go under artifacts/bench/bdn.
        string[] bdnArgs = args.Length == 0 ? ["--filter", "*JobCostBenchmarks*", "--job", "short"] : args;
        IConfig config = DefaultConfig.Instance.WithArtifactsPath(Path.Combine("artifacts", "bench", "bdn"));
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(MicroBenchmarks).Assembly).Run(bdnArgs, config);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}

/// <summary>
/// In-process costs of ParallelKit's public API, next to the MemoryPack round trip that marshaling a
/// job's arguments and result costs in the processes backend.
/// </summary>
[MemoryDiagnoser]
public class JobCostBenchmarks
{
    private readonly Chunk _chunk = new(1_000, 2_000, "chunk-1");
    private byte[] _chunkBytes = [];
    private JobServer _threads = null!;
    private int _x;

    [GlobalSetup]
    public void Setup()
    {
        _chunkBytes = MemoryPackSerializer.Serialize(_chunk);
        _threads = JobServer.Start(new JobServerOptions { Workers = 2, Backend = JobBackend.Threads });
        _threads.Submit(BenchJobs.Jobs.Inc(0)).Wait();
    }

    [GlobalCleanup]
    public void Cleanup() => _threads.Dispose();

    /// <summary>Reference: serialize a small record with MemoryPack.</summary>
    [Benchmark]
    public byte[] MemoryPack_serialize_small_record() => MemoryPackSerializer.Serialize(_chunk);

    /// <summary>Reference: deserialize it again.</summary>
    [Benchmark]
    public Chunk? MemoryPack_deserialize_small_record() => MemoryPackSerializer.Deserialize<Chunk>(_chunkBytes);

    /// <summary>Making a job call (the generated <c>Jobs.Inc(x)</c> factory): what every Submit starts with.</summary>
    [Benchmark]
    public JobCall<int> JobCall_create() => BenchJobs.Jobs.Inc(_x++);

    /// <summary>Threads backend: Submit a tiny job and await it (no marshaling on this backend).</summary>
    [Benchmark]
    public async Task<int> Threads_submit_await() => await _threads.Submit(BenchJobs.Jobs.Inc(_x++));

    /// <summary>Threads backend: Submit a tiny job and block on <c>Result</c>.</summary>
    [Benchmark]
    public int Threads_submit_result() => _threads.Submit(BenchJobs.Jobs.Inc(_x++)).Result;
}

/// <summary>
/// Processes backend: one tiny job's full round trip (marshal, socket, worker, result). Needs
/// <c>--inProcess</c>: worker processes are the entry executable relaunched, and in BenchmarkDotNet's
/// default out-of-process toolchain the entry executable is BenchmarkDotNet's generated program, which
/// has no ParallelKit worker entrypoint (workers exit with code 70 before connecting).
/// </summary>
[MemoryDiagnoser]
public class ProcessRoundTripBenchmarks
{
    private JobServer _processes = null!;
    private int _x;

    [GlobalSetup]
    public void Setup()
    {
        if (Assembly.GetEntryAssembly() != typeof(BenchJobs).Assembly)
        {
            throw new NotSupportedException(
                "ProcessRoundTripBenchmarks must run inside ParallelKit.Benchmarks itself: pass --inProcess " +
                "(worker processes relaunch the entry executable, here BenchmarkDotNet's generated one).");
        }

        _processes = JobServer.Start(new JobServerOptions { Workers = 2 });
        _processes.Submit(BenchJobs.Jobs.Inc(0)).Wait();
    }

    [GlobalCleanup]
    public void Cleanup() => _processes.Dispose();

    [Benchmark]
    public int Processes_submit_result() => _processes.Submit(BenchJobs.Jobs.Inc(_x++)).Result;
}
