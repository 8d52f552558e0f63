using System;
using System.Threading;
using System.Threading.Tasks;

namespace ParallelKit.Tests;

/// <summary>Jobs for the streaming map and progress tests.</summary>
public static partial class StreamJobs
{
    /// <summary>Sets <paramref name="started"/>, then runs until its token is cancelled.</summary>
    [ParallelJob]
    public static async Task<int> SignalThenWaitForCancellationAsync(ProcessEvent started, CancellationToken cancellationToken)
    {
        started.Set();
        await Task.Delay(TimeSpan.FromMinutes(10), cancellationToken);
        return -1;
    }

    /// <summary>Sleeps about a millisecond and returns <paramref name="x"/>.</summary>
    [ParallelJob]
    public static int Millisecond(int x)
    {
        Thread.Sleep(1);
        return x;
    }
}
