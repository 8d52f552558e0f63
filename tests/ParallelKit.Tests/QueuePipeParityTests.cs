using System;
using System.IO;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>Python's JoinableQueue, Connection.poll and Pipe(duplex=False).</summary>
public sealed class QueuePipeParityTests
{
    [Fact]
    public async Task Join_returns_once_consumers_in_other_processes_have_marked_every_item_done()
    {
        using var queue = new JoinableProcessQueue<int>();
        using var sum = new SharedValue<long>(0);
        Assert.True(queue.Join(TimeSpan.Zero)); // nothing put: nothing to wait for
        for (int i = 1; i <= 100; i++)
        {
            queue.Put(i);
        }

        Assert.Equal(100, queue.UnfinishedTasks);
        Assert.False(queue.Join(TimeSpan.FromMilliseconds(50))); // no consumer yet
        using var a = ParallelProcess.Start(QueueJobs.Jobs.ConsumeAndMarkDone(queue, sum));
        using var b = ParallelProcess.Start(QueueJobs.Jobs.ConsumeAndMarkDone(queue, sum));
        await queue.JoinAsync().WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(queue.Join(TimeSpan.Zero));
        Assert.Equal(5050, sum.Value); // every item handled before Join returned
        Assert.Equal(0, queue.UnfinishedTasks);

        queue.Put(-1);
        queue.Put(-1);
        Assert.True(a.Join(TimeSpan.FromSeconds(60)));
        Assert.True(b.Join(TimeSpan.FromSeconds(60)));
        Assert.Equal(0, a.ExitCode);
        Assert.Equal(0, b.ExitCode);
        queue.Join();
        Assert.Throws<InvalidOperationException>(() => queue.TaskDone());
    }

    [Fact]
    public void Poll_says_whether_a_message_waits_without_taking_it()
    {
        var (a, b) = ProcessPipe.Create<int>();
        using (a)
        {
            Assert.False(a.Poll());
            Assert.False(a.Poll(TimeSpan.FromMilliseconds(50)));
            b.Send(5);
            Assert.True(a.Poll());
            Assert.True(a.Poll(TimeSpan.FromSeconds(1))); // still there: Poll takes nothing
            Assert.Equal(5, a.Receive());
            Assert.False(a.Poll());
            b.Dispose();
            Assert.True(a.Poll()); // the end of the stream: Receive would not wait
            Assert.Throws<EndOfStreamException>(() => a.Receive());
        }
    }

    [Fact]
    public void A_one_way_pipe_carries_messages_from_its_writer_in_another_process_to_its_reader()
    {
        var (reader, writer) = ProcessPipe.CreateOneWay<string>();
        using (reader)
        {
            using (var child = ParallelProcess.Start(PipeJobs.Jobs.SendLines(writer, 3)))
            {
                writer.Dispose(); // the child holds its own copy
                Assert.True(reader.Poll(TimeSpan.FromSeconds(60)));
                Assert.Equal("line 0", reader.Receive(TimeSpan.FromSeconds(60)));
                Assert.Equal("line 1", reader.Receive(TimeSpan.FromSeconds(60)));
                Assert.Equal("line 2", reader.Receive(TimeSpan.FromSeconds(60)));
                Assert.True(child.Join(TimeSpan.FromSeconds(60)));
            }

            Assert.Throws<EndOfStreamException>(() => reader.Receive(TimeSpan.FromSeconds(60)));
        }
    }
}
