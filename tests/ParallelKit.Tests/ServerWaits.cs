using System;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>Waits that keep load-balancing tests independent of how fast workers start on a busy machine.</summary>
internal static class ServerWaits
{
    /// <summary>Waits until <paramref name="count"/> workers have connected (at most 60 s).</summary>
    public static async Task WaitForConnectedWorkersAsync(this JobServer server, int count)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(60);
        while (server.Stats.Workers.Count(w => w.IsAlive && !w.IsStarting) < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.True(server.Stats.Workers.Count(w => w.IsAlive && !w.IsStarting) >= count, $"{count} workers did not connect within 60 s");
    }
}
