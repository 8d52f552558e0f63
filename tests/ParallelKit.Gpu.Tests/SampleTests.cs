using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Gpu.Tests;

/// <summary>Runs Samples/MultiplyThem, PyCUDA's seed example, as a user would.</summary>
public sealed class SampleTests
{
    public static IEnumerable<TheoryDataRow<GpuAcceleratorKind>> Kinds => KernelTests.Rows(GpuAcceleratorKind.Cpu, GpuAcceleratorKind.Emulator, GpuAcceleratorKind.OpenCL);

    [Theory]
    [MemberData(nameof(Kinds))]
    public void MultiplyThem_prints_four_hundred_zeros_then_agrees_on_the_device(GpuAcceleratorKind kind)
    {
        string accelerator = GpuContext.Name(kind);
        string? why = GpuContext.WhyUnavailable(kind);
        if (why is not null)
        {
            Assert.Skip($"{accelerator}: {why}");
        }

        (int exitCode, string output, string error) = Run(accelerator);

        Assert.True(exitCode == 0, $"exit code {exitCode}\n{output}\n{error}");
        string[] lines = output.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        string printed = string.Join(" ", lines.TakeWhile(static l => !l.StartsWith("device-resident", StringComparison.Ordinal)));
        string[] values = printed.Trim().TrimStart('[').TrimEnd(']').Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(400, values.Length);
        Assert.All(values, static v => Assert.Equal("0.", v));
        Assert.Contains(lines, static l => l.StartsWith("device-resident: 11 launches", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("accelerator: " + accelerator, StringComparison.Ordinal));
    }

    private static (int ExitCode, string Output, string Error) Run(string accelerator)
    {
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0
        string repo = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));
        string app = Path.Combine(repo, "Samples", "MultiplyThem", "bin", configuration, "net10.0", "MultiplyThem.dll");
        Assert.True(File.Exists(app), $"{app} was not built");

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(app);
        start.Environment[GpuContext.AcceleratorVariable] = accelerator;
        using var process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("MultiplyThem did not finish in 2 minutes");
        }

        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }
}
