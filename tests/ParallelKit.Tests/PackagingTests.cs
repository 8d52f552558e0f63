using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text;
using System.Text.RegularExpressions;
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
        using Consumer; // the generated manager extensions live beside the managed type
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

        // Results as they come (Python's imap and imap_unordered), and a user type living in a manager process.
        long ordered = 0;
        int index = 0;
        await foreach (int square in server.MapStreamAsync(Enumerable.Range(0, 100), i => Consumer.Work.Jobs.Square(i)))
        {
            ordered += square == index * index ? 1 : 0;
            index++;
        }

        long unorderedSum = 0;
        await foreach (MapResult<int> item in server.MapUnorderedAsync(Enumerable.Range(0, 100), i => Consumer.Work.Jobs.Square(i)))
        {
            unorderedSum += item.Result == item.Index * item.Index ? item.Index : -1_000_000;
        }

        using var manager = ProcessManager.Start();
        ManagedProxy<Consumer.Tally> tally = manager.Tally(10);
        await server.Submit(Consumer.Work.Jobs.AddTo(tally, 5));
        Console.WriteLine($"streamed={ordered} unordered={unorderedSum} managed={tally.Add(1)}");

        namespace Consumer
        {
            public static partial class Work
            {
                [ParallelJob]
                public static int Square(int x) => x * x;

                [ParallelJob]
                public static int Pid() => Environment.ProcessId;

                [ParallelJob]
                public static int AddTo(ManagedProxy<Tally> tally, int amount) => tally.Add(amount);

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

            [ManagedType]
            public partial class Tally(int start)
            {
                private int _total = start;

                public int Add(int amount) => _total += amount;
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
            // As CI setups often write it: NUGET_PACKAGES without a trailing slash.
            string feed = Path.Combine(work, "feed");
            string package = Pack(repo, feed, PackagesRoot().TrimEnd('/'));
            AssertPackageLayout(package);

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
            Assert.Contains("streamed=100 unordered=4950 managed=16", output, StringComparison.Ordinal);

            // The README's "Get started", as a newcomer follows it: a new console app, the package added, the README's
            // code block as Program.cs. It builds at the first try (warnings as errors) and runs.
            string readme = File.ReadAllText(Path.Combine(repo, "README.md"));
            Match getStarted = Regex.Match(readme, @"## Get started.*?```sh\n(?<commands>.*?)```.*?```csharp\n(?<program>.*?)```", RegexOptions.Singleline);
            Assert.True(getStarted.Success, "README.md has no '## Get started' with a sh block then a csharp block");
            Assert.Contains("dotnet add package ParallelKit", getStarted.Groups["commands"].Value, StringComparison.Ordinal);
            Run("dotnet", "new console -n PrimeCounter", work);
            string newcomer = Path.Combine(work, "PrimeCounter");
            File.Copy(Path.Combine(app, "nuget.config"), Path.Combine(newcomer, "nuget.config"));
            Run("dotnet", "add package ParallelKit --version 0.1.0", newcomer, ("NUGET_PACKAGES", packages));
            File.WriteAllText(Path.Combine(newcomer, "Program.cs"), getStarted.Groups["program"].Value);
            Run("dotnet", "build -c Release -p:TreatWarningsAsErrors=true -p:WarningsNotAsErrors=NU1603", newcomer, ("NUGET_PACKAGES", packages));
            Run("bash", "-c \"dotnet bin/Release/net10.0/PrimeCounter.dll > stdout.txt 2> stderr.txt\"", newcomer);
            string stdout = File.ReadAllText(Path.Combine(newcomer, "stdout.txt"));
            string stderr = File.ReadAllText(Path.Combine(newcomer, "stderr.txt"));
            Assert.Contains("9592 primes below 100,000, counted in worker", stdout, StringComparison.Ordinal);
            Assert.Contains("78498 primes below 1,000,000", stdout, StringComparison.Ordinal);
            Assert.Contains("Job execution statistics:", stdout, StringComparison.Ordinal);
            Assert.Contains("20/20", stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("#", stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The same package whether NUGET_PACKAGES ends with a slash or not (crossgen2 is found in both).</summary>
    [Fact]
    public void The_package_is_the_same_when_NUGET_PACKAGES_ends_with_a_slash()
    {
        string repo = FindRepositoryRoot();
        string work = Directory.CreateTempSubdirectory("parallelkit-pack-").FullName;
        try
        {
            AssertPackageLayout(Pack(repo, Path.Combine(work, "feed"), PackagesRoot().TrimEnd('/') + "/"));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Packs Runtime/ParallelKit in Release into <paramref name="feed"/> with NUGET_PACKAGES set to <paramref name="packagesRoot"/>.</summary>
    private static string Pack(string repo, string feed, string packagesRoot)
    {
        string output = Run("dotnet", $"pack \"{Path.Combine(repo, "Runtime", "ParallelKit", "ParallelKit.csproj")}\" -c Release -o \"{feed}\"", repo, ("NUGET_PACKAGES", packagesRoot));
        Assert.DoesNotContain("is not in the NuGet cache", output, StringComparison.Ordinal);
        return Assert.Single(Directory.GetFiles(feed, "ParallelKit.*.nupkg"));
    }

    /// <summary>The NuGet cache this test run restores from: NUGET_PACKAGES, else ~/.nuget/packages.</summary>
    private static string PackagesRoot()
        => Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } root
            ? root
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private static void AssertPackageLayout(string package)
    {
        using var zip = System.IO.Compression.ZipFile.OpenRead(package);
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

        // A package that debugs: the repository and commit, an icon, and in every assembly its PDB with SourceLink.
        string nuspec = ReadEntry(zip, "ParallelKit.nuspec");
        Match repository = Regex.Match(nuspec, "<repository type=\"git\" url=\"https://github.com/parallelkit/parallelkit\"[^>]* commit=\"(?<commit>[0-9a-f]{40})\"");
        Assert.True(repository.Success, "no <repository> with a commit in the nuspec:\n" + nuspec);
        Assert.Contains("<icon>icon.png</icon>", nuspec, StringComparison.Ordinal);
        Assert.Contains("icon.png", entries);
        // The package page shows the README: its links must not be relative to a repository that is not there.
        string readme = ReadEntry(zip, "README.md");
        Assert.Contains("](https://github.com/parallelkit/parallelkit/blob/main/docs/architecture.md)", readme, StringComparison.Ordinal);
        Match relative = Regex.Match(readme, @"\]\((?!https?:|#|mailto:)[^)]*\)");
        Assert.False(relative.Success, "a relative link in the package's README: " + relative.Value);

        string sources = "https://raw.githubusercontent.com/parallelkit/parallelkit/" + repository.Groups["commit"].Value + "/";
        foreach (string assembly in entries.Where(e => e.EndsWith(".dll", StringComparison.Ordinal)))
        {
            string sourceLink = EmbeddedSourceLink(zip, assembly);
            Assert.True(sourceLink.Contains(sources, StringComparison.Ordinal), $"{assembly}'s SourceLink does not map to {sources}: {sourceLink}");
        }
    }

    private static string ReadEntry(System.IO.Compression.ZipArchive zip, string entryName)
    {
        System.IO.Compression.ZipArchiveEntry entry = zip.GetEntry(entryName) ?? throw new InvalidOperationException($"{entryName} is not in the package");
        using var reader = new StreamReader(entry.Open());
        return reader.ReadToEnd();
    }

    /// <summary>The SourceLink JSON of the portable PDB embedded in <paramref name="entryName"/> (fails if there is none).</summary>
    private static string EmbeddedSourceLink(System.IO.Compression.ZipArchive zip, string entryName)
    {
        var sourceLinkKind = new Guid("CC110556-A091-4D38-9FEC-25AB9A351A6A");
        using var image = new MemoryStream();
        using (Stream stream = zip.GetEntry(entryName)!.Open())
        {
            stream.CopyTo(image);
        }

        image.Position = 0;
        using var pe = new PEReader(image);
        DebugDirectoryEntry embedded = Assert.Single(pe.ReadDebugDirectory(), e => e.Type == DebugDirectoryEntryType.EmbeddedPortablePdb);
        using MetadataReaderProvider pdb = pe.ReadEmbeddedPortablePdbDebugDirectoryData(embedded);
        MetadataReader reader = pdb.GetMetadataReader();
        foreach (CustomDebugInformationHandle handle in reader.GetCustomDebugInformation(EntityHandle.ModuleDefinition))
        {
            CustomDebugInformation information = reader.GetCustomDebugInformation(handle);
            if (reader.GetGuid(information.Kind) == sourceLinkKind)
            {
                return Encoding.UTF8.GetString(reader.GetBlobBytes(information.Value));
            }
        }

        Assert.Fail($"{entryName}'s PDB has no SourceLink");
        return string.Empty;
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
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{file} {arguments}' did not finish in 10 minutes:\n{output}");
        }

        process.WaitForExit();
        lock (output)
        {
            Assert.True(process.ExitCode == 0, $"'{file} {arguments}' exited with {process.ExitCode}:\n{output}");
            return output.ToString();
        }
    }
}
