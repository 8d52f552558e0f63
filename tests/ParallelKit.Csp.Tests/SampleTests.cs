using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.CspTests;

/// <summary>Samples/Csp end to end: each of PyCSP's classic networks, run as the built sample.</summary>
public sealed class SampleTests
{
    [Theory]
    [InlineData("producer-consumer", "producer-consumer: sum 500500")]
    [InlineData("pipeline", "pipeline: sum of squares 1015")]
    [InlineData("sieve", "sieve: 168 primes up to 1000, the last 997")]
    [InlineData("philosophers", "philosophers: 5 ate 200 meals each, at most 4 seated at once, no deadlock")]
    [InlineData("os-processes", "os-processes: sum 5250 through two OS processes (each its own)")]
    [InlineData("kill", "kill: CspSample.Networks.ReportingSuccessor died (signal 9); its channels were poisoned and the network ended")]
    public async Task The_sample_network_runs_to_its_known_result(string network, string expected)
    {
        (int exitCode, string output, string error) = await RunSampleAsync(network);

        Assert.True(exitCode == 0, $"exit code {exitCode}\n{output}\n{error}");
        Assert.Equal(expected, output.Trim());
    }

    [Fact]
    public async Task CommsTime_runs_its_cycles_and_reports_a_time_per_communication()
    {
        (int exitCode, string output, string error) = await RunSampleAsync("commstime");

        Assert.True(exitCode == 0, $"exit code {exitCode}\n{output}\n{error}");
        Assert.StartsWith("commstime: 20000 cycles, ", output.Trim(), StringComparison.Ordinal);
        Assert.EndsWith(" µs per communication", output.Trim(), StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunSampleAsync(params string[] arguments)
    {
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0
        string repo = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));
        string app = Path.Combine(repo, "Samples", "Csp", "bin", configuration, "net10.0", "Csp.dll");
        Assert.True(File.Exists(app), $"{app} was not built");

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(app);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        Task<string> error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"Samples/Csp {string.Join(' ', arguments)} did not finish in 2 minutes:\n{await output}\n{await error}");
        }

        return (process.ExitCode, await output, await error);
    }
}
