using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using Xunit;

namespace ParallelKit.Gpu.Tests;

/// <summary>
/// How users meet ParallelKit.Gpu: <c>dotnet pack</c>, then a fresh console project that only adds
/// <c>&lt;PackageReference Include="ParallelKit.Gpu" /&gt;</c> builds a kernel's launchers and runs it, and the
/// PK3xxx analyzers run in its build.
/// </summary>
public sealed class PackagingTests
{
    /// <summary>
    /// Its own configuration, without a restore (the solution's build did it): the core's packaging test packs
    /// Runtime/ParallelKit in Release at the same time, and the two must not write the same files.
    /// </summary>
    private const string Configuration = "GpuPack";

    private const string ConsumerProject = """
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <Nullable>enable</Nullable>
            <ImplicitUsings>enable</ImplicitUsings>
            <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
            <WarningsNotAsErrors>NU1603</WarningsNotAsErrors>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="ParallelKit.Gpu" Version="0.1.0" />
          </ItemGroup>
        </Project>
        """;

    private const string ConsumerProgram = """
        using ILGPU;
        using ParallelKit;

        float[] a = [1, 2, 3, 4];
        float[] b = [10, 20, 30, 40];
        float[] dest = new float[4];
        Consumer.Kernels.MultiplyThem(dest, a, b);
        int total = 0;
        Parallel.For(0, 10, i => Interlocked.Add(ref total, i));
        Console.WriteLine($"dest={string.Join(",", dest)} parallel-for={total} on={GpuContext.Kind}");

        namespace Consumer
        {
            public static partial class Kernels
            {
                [GpuKernel]
                public static void MultiplyThem(Index1D i, ArrayView<float> dest, ArrayView<float> a, ArrayView<float> b)
                    => dest[i] = a[i] * b[i];
            }
        }
        """;

    private const string BadKernel = """
        namespace Consumer
        {
            public static partial class Bad
            {
                [ParallelKit.GpuKernel]
                public static void Allocates(ILGPU.Index1D i, ILGPU.ArrayView<float> a) => a[i] = new float[1][0];
            }
        }
        """;

    [Fact]
    public void A_fresh_project_restoring_the_package_builds_and_runs_a_kernel_and_gets_the_kernel_checks()
    {
        string repo = FindRepositoryRoot();
        string work = Directory.CreateTempSubdirectory("parallelkit-gpu-pack-").FullName;
        try
        {
            string feed = Path.Combine(work, "feed");
            foreach (string project in new[] { Path.Combine("Runtime", "ParallelKit", "ParallelKit.csproj"), Path.Combine("Runtime", "ParallelKit.Gpu", "ParallelKit.Gpu.csproj") })
            {
                Run("dotnet", $"pack \"{Path.Combine(repo, project)}\" --no-restore -c {Configuration} -p:Optimize=true -o \"{feed}\"", repo);
            }

            string package = Assert.Single(Directory.GetFiles(feed, "ParallelKit.Gpu.*.nupkg"));
            using (var zip = System.IO.Compression.ZipFile.OpenRead(package))
            {
                string[] entries = [.. zip.Entries.Select(e => e.FullName)];
                Assert.Contains("analyzers/dotnet/cs/ParallelKit.Gpu.Generators.dll", entries);
                Assert.Contains("analyzers/dotnet/cs/ParallelKit.Gpu.Analyzers.dll", entries);
                Assert.Contains("lib/net10.0/ParallelKit.Gpu.dll", entries);
                string nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open()).ReadToEnd();
                Assert.Contains("id=\"ParallelKit\"", nuspec, StringComparison.Ordinal);
                Assert.Contains("id=\"ILGPU\"", nuspec, StringComparison.Ordinal);
            }

            string app = Path.Combine(work, "app");
            Directory.CreateDirectory(app);
            File.WriteAllText(Path.Combine(app, "Consumer.csproj"), ConsumerProject);
            File.WriteAllText(Path.Combine(app, "Program.cs"), ConsumerProgram);
            File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="local" value="{feed}" />
                    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
                  </packageSources>
                </configuration>
                """);

            string packages = Path.Combine(work, "packages");
            Run("dotnet", "build -c Release", app, ("NUGET_PACKAGES", packages));
            string output = Run("dotnet", "bin/Release/net10.0/Consumer.dll", app, (GpuContext.AcceleratorVariable, "cpu"));
            Assert.Contains("dest=10,40,90,160 parallel-for=45 on=Cpu", output, StringComparison.Ordinal);

            File.WriteAllText(Path.Combine(app, "Bad.cs"), BadKernel);
            string failed = Run("dotnet", "build -c Release --no-restore", app, expectSuccess: false, ("NUGET_PACKAGES", packages));
            Assert.Contains("error PK3006", failed, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static string FindRepositoryRoot()
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

    private static string Run(string file, string arguments, string directory, params (string Name, string Value)[] environment)
        => Run(file, arguments, directory, expectSuccess: true, environment);

    private static string Run(string file, string arguments, string directory, bool expectSuccess, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

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
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{file} {arguments}' did not finish in 5 minutes:\n{output}");
        }

        process.WaitForExit();
        lock (output)
        {
            Assert.True((process.ExitCode == 0) == expectSuccess, $"'{file} {arguments}' exited with {process.ExitCode}:\n{output}");
            return output.ToString();
        }
    }
}
