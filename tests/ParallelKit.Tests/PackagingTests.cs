using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>
/// How users meet ParallelKit: <c>dotnet pack</c>, then a fresh console project that only adds
/// <c>&lt;PackageReference Include="ParallelKit" /&gt;</c> from that folder builds and runs a job in a worker process.
/// </summary>
public sealed class PackagingTests
{
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
            <PackageReference Include="ParallelKit" Version="0.1.0" />
          </ItemGroup>
        </Project>
        """;

    private const string ConsumerProgram = """
        using ParallelKit;

        await using var server = JobServer.Start(new JobServerOptions { Workers = 2 });
        var job = server.Submit(Consumer.Work.Jobs.Square(12));
        int result = await job;
        int pid = await server.Submit(Consumer.Work.Jobs.Pid());
        int total = 0;
        Parallel.For(0, 10, i => Interlocked.Add(ref total, i));
        Console.WriteLine($"square={result} other-process={pid != Environment.ProcessId} parallel-for={total}");

        // Shared memory, a queue and a lock, passed to a worker by handle.
        using var counter = new Consumer.Counter();
        using var queue = new ProcessQueue<string>();
        using var printLock = new ProcessLock();
        await server.Submit(Consumer.Work.Jobs.Bump(counter, queue, printLock, 1000));
        using (counter.Lock())
        {
            counter.Count++;
        }

        Console.WriteLine($"shared={counter.Count} queued={queue.Get(TimeSpan.FromSeconds(30))}");

        namespace Consumer
        {
            public static partial class Work
            {
                [ParallelJob]
                public static int Square(int x) => x * x;

                [ParallelJob]
                public static int Pid() => Environment.ProcessId;

                [ParallelJob]
                public static void Bump(Counter counter, ProcessQueue<string> queue, ProcessLock printLock, int times)
                {
                    for (int i = 0; i < times; i++)
                    {
                        counter.IncrementCount();
                    }

                    using (printLock.Acquire())
                    {
                        queue.Put("from-worker");
                    }
                }
            }

            public partial class Counter
            {
                [SharedValue]
                public partial int Count { get; set; }
            }
        }
        """;

    [Fact]
    public void A_fresh_project_restoring_the_package_builds_and_runs_a_job_in_a_worker()
    {
        string repo = FindRepositoryRoot();
        string work = Directory.CreateTempSubdirectory("parallelkit-pack-").FullName;
        try
        {
            string feed = Path.Combine(work, "feed");
            Run("dotnet", $"pack \"{Path.Combine(repo, "Runtime", "ParallelKit", "ParallelKit.csproj")}\" -c Release -o \"{feed}\"", repo);
            string package = Assert.Single(Directory.GetFiles(feed, "ParallelKit.*.nupkg"));
            using (var zip = System.IO.Compression.ZipFile.OpenRead(package))
            {
                string[] entries = [.. zip.Entries.Select(e => e.FullName)];
                Assert.Contains("analyzers/dotnet/cs/ParallelKit.Generators.dll", entries);
                Assert.Contains("analyzers/dotnet/cs/ParallelKit.Analyzers.dll", entries);
                Assert.Contains("lib/net10.0/ParallelKit.dll", entries);
                // lib/ holds the portable IL assembly; on linux-x64, the host takes the precompiled (ReadyToRun) one.
                Assert.False(IsReadyToRun(zip, "lib/net10.0/ParallelKit.dll"), "lib/net10.0/ParallelKit.dll must stay portable");
                if (System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier == "linux-x64")
                {
                    Assert.True(IsReadyToRun(zip, "runtimes/linux-x64/lib/net10.0/ParallelKit.dll"), "the linux-x64 ParallelKit.dll is not ReadyToRun");
                }
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
            if (System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier == "linux-x64")
            {
                Assert.True(File.Exists(Path.Combine(app, "bin", "Release", "net10.0", "runtimes", "linux-x64", "lib", "net10.0", "ParallelKit.dll")), "the app did not get the linux-x64 ParallelKit.dll");
            }

            string output = Run("dotnet", "bin/Release/net10.0/Consumer.dll", app);
            Assert.Contains("square=144 other-process=True parallel-for=45", output, StringComparison.Ordinal);
            Assert.Contains("shared=1001 queued=from-worker", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static bool IsReadyToRun(System.IO.Compression.ZipArchive zip, string entryName)
    {
        System.IO.Compression.ZipArchiveEntry entry = zip.GetEntry(entryName) ?? throw new InvalidOperationException($"{entryName} is not in the package");
        using var image = new MemoryStream();
        using (Stream stream = entry.Open())
        {
            stream.CopyTo(image);
        }

        image.Position = 0;
        using var pe = new System.Reflection.PortableExecutable.PEReader(image);
        return pe.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0;
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
            Assert.True(process.ExitCode == 0, $"'{file} {arguments}' exited with {process.ExitCode}:\n{output}");
            return output.ToString();
        }
    }
}
