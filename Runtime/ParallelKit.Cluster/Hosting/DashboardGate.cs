using System;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace ParallelKit.Cluster.Hosting;

/// <summary>
/// Lets a dashboard request through only with the cluster's secret as its HTTP Basic password; anything else gets
/// 401 and a login prompt. The comparison takes the same time whatever the guess.
/// </summary>
internal sealed class DashboardGate(string secret)
{
    private readonly byte[] _secret = SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        if (IsAllowed(context.Request.Headers.Authorization.ToString()))
        {
            await next().ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Basic realm=\"ParallelKit cluster\", charset=\"UTF-8\"";
        await context.Response.WriteAsync("The ParallelKit cluster dashboard needs the cluster's secret as the password (any user name).").ConfigureAwait(false);
    }

    private bool IsAllowed(string header)
    {
        const string Scheme = "Basic ";
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string credentials;
        try
        {
            credentials = Encoding.UTF8.GetString(Convert.FromBase64String(header[Scheme.Length..].Trim()));
        }
        catch (FormatException)
        {
            return false;
        }

        int colon = credentials.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return false;
        }

        byte[] offered = SHA256.HashData(Encoding.UTF8.GetBytes(credentials[(colon + 1)..]));
        return CryptographicOperations.FixedTimeEquals(offered, _secret);
    }
}
