using Microsoft.CodeAnalysis;
using ParallelKit.Generators.Csp;
using ParallelKit.Generators.Tests.Infrastructure;
using Xunit;

namespace ParallelKit.Generators.Tests;

/// <summary>
/// What the <c>[CspProcess]</c> generator emits: the <c>Processes</c> factories, the process classes (ends collected,
/// forked and marshaled by handle, other arguments by value) and the process table, compared with the snapshots in
/// <c>Snapshots/</c>. Every input uses the generated members and compiles with them with no warning at all.
/// </summary>
public sealed class CspSnapshotTests
{
    [Fact]
    public void The_design_example_and_every_return_and_parameter_kind()
    {
        GeneratorRunResult result = Run("""
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;
            using ParallelKit;

            namespace Demo;

            /// <summary>A network's processes.</summary>
            public static partial class Net
            {
                /// <summary>Adds one.</summary>
                [CspProcess]
                public static async Task Succ(ChannelIn<long> input, ChannelOut<long> output)
                {
                    await foreach (long v in input)
                    {
                        await output.WriteAsync(v + 1);
                    }
                }

                /// <summary>Sums a fan-in.</summary>
                [CspProcess(Propagate = false)]
                public static long Sum(ChannelIn<long>[] inputs, IReadOnlyList<ChannelOut<string>> logs, int scale, CancellationToken cancellationToken)
                    => inputs.Length * scale;

                /// <summary>Writes a count.</summary>
                [CspProcess]
                internal static ValueTask<int> Count(ChannelOut<int> output, string? @class) => new(@class?.Length ?? 0);

                /// <summary>Does nothing, blocking.</summary>
                [CspProcess]
                public static void Idle() { }
            }

            internal static class Usage
            {
                public static async Task<object?[]> Use()
                {
                    var a = CspChannel.Create<long>();
                    var b = CspChannel.Create<long>();
                    var logs = CspChannel.Create<string>();
                    var counts = CspChannel.Create<int>();
                    CspProcessCall<long> sum = Net.Processes.Sum([b.Reader()], [logs.Writer()], 2);
                    CspProcessCall<int> count = Net.Processes.Count(counts.Writer(), null).InOsProcess();
                    return await Csp.Parallel(Net.Processes.Succ(a.Reader(), b.Writer()).Replicate(2), sum, count, Net.Processes.Idle());
                }
            }
            """);

        Snapshot.Verify(result);
    }

    [Fact]
    public void Ends_that_may_be_null_and_collections_of_them()
    {
        // A process given no quit channel, say: the generated class collects, forks and marshals what is there, and
        // compiles with no nullability warning (CS8601, CS8631 before).
        GeneratorRunResult result = Run("""
            using System.Collections.Generic;
            using System.Threading.Tasks;
            using ParallelKit;

            namespace Demo;

            /// <summary>Processes whose ends may be missing.</summary>
            public static partial class Optional
            {
                /// <summary>Reads one value unless told to quit.</summary>
                [CspProcess]
                public static async Task<int> Until(
                    ChannelIn<int> data, ChannelIn<int>? quit, ChannelOut<int>? log, ChannelIn<int>[]? more, ChannelOut<int>?[] echoes, List<ChannelOut<int>>? taps)
                    => quit is null ? await data.ReadAsync() : 0;
            }

            internal static class Usage
            {
                public static Task<object?[]> Use()
                {
                    var data = CspChannel.Create<int>();
                    return Csp.Parallel(Optional.Processes.Until(data.Reader(), null, null, null, [null], null).Replicate(2));
                }
            }
            """);

        Snapshot.Verify(result);
    }

    private static GeneratorRunResult Run(params string[] sources)
        => GeneratorHarness.RunAndCompile(TestCompilations.Library(sources), new CspProcessGenerator(), out _);
}
