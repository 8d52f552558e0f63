using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>ParallelKit must never hide System.Threading.Tasks.Parallel (no public 'Parallel' namespace).</summary>
public sealed class CoexistenceTests
{
    [Fact]
    public void Parallel_For_still_resolves_beside_ParallelKit()
    {
        int sum = 0;
        Parallel.For(0, 100, i => Interlocked.Add(ref sum, i));
        Assert.Equal(4950, sum);
    }

    [Fact]
    public void No_public_type_lives_in_a_Parallel_namespace()
    {
        foreach (System.Type type in typeof(JobServer).Assembly.GetExportedTypes())
        {
            string ns = type.Namespace ?? string.Empty;
            Assert.False(ns == "Parallel" || ns.StartsWith("Parallel.", System.StringComparison.Ordinal), $"{type.FullName} would hide System.Threading.Tasks.Parallel");
        }
    }
}
