using System;
using System.Linq;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Connections.Security;
using Orleans.Dashboard;
using Orleans.Hosting;
using ParallelKit.Cluster.Security;

namespace ParallelKit.Cluster.Hosting;

/// <summary>What a ParallelKit silo is in its cluster.</summary>
internal enum SiloRole
{
    Node,
    Driver,
}

/// <summary>Builds the Orleans host of a node or a driver: membership, TLS bound to the secret, failure detection, placement.</summary>
internal static class SiloSetup
{
    /// <summary>Orleans' service id: every ParallelKit cluster is the same service; <see cref="ClusterOptions.ClusterId"/> separates them.</summary>
    public const string ServiceId = "parallelkit";

    public const string NodePrefix = "pk-node-";

    public const string DriverPrefix = "pk-driver-";

    /// <summary>The logging category of ParallelKit's own cluster messages.</summary>
    public const string LogCategory = "ParallelKit.Cluster";

    public static string ProcessName(ClusterOptions options)
        => options.NodeName ?? $"{Dns.GetHostName()}-{Environment.ProcessId}";

    public static IHost Build(ClusterOptions options, SiloRole role, Action<IServiceCollection> services)
    {
        string name = ProcessName(options);
        IPAddress advertised = options.AdvertisedAddress ?? (options.Membership.IsLocalOnly ? IPAddress.Loopback : FirstNonLoopbackAddress());
        var credentials = new ClusterCredentials(options.ClusterId, options.Secret!);
        X509Certificate2 certificate = credentials.CreateCertificate(name);

        // With a dashboard the host is a web application (the dashboard needs the silo's services); without one, a plain host.
        IHostApplicationBuilder builder = options.Dashboard is null
            ? Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ApplicationName = "ParallelKit" })
            : WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "ParallelKit" });
        ConfigureLogging(builder, options);
        // The process's signals belong to ParallelKit (a node leaves on SIGTERM) or to the user's program (a driver):
        // the host's console lifetime would stop the silo on its own and look like a node declared dead.
        builder.Services.AddSingleton<IHostLifetime, QuietLifetime>();
        builder.Services.AddSingleton(credentials);
        builder.Services.AddSingleton(options);
        services(builder.Services);
        builder.UseOrleans(silo =>
        {
            options.Membership.Configure(silo, options, advertised);
            silo.Configure<SiloOptions>(o => o.SiloName = (role == SiloRole.Node ? NodePrefix : DriverPrefix) + name);
            silo.Configure<ClusterMembershipOptions>(options.FailureDetection.Configure);
            silo.Configure<SiloMessagingOptions>(messaging =>
            {
                // Jobs may run for hours: ParallelKit's own JobTimeout is the limit, and a dead node fails its calls
                // through membership (SiloUnavailableException), not through a response time-out.
                messaging.ResponseTimeout = TimeSpan.FromDays(7);
                messaging.SystemResponseTimeout = TimeSpan.FromSeconds(30);
                messaging.MaxMessageBodySize = NodeProtocol.MaxCallBytes + (4 * 1024 * 1024);
            });
            silo.Services.AddPlacementDirector<NodePlacementStrategy, NodePlacementDirector>();
            if (options.Dashboard is not null)
            {
                silo.AddDashboard();
            }

            silo.UseTls(certificate, tls =>
            {
                tls.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
                tls.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
                tls.RemoteCertificateValidation = (remote, chain, errors) => Admit(credentials, remote);
            });
        });

        if (builder is HostApplicationBuilder plain)
        {
            return plain.Build();
        }

        var web = (WebApplicationBuilder)builder;
        ClusterDashboard dashboard = options.Dashboard!;
        web.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(dashboard.Address, dashboard.Port));
        WebApplication app = web.Build();
        var gate = new DashboardGate(options.Secret!);
        app.Use(gate.InvokeAsync);
        app.MapOrleansDashboard(routePrefix: dashboard.Path);
        return app;

        bool Admit(ClusterCredentials credentials, X509Certificate2? remote)
        {
            if (credentials.IsBound(remote))
            {
                return true;
            }

            RefusalLog.Refused(name, remote?.Subject ?? "no certificate");
            return false;
        }
    }

    private static void ConfigureLogging(IHostApplicationBuilder builder, ClusterOptions options)
    {
        builder.Logging.ClearProviders();
        if (options.LoggerFactory is { } factory)
        {
            builder.Services.AddSingleton(factory);
            return;
        }

        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Orleans", LogLevel.Error);
        builder.Logging.AddFilter("Polly", LogLevel.Error);
        builder.Logging.AddFilter("Orleans.Runtime.GrainCallCancellationManager", LogLevel.None); // cancelling calls to a node that just died fails, as it must // Orleans retries placement through Polly while a new node settles in: expected, not news
        builder.Logging.AddFilter(LogCategory, LogLevel.Information);
    }

    private static IPAddress FirstNonLoopbackAddress()
        => NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
            ?? IPAddress.Loopback;
}

/// <summary>A host lifetime that waits for nothing and handles no signals (see <see cref="SiloSetup.Build"/>).</summary>
internal sealed class QuietLifetime : IHostLifetime
{
    public System.Threading.Tasks.Task WaitForStartAsync(System.Threading.CancellationToken cancellationToken) => System.Threading.Tasks.Task.CompletedTask;

    public System.Threading.Tasks.Task StopAsync(System.Threading.CancellationToken cancellationToken) => System.Threading.Tasks.Task.CompletedTask;
}

/// <summary>
/// Refusals of peers without the secret. They are written to standard error directly as well as logged: the TLS
/// handshake runs before the host's loggers are wired to this callback, and a refusal must never go unseen.
/// </summary>
internal static class RefusalLog
{
    public static void Refused(string self, string peer)
        => Console.Error.WriteLine($"ParallelKit cluster: {self} refused a connection: the peer's certificate ({peer}) is not bound to this cluster's secret (another secret or cluster id, or not a ParallelKit process).");
}
