using System;
using ParallelKit;

namespace LockSample;

/// <summary>The target each process runs.</summary>
public static partial class LockJobs
{
    /// <summary>Prints one line holding the lock: the lock crosses into the process by handle.</summary>
    [ParallelJob]
    public static void F(ProcessLock l, int i)
    {
        l.Acquire();
        try
        {
            Console.WriteLine($"hello world {i}");
        }
        finally
        {
            l.Release();
        }
    }
}
