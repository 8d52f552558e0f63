using System;

namespace ParallelKit.Tests.JobLibrary;

/// <summary>Jobs declared in a library rather than in the executable.</summary>
public static partial class LibraryJobs
{
    /// <summary>Multiplies, and says which process did it.</summary>
    /// <param name="a">The first factor.</param>
    /// <param name="b">The second factor.</param>
    /// <returns>The product and the process id.</returns>
    [ParallelJob]
    public static (long Product, int ProcessId) Multiply(long a, long b) => (a * b, Environment.ProcessId);
}
