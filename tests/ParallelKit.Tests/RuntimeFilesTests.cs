using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>The .NET runtime's debugger and diagnostics files of processes ParallelKit started (issue 11, item 9).</summary>
public sealed class RuntimeFilesTests
{
    [Fact]
    public void Workers_processes_and_spares_leave_no_runtime_files_in_the_temp_directory()
    {
        string temp = Directory.CreateTempSubdirectory("parallelkit-tmpdir-test-").FullName;
        try
        {
            // The console app runs a two-worker server, then two ParallelProcesses (a warm spare starts meanwhile
            // and is killed at exit), all with this temp directory.
            (int exitCode, string output, string error) = BuiltApps.RunWith(
                new Dictionary<string, string> { ["TMPDIR"] = temp + "/" }, "tests", "ParallelKit.Tests.ConsoleApp");
            Assert.True(exitCode == 0, $"exit code {exitCode}: {output} {error}");

            string[] left = [.. Directory.EnumerateFileSystemEntries(temp)
                .Select(Path.GetFileName)
                .Where(name => name!.StartsWith("clr-debug-pipe-", StringComparison.Ordinal) || name.StartsWith("dotnet-diagnostic-", StringComparison.Ordinal))
                .Select(name => name!)];
            Assert.True(left.Length == 0, "left behind: " + string.Join(", ", left));
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }
}
