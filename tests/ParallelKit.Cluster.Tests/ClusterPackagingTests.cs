using System;
using System.IO;
using System.Linq;
using Xunit;

namespace ParallelKit.Cluster.Tests;

/// <summary>
/// How users meet the cluster: <c>dotnet pack</c> of both packages, then a fresh console project that adds only
/// <c>ParallelKit.Cluster</c>, declares a job, and runs as a driver with one node (itself, started again).
/// </summary>
[Collection(nameof(ClusterProcesses))]
public sealed class ClusterPackagingTests
{
    /// <summary>
    /// Its own configuration, without a restore (the solution's build did it): the core's and the GPU package's
    /// packaging tests pack Runtime/ParallelKit at the same time, and two packs writing the same intermediate files
    /// crashed crossgen2 (a bus error: its input rewritten under it).
    /// </summary>
    private const string Configuration = "ClusterPack";

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
            <PackageReference Include="ParallelKit.Cluster" Version="$(ParallelKitTestVersion)" />
          </ItemGroup>
        </Project>
        """;

    private const string ConsumerProgram = """
        using System.Diagnostics;
        using ParallelKit;

        int[] ports = args[1..].Select(int.Parse).ToArray(); // driver silo, driver gateway, node silo, node gateway
        var cluster = new ClusterOptions
        {
            ClusterId = "package-test",
            Secret = "package-test-secret-0123",
            Membership = ClusterMembership.Localhost(primarySiloPort: ports[0]),
            FailureDetection = FailureDetection.Fast,
        };
        if (args[0] == "node")
        {
            await ClusterNode.RunAsync(cluster with { SiloPort = ports[2], GatewayPort = ports[3], Workers = 1, NodeName = "pkgnode" });
            return;
        }

        var start = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") start.ArgumentList.Add(typeof(Calc).Assembly.Location);
        start.ArgumentList.Add("node");
        foreach (int port in ports) start.ArgumentList.Add(port.ToString());
        using Process node = Process.Start(start)!;
        node.ErrorDataReceived += (_, _) => { };
        node.BeginErrorReadLine();
        try
        {
            await using JobServer server = await ClusterJobServer.StartAsync(cluster with { SiloPort = ports[0], GatewayPort = ports[1], MinNodes = 1 });
            int square = await server.Submit(Calc.Jobs.Square(12));
            int[] mapped = await server.MapAsync(Enumerable.Range(0, 100), i => Calc.Jobs.Square(i));
            Console.WriteLine($"square={square} mapped={mapped.Sum()} nodes={server.Stats.Nodes!.Count}");
        }
        finally
        {
            node.Kill();
            node.WaitForExit();
        }

        public static partial class Calc
        {
            [ParallelJob]
            public static int Square(int x) => x * x;
        }
        """;

    [Fact]
    public void A_fresh_project_with_only_the_cluster_package_runs_a_job_on_a_node()
    {
        string repo = ParallelKit.Tests.DotnetCli.RepositoryRoot();
        string work = Directory.CreateTempSubdirectory("parallelkit-cluster-pack-").FullName;

        // A version of this run's own: the packages restore into the usual NuGet cache (Orleans and its dependencies
        // are there already) without ever meeting a stale ParallelKit 0.1.0; this run's copies are removed after.
        string version = $"0.1.0-test{DateTime.UtcNow:yyyyMMddHHmmssfff}";
        try
        {
            string feed = Path.Combine(work, "feed");
            Run($"pack \"{Path.Combine(repo, "Runtime", "ParallelKit", "ParallelKit.csproj")}\" --no-restore -c {Configuration} -p:Optimize=true -o \"{feed}\" -p:Version={version}", repo);
            Run($"pack \"{Path.Combine(repo, "Runtime", "ParallelKit.Cluster", "ParallelKit.Cluster.csproj")}\" --no-restore -c {Configuration} -p:Optimize=true -o \"{feed}\" -p:Version={version}", repo);
            string package = Assert.Single(Directory.GetFiles(feed, "ParallelKit.Cluster.*.nupkg"));
            using (var zip = System.IO.Compression.ZipFile.OpenRead(package))
            {
                string[] entries = [.. zip.Entries.Select(e => e.FullName)];
                Assert.Contains("lib/net10.0/ParallelKit.Cluster.dll", entries);
                Assert.Contains("lib/net10.0/ParallelKit.Cluster.xml", entries);
                using var nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
                string manifest = nuspec.ReadToEnd();
                Assert.Contains("id=\"ParallelKit\"", manifest, StringComparison.Ordinal);
                Assert.Contains("id=\"Microsoft.Orleans.Server\"", manifest, StringComparison.Ordinal);
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

            Run($"build -c Release -p:ParallelKitTestVersion={version}", app);
            int[] ports = ClusterProcess.FreePorts(4);
            string output = Run($"bin/Release/net10.0/Consumer.dll driver {string.Join(' ', ports)}", app);
            Assert.Contains("square=144 mapped=328350 nodes=1", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
            string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            foreach (string id in (string[])["parallelkit", "parallelkit.cluster"])
            {
                string restored = Path.Combine(cache, id, version);
                if (Directory.Exists(restored))
                {
                    Directory.Delete(restored, recursive: true);
                }
            }
        }
    }

    /// <summary>Runs <c>dotnet <paramref name="arguments"/></c>; fails the test, with the output, unless it succeeds.</summary>
    private static string Run(string arguments, string directory)
    {
        (int exitCode, string output) = ParallelKit.Tests.DotnetCli.Run(arguments, directory, TimeSpan.FromMinutes(10));
        Assert.True(exitCode == 0, $"dotnet {arguments} exited with {exitCode}:\n{output}");
        return output;
    }
}
