using System;
using System.Diagnostics;
using System.IO;
using System.Text;

namespace ParallelKit.Tests;

/// <summary>Runs the <c>dotnet</c> CLI as a user would, in a folder of its own, with the output captured.</summary>
internal static class DotnetCli
{
    /// <summary>The repository root (the folder holding Parallel.Generators.sln).</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Parallel.Generators.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Parallel.Generators.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>This test project's configuration (Debug or Release), read from its output path.</summary>
    public static string Configuration => new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0

    /// <summary>
    /// A project file for a new console app that uses ParallelKit as the package would: the runtime built beside this
    /// test, and the generator and analyzers as analyzers. <paramref name="extra"/> goes into its property group.
    /// </summary>
    public static string ConsoleProjectUsingThisBuild(string extra = "")
    {
        string repo = RepositoryRoot();
        string analyzers(string project) => Path.Combine(repo, project.Split('.')[1] == "Generators" ? "Generators" : "Analyzers", project, "bin", Configuration, "netstandard2.0", project + ".dll");
        return $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                {extra}
              </PropertyGroup>
              <ItemGroup>
                <Reference Include="{Path.Combine(AppContext.BaseDirectory, "ParallelKit.dll")}" />
                <Reference Include="{Path.Combine(AppContext.BaseDirectory, "MemoryPack.Core.dll")}" />
                <Reference Include="{Path.Combine(AppContext.BaseDirectory, "Microsoft.Extensions.Logging.Abstractions.dll")}" />
                <Analyzer Include="{analyzers("ParallelKit.Generators")}" />
                <Analyzer Include="{analyzers("ParallelKit.Analyzers")}" />
              </ItemGroup>
            </Project>
            """;
    }

    /// <summary>Runs <c>dotnet <paramref name="arguments"/></c> in <paramref name="directory"/>.</summary>
    /// <returns>The exit code, and standard output and error together.</returns>
    public static (int ExitCode, string Output) Run(string arguments, string directory, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo("dotnet", arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // The test host's own settings must not leak into the nested build.
        start.Environment.Remove("MSBuildExtensionsPath");
        start.Environment.Remove("MSBuildSDKsPath");
        start.Environment.Remove("MSBUILD_EXE_PATH");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";

        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'dotnet {arguments}' did not finish in time:\n{output}");
        }

        process.WaitForExit();
        lock (output)
        {
            return (process.ExitCode, output.ToString());
        }
    }
}
