using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>ProcessPipe across processes: both directions, end of stream, peer death.</summary>
public sealed class PipeTests
{
    [Fact]
    public async Task Messages_go_both_ways_with_a_child_process()
    {
        var (parent, child) = ProcessPipe.Create<int>();
        using (parent)
        {
            using var process = ParallelProcess.Start(PipeJobs.Jobs.EchoDoubled(child));
            child.Dispose(); // the child holds its own copy
            for (int i = 1; i <= 1000; i++)
            {
                parent.Send(i);
                Assert.Equal(2 * i, parent.Receive(TimeSpan.FromSeconds(60)));
            }

            parent.Send(0);
            await process.JoinAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(0, process.ExitCode);

            // The child closed its end: the stream has ended.
            Assert.Throws<EndOfStreamException>(() => parent.Receive(TimeSpan.FromSeconds(30)));
            Assert.Throws<IOException>(() => parent.Send(1));
        }
    }

    [Fact]
    public async Task A_peer_that_dies_ends_the_stream_after_what_it_sent()
    {
        var (parent, child) = ProcessPipe.Create<string>();
        using (parent)
        {
            using (var process = ParallelProcess.Start(PipeJobs.Jobs.SendThenDie(child, 50)))
            {
                child.Dispose();
                await process.JoinAsync().WaitAsync(TimeSpan.FromSeconds(60));
                Assert.NotEqual(0, process.ExitCode);
            }

            Assert.Equal(Enumerable.Range(0, 50).Select(i => $"message {i}"), Enumerable.Range(0, 50).Select(_ => parent.Receive(TimeSpan.FromSeconds(30))));
            var ended = Task.Run(() => Assert.Throws<EndOfStreamException>(() => parent.Receive()));
            await ended.WaitAsync(TimeSpan.FromSeconds(30));

            // The peer died holding its end: sending to it is a broken pipe, as in Python.
            Assert.Throws<IOException>(() => parent.Send("nobody will read this"));
        }
    }

    [Fact]
    public void A_sender_killed_mid_stream_leaves_the_receiver_what_it_sent_then_the_end_of_the_stream()
    {
        var (parent, child) = ProcessPipe.Create<int>();
        using (parent)
        {
            var received = new System.Collections.Generic.List<int>();
            using (var process = ParallelProcess.Start(PipeJobs.Jobs.SendForever(child)))
            {
                child.Dispose();
                for (int i = 0; i < 50_000; i++)
                {
                    received.Add(parent.Receive(TimeSpan.FromSeconds(60)));
                }

                process.Kill();
                Assert.True(process.Join(TimeSpan.FromSeconds(30)));
            }

            void ReceiveAll()
            {
                while (true)
                {
                    received.Add(parent.Receive(TimeSpan.FromSeconds(60)));
                }
            }

            Assert.Throws<EndOfStreamException>(ReceiveAll);
            Assert.Equal(Enumerable.Range(0, received.Count), received);
        }
    }

    [Fact]
    public async Task Messages_sent_before_the_creator_disposed_both_ends_still_arrive()
    {
        var (parent, child) = ProcessPipe.Create<string>();
        await using var server = JobServer.Start(new JobServerOptions { Workers = 1 });
        Job<string> reader = server.Submit(PipeJobs.Jobs.ReadLate(child));
        parent.Send("one");
        parent.Send("two");
        child.Dispose();
        parent.Dispose(); // the creator lets go of both ends before the worker has even opened its own
        Assert.Equal("one, two, end of stream", await reader.Completion.WaitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task Async_receive_and_threads_in_one_process()
    {
        var (a, b) = ProcessPipe.Create<string>();
        using (a)
        {
            Task<string> receiving = a.ReceiveAsync().AsTask();
            await b.SendAsync("over");
            Assert.Equal("over", await receiving.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.False(a.TryReceive(out _));
            Assert.Throws<TimeoutException>(() => a.Receive(TimeSpan.FromMilliseconds(50)));
            b.Dispose();
            await Assert.ThrowsAsync<EndOfStreamException>(async () => await a.ReceiveAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        }
    }
}
