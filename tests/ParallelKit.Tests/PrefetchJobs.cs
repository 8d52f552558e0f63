using System;

namespace ParallelKit.Tests;

/// <summary>Jobs for the tests of a second batch sent behind a running one (<see cref="PrefetchTests"/>).</summary>
public static partial class PrefetchJobs
{
    /// <summary>Sets <paramref name="started"/>, then waits for <paramref name="release"/> up to <paramref name="seconds"/>; returns its process id.</summary>
    [ParallelJob]
    public static int Hold(ProcessEvent started, ProcessEvent release, int seconds)
    {
        started.Set();
        release.Wait(TimeSpan.FromSeconds(seconds));
        return Environment.ProcessId;
    }

    /// <summary>Waits for <paramref name="release"/> up to <paramref name="seconds"/> (a job of another kind than <see cref="Hold"/>).</summary>
    [ParallelJob]
    public static int Block(ProcessEvent release, int seconds)
    {
        release.Wait(TimeSpan.FromSeconds(seconds));
        return Environment.ProcessId;
    }
}
