using System;
using ParallelKit.Benchmarks.Micro;
using ParallelKit.Benchmarks.Peer;

namespace ParallelKit.Benchmarks;

/// <summary>
/// <c>peer [--quick] [--only a,b]</c>: JSON lines in the Python peer-baseline contract.
/// <c>bdn [BenchmarkDotNet args]</c>: BenchmarkDotNet micro-benchmarks.
/// <c>csp-probe in|cross|shared [cycles] [warm-up reads]</c>: one CommsTime run, nothing else (to count wake-ups with <c>perf stat</c>).
/// <c>queue-probe [items]</c>: the calling thread's CPU per small queue put/get, pipe send/receive and manager set+get.
/// <c>cluster-node --silo P --gateway G --primary P0 --workers N --name NAME</c>: a cluster node of the cluster benchmarks (started by them).
/// Worker processes are this executable relaunched; the generated entrypoint serves jobs there before <c>Main</c>.
/// </summary>
public static partial class Program
{
    public static int Main(string[] args)
    {
        string mode = args.Length > 0 ? args[0] : string.Empty;
        string[] rest = args.Length > 0 ? args[1..] : [];
        switch (mode)
        {
            case "peer":
                return PeerSuite.Run(rest);
            case "bdn":
                return MicroBenchmarks.Run(rest);
            case "cluster-node":
                return PeerSuite.RunClusterNode(rest);
            case "csp-probe":
                return PeerSuite.RunCspProbe(rest);
            case "queue-probe":
                return PeerSuite.RunQueueProbe(rest);
            default:
                Console.Error.WriteLine("usage: ParallelKit.Benchmarks peer [--quick] [--only bench[,bench...]]");
                Console.Error.WriteLine("       ParallelKit.Benchmarks bdn [BenchmarkDotNet arguments, e.g. --filter '*' --job short]");
                return 2;
        }
    }
}
