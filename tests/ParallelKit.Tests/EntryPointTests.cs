using System;
using System.Diagnostics;
using System.IO;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>The worker entrypoint: present in executables with the generator, and a clear error without it.</summary>
public sealed class EntryPointTests
{
    [Fact]
    public void An_executable_without_the_generated_entrypoint_gets_an_error_that_says_what_to_add()
    {
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0
        string app = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..",
            "ParallelKit.Tests.NoEntryPoint", "bin", configuration, "net10.0", "ParallelKit.Tests.NoEntryPoint.dll"));
        Assert.True(File.Exists(app), $"{app} was not built");

        var start = new ProcessStartInfo("dotnet", $"\"{app}\"") { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)));

        Assert.Equal(0, process.ExitCode);
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
