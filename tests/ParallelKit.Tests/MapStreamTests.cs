using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>
/// Results as they come (Python's <c>imap</c>, <c>imap_unordered</c>, <c>as_completed</c>): <see cref="JobServer.MapStreamAsync{TItem, TResult}(IEnumerable{TItem}, Func{TItem, JobCall{TResult}}, CancellationToken)"/>
/// and <see cref="JobServer.MapUnorderedAsync{TItem, TResult}(IEnumerable{TItem}, Func{TItem, JobCall{TResult}}, CancellationToken)"/>,
/// on threads and on worker processes.
/// </summary>
public sealed class MapStreamTests
{
    private static JobServerOptions Options(JobBackend backend, int readAhead = 0) => new() { Backend = backend, Workers = 2, MapReadAhead = readAhead };

    [Theory]
    [InlineData(JobBackend.Threads)]
    [InlineData(JobBackend.Processes)]
    public async Task The_ordered_stream_yields_every_result_in_item_order(JobBackend backend)
    {
        await using var server = JobServer.Start(Options(backend));
        var results = new List<int>();
        await foreach (int result in server.MapStreamAsync(Enumerable.Range(0, 5000), i => TestJobs.Jobs.Increment(i)))
        {
            results.Add(result);
        }

        Assert.Equal(Enumerable.Range(1, 5000), results);
    }

    [Theory]
    [InlineData(JobBackend.Threads)]
    [InlineData(JobBackend.Processes)]
    public async Task The_unordered_stream_yields_every_result_once_with_its_index(JobBackend backend)
    {
        await using var server = JobServer.Start(Options(backend));
        var seen = new Dictionary<long, int>();
        await foreach (MapResult<int> result in server.MapUnorderedAsync(Enumerable.Range(0, 5000), i => TestJobs.Jobs.Increment(i)))
        {
            seen.Add(result.Index, result.Result);
        }

        Assert.Equal(5000, seen.Count);
        Assert.All(seen, pair => Assert.Equal(pair.Key + 1, pair.Value));
    }

    [Theory]
    [InlineData(JobBackend.Threads)]
    [InlineData(JobBackend.Processes)]
    public async Task The_ordered_stream_yields_a_result_while_a_later_item_still_runs_and_leaving_the_loop_cancels_it(JobBackend backend)
    {
        await using var server = JobServer.Start(Options(backend));
        await server.WaitForConnectedWorkersAsync(2);

        // Item 1 runs until it is cancelled: a map that waited for all its results would never yield item 0's.
        using var started = new ProcessEvent();
        int? first = null;
        await foreach (int result in server.MapStreamAsync([0, 1], i => i == 0 ? TestJobs.Jobs.Increment(41) : StreamJobs.Jobs.SignalThenWaitForCancellationAsync(started)).WithCancellation(Deadline()))
        {
            first = result;
            Assert.True(await started.WaitAsync(TimeSpan.FromSeconds(120)), "item 1 did not start within 120 s");
            break;
        }

        Assert.Equal(42, first);

        // Leaving the loop cancelled the running job through its token: it ended cancelled, nobody was killed.
        await WaitUntilAsync(() => server.Stats.TotalCanceled == 1);
        Assert.Equal(0, server.Stats.WorkerRestarts);
        Assert.Equal(8, await server.Submit(TestJobs.Jobs.Increment(7)).Completion.WaitAsync(TimeSpan.FromSeconds(120)));
    }

    [Theory]
    [InlineData(JobBackend.Threads)]
    [InlineData(JobBackend.Processes)]
    public async Task The_unordered_stream_yields_results_as_they_complete_with_their_indexes(JobBackend backend)
    {
        await using var server = JobServer.Start(Options(backend));
        await server.WaitForConnectedWorkersAsync(2);

        // Item 0 runs until it is cancelled; items 1 and 2 come back past it.
        using var started = new ProcessEvent();
        var seen = new List<MapResult<int>>();
        await foreach (MapResult<int> result in server.MapUnorderedAsync([0, 1, 2], i => i == 0 ? StreamJobs.Jobs.SignalThenWaitForCancellationAsync(started) : TestJobs.Jobs.Increment(i * 10)).WithCancellation(Deadline()))
        {
            seen.Add(result);
            if (seen.Count == 2)
            {
                Assert.True(await started.WaitAsync(TimeSpan.FromSeconds(120)), "item 0 did not start within 120 s");
                break;
            }
        }

        Assert.Equal([new MapResult<int>(1, 11), new MapResult<int>(2, 21)], seen.OrderBy(r => r.Index));
        await WaitUntilAsync(() => server.Stats.TotalCanceled == 1);
        Assert.Equal(0, server.Stats.WorkerRestarts);
    }

    [Theory]
    [InlineData(JobBackend.Threads)]
    [InlineData(JobBackend.Processes)]
    public async Task A_lazy_input_of_ten_million_items_is_read_only_a_bounded_way_ahead_and_released_on_break(JobBackend backend)
    {
        const int ReadAhead = 64;
        await using var server = JobServer.Start(Options(backend, ReadAhead));
        var input = new CountingSequence(10_000_000);
        int taken = 0;
        await foreach (int result in server.MapStreamAsync(input, i => TestJobs.Jobs.Increment(i)).WithCancellation(Deadline()))
        {
            Assert.Equal(taken + 1, result);
            taken++;

            // Taken results free room one by one; the input is never read further ahead than that.
            Assert.True(input.Pulled <= taken + ReadAhead, $"{input.Pulled} items read after {taken} results (read-ahead {ReadAhead})");
            if (taken == 500)
            {
                break;
            }
        }

        await WaitUntilAsync(() => input.Disposed);
        Assert.True(input.Pulled <= 500 + ReadAhead, $"{input.Pulled} items read");
    }

    [Theory]
    [InlineData(JobBackend.Threads)]
    [InlineData(JobBackend.Processes)]
    public async Task A_failing_job_ends_the_stream_with_its_error_after_the_results_before_it(JobBackend backend)
    {
        await using var server = JobServer.Start(Options(backend));
        var results = new List<int>();
        JobFailedException error = await Assert.ThrowsAsync<JobFailedException>(async () =>
        {
            await foreach (int result in server.MapStreamAsync(Enumerable.Range(0, 200), i => i == 150 ? TestJobs.Jobs.Throw("item 150") : TestJobs.Jobs.Increment(i)).WithCancellation(Deadline()))
            {
                results.Add(result);
            }
        });

        Assert.Contains("item 150", error.Message, StringComparison.Ordinal);
        Assert.True(results.Count <= 150);
        Assert.Equal(Enumerable.Range(1, results.Count), results);
    }

    [Fact]
    public async Task A_throwing_input_ends_the_stream_with_its_exception()
    {
        await using var server = JobServer.Start(Options(JobBackend.Threads));
        IEnumerable<int> Input()
        {
            yield return 1;
            throw new InvalidOperationException("the input broke");
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (MapResult<int> unused in server.MapUnorderedAsync(Input(), i => TestJobs.Jobs.Increment(i)).WithCancellation(Deadline()))
            {
                Assert.Equal(2, unused.Result);
            }
        });
        Assert.Equal("the input broke", error.Message);
    }

    [Fact]
    public async Task A_cancelled_token_ends_the_stream_with_OperationCanceledException()
    {
        await using var server = JobServer.Start(Options(JobBackend.Processes));
        using var cancel = new CancellationTokenSource();
        int seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (int unused in server.MapStreamAsync(Enumerable.Range(0, 1_000_000), i => TestJobs.Jobs.Increment(i), cancel.Token))
            {
                if (++seen == 10)
                {
                    await cancel.CancelAsync();
                }
            }
        });
        Assert.True(seen >= 10);

        // The server goes on.
        Assert.Equal(2, await server.Submit(TestJobs.Jobs.Increment(1)).Completion.WaitAsync(TimeSpan.FromSeconds(120)));
    }

    [Fact]
    public async Task The_input_is_not_read_before_the_enumeration_starts()
    {
        await using var server = JobServer.Start(Options(JobBackend.Threads));
        var input = new CountingSequence(10);
        IAsyncEnumerable<int> stream = server.MapStreamAsync(input, i => TestJobs.Jobs.Increment(i));
        Assert.Equal(0, input.Pulled);
        Assert.Equal(Enumerable.Range(1, 10), await stream.ToListAsync());
        Assert.Equal(10, input.Pulled);
    }

    private static CancellationToken Deadline() => new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token;

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(120);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.True(condition(), "not reached within 120 s");
    }

    /// <summary>0, 1, 2, … produced on demand, counting how many were read and whether the enumerator was disposed.</summary>
    private sealed class CountingSequence(int count) : IEnumerable<int>
    {
        private int _pulled;
        private int _disposed;

        public int Pulled => Volatile.Read(ref _pulled);

        public bool Disposed => Volatile.Read(ref _disposed) != 0;

        public IEnumerator<int> GetEnumerator()
        {
            try
            {
                for (int i = 0; i < count; i++)
                {
                    Interlocked.Increment(ref _pulled);
                    yield return i;
                }
            }
            finally
            {
                Volatile.Write(ref _disposed, 1);
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
