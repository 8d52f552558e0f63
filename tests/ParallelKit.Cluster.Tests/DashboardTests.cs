using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Cluster.Tests;

/// <summary>The optional Orleans Dashboard: on loopback only, behind the cluster's secret.</summary>
[Collection(nameof(ClusterProcesses))]
public sealed class DashboardTests
{
    [Fact]
    public async Task The_dashboard_listens_on_loopback_and_asks_for_the_secret()
    {
        int port = ClusterProcess.FreePorts(1)[0];
        using var cluster = new TestCluster(nodes: 1);
        ClusterProcess driver = cluster.StartDriver("hold", nodes: 1, "--dashboard", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        cluster.StartNode(1);
        driver.WaitForOutput("READY", TimeSpan.FromSeconds(90));

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        using (HttpResponseMessage anonymous = await http.GetAsync(new Uri("/dashboard/", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Contains("Basic", anonymous.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await GetStatusAsync(http, "admin:not-the-secret"));
        Assert.Equal(HttpStatusCode.OK, await GetStatusAsync(http, $"anyone:{ClusterProcess.Secret}"));

        // Bound to loopback: the machine's other addresses do not answer.
        IPAddress? other = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        if (other is not null)
        {
            using var client = new TcpClient();
            Assert.ThrowsAny<SocketException>(() => client.Connect(other, port));
        }
    }

    private static async Task<HttpStatusCode> GetStatusAsync(HttpClient http, string credentials)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/dashboard/", UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        using HttpResponseMessage response = await http.SendAsync(request);
        return response.StatusCode;
    }
}
