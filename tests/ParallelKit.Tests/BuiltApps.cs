using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>Runs the repository's other executables (built beside this test project) with their output captured.</summary>
internal static class BuiltApps
{
    /// <summary>The built dll of <c>&lt;folder&gt;/&lt;project&gt;</c>, in this test project's configuration.</summary>
    public static string PathOf(string folder, string project)
    {
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0
        string repo = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));
        string app = Path.Combine(repo, folder, project, "bin", configuration, "net10.0", project + ".dll");
        Assert.True(File.Exists(app), $"{app} was not built");
        return app;
    }

    /// <summary>Runs <c>&lt;folder&gt;/&lt;project&gt;</c>'s build output with <c>dotnet</c>.</summary>
    /// <returns>The exit code, standard output and standard error.</returns>
    public static (int ExitCode, string Output, string Error) Run(string folder, string project, params string[] arguments)
        => RunWith(null, folder, project, arguments);

    /// <summary>Runs <c>&lt;folder&gt;/&lt;project&gt;</c>'s build output with <c>dotnet</c>, with extra environment variables.</summary>
    /// <returns>The exit code, standard output and standard error.</returns>
    public static (int ExitCode, string Output, string Error) RunWith(
        System.Collections.Generic.IReadOnlyDictionary<string, string>? environment, string folder, string project, params string[] arguments)
    {
        string app = PathOf(folder, project);

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach ((string name, string value) in environment ?? new System.Collections.Generic.Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        start.ArgumentList.Add(app);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{project} did not finish in 2 minutes");
        }

        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }
}
