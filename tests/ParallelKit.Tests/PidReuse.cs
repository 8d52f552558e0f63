using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>
/// Tests that change what every process this one starts sees (its environment, the kernel's pid counter):
/// they run alone, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialTestGroup
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Serial: steers the environment or the pid counter";
}

/// <summary>
/// Gives a dead process's (or thread's) id to an unrelated process, through <c>/proc/sys/kernel/ns_last_pid</c>
/// (root only): the kernel hands out the id after the one written there next. Fails, never skips, when it
/// cannot: the tests that need it assert what happens after a reuse.
/// </summary>
internal static class PidReuse
{
    private const string LastPid = "/proc/sys/kernel/ns_last_pid";

    /// <summary>
    /// Starts a <c>sleep</c> whose pid is <paramref name="id"/>; kill it with <see cref="Release"/> when done. Returns
    /// <see langword="null"/> when another task of this machine took the id first (tests run beside other processes):
    /// the id is then reused by a stranger, which is the case under test all the same.
    /// </summary>
    public static Process? Occupy(int id)
    {
        if (!File.Exists(LastPid))
        {
            throw new InvalidOperationException($"{LastPid} does not exist: the pid-reuse test cannot force a reuse here.");
        }

        // The id is free once its last user has been reaped (a killed process can stay a zombie for a moment).
        for (int wait = 0; wait < 600 && Directory.Exists($"/proc/{id}"); wait++)
        {
            System.Threading.Thread.Sleep(50);
        }

        // Other processes (and this one's own threads) take ids too: try until the sleep gets the one wanted.
        for (int attempt = 0; attempt < 200; attempt++)
        {
            if (attempt > 0)
            {
                System.Threading.Thread.Sleep(10);
            }

            File.WriteAllText(LastPid, (id - 1).ToString(CultureInfo.InvariantCulture));
            var sleeper = Process.Start(new ProcessStartInfo("sleep", "300") { UseShellExecute = false })
                ?? throw new InvalidOperationException("sleep did not start");
            if (sleeper.Id == id)
            {
                return sleeper;
            }

            sleeper.Kill();
            sleeper.WaitForExit();
            sleeper.Dispose();
            if (Directory.Exists($"/proc/{id}"))
            {
                return null; // someone else holds the id now: reused, by a stranger
            }
        }

        throw new InvalidOperationException($"Could not give id {id} to another process (is it still in use?).");
    }

    /// <summary>Kills and reaps an occupier.</summary>
    public static void Release(Process? sleeper)
    {
        if (sleeper is null)
        {
            return;
        }

        try
        {
            sleeper.Kill();
            sleeper.WaitForExit();
        }
        finally
        {
            sleeper.Dispose();
        }
    }
}
