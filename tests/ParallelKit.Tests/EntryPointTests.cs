using System;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>The worker entrypoint: present in executables with the generator, and a clear error without it.</summary>
public sealed class EntryPointTests
{
    [Fact]
    public void An_executable_without_the_generated_entrypoint_gets_an_error_that_says_what_to_add()
    {
        (int exitCode, string output, _) = BuiltApps.Run("tests", "ParallelKit.Tests.NoEntryPoint");

        Assert.Equal(0, exitCode);
        Assert.Contains("has no ParallelKit worker entrypoint", output, StringComparison.Ordinal);
        Assert.Contains("<PackageReference Include=\"ParallelKit\" />", output, StringComparison.Ordinal);
        Assert.Contains("JobBackend.Threads", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_test_executable_itself_is_not_a_worker()
    {
        Assert.False(WorkerHost.IsWorker);
        Assert.Equal(-1, WorkerHost.WorkerId);
    }
}
