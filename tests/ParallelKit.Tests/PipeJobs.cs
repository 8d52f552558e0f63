using System;

namespace ParallelKit.Tests;

/// <summary>Jobs at the other end of a pipe.</summary>
public static partial class PipeJobs
{
    /// <summary>Echoes each message back doubled until it receives 0; then closes its end.</summary>
    [ParallelJob]
    public static int EchoDoubled(PipeEnd<int> end)
    {
        using (end)
        {
            int echoed = 0;
            while (true)
            {
                int message = end.Receive(TimeSpan.FromSeconds(60));
                if (message == 0)
                {
                    return echoed;
                }

                end.Send(message * 2);
                echoed++;
            }
        }
    }

    /// <summary>Sends <paramref name="count"/> messages, then dies without closing its end.</summary>
    [ParallelJob(Retry = false)]
    public static void SendThenDie(PipeEnd<string> end, int count)
    {
        for (int i = 0; i < count; i++)
        {
            end.Send($"message {i}");
        }

        Environment.FailFast("a pipe peer killed (expected by the test)");
    }

    /// <summary>Sends 0, 1, 2, … for as long as it lives (the test kills it).</summary>
    [ParallelJob(Retry = false)]
    public static void SendForever(PipeEnd<int> end)
    {
        for (int i = 0; ; i++)
        {
            end.Send(i);
        }
    }

    /// <summary>Sends one message and closes its end, as the seed example does.</summary>
    [ParallelJob]
    public static void SendAndClose(PipeEnd<string> end, string message)
    {
        end.Send(message);
        end.Dispose();
    }

    /// <summary>Waits a little (the sender is gone by then), reads everything, and reports what it saw.</summary>
    [ParallelJob]
    public static string ReadLate(PipeEnd<string> end)
    {
        System.Threading.Thread.Sleep(500);
        var seen = new System.Collections.Generic.List<string>();
        try
        {
            while (true)
            {
                seen.Add(end.Receive(TimeSpan.FromSeconds(30)));
            }
        }
        catch (System.IO.EndOfStreamException)
        {
            seen.Add("end of stream");
        }

        end.Dispose();
        return string.Join(", ", seen);
    }

    /// <summary>Sends <paramref name="count"/> lines on a one-way pipe, then closes its end.</summary>
    [ParallelJob]
    public static void SendLines(PipeWriteEnd<string> writer, int count)
    {
        using (writer)
        {
            for (int i = 0; i < count; i++)
            {
                writer.Send($"line {i}");
            }
        }
    }
}
