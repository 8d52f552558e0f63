using System;
using System.Diagnostics;
using System.IO;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>
/// Another local user on the machine (issue 11, item 2): they can list <c>/dev/shm</c> and create files in it,
/// but must not be able to stop a queue from growing. Runs as root (to create the user); fails, never skips,
/// when it cannot set that user up.
/// </summary>
public sealed class StrangerTests
{
    private const string Stranger = "pkstranger";

    [Fact]
    public void A_stranger_who_creates_a_queues_next_chunk_names_first_cannot_stop_it_growing()
    {
        EnsureStranger();
        using var queue = new ProcessQueue<byte[]>();
        string name = queue.HandleName;

        // What a stranger can do: list the names, and create the ones that come next (the chunk files were
        // {queue}-1, {queue}-2, … before). Planted as non-empty directories, which not even a root victim can
        // unlink to take the name back (a non-root victim cannot remove a stranger's files there at all).
        // (A name that exists already, the queue's own, is not the stranger's to take: that one fails, quietly.)
        Run("runuser", "-u", Stranger, "--", "sh", "-c", $"for i in $(seq 0 64); do mkdir /dev/shm/{name}-$i 2>/dev/null && : > /dev/shm/{name}-$i/planted; done; true");
        Assert.True(Directory.Exists($"/dev/shm/{name}-1"), "the stranger could not plant the names");
        try
        {
            var item = new byte[100_000];
            for (int i = 0; i < 40; i++) // 4 MB: several chunks of 1 MiB
            {
                queue.Put(item);
            }

            for (int i = 0; i < 40; i++)
            {
                Assert.Equal(100_000, queue.Get(TimeSpan.FromSeconds(10)).Length);
            }
        }
        finally
        {
            foreach (string planted in Directory.GetDirectories("/dev/shm", name + "-*"))
            {
                Directory.Delete(planted, recursive: true); // the stranger's (as root, the test may)
            }
        }
    }

    /// <summary>Creates the unprivileged user the test acts as, unless it exists.</summary>
    internal static void EnsureStranger()
    {
        if (Run("id", ["-u", Stranger], check: false) != 0)
        {
            Run("useradd", "--no-create-home", "--shell", "/bin/sh", Stranger);
        }
    }

    private static int Run(string file, params string[] arguments) => Run(file, arguments, check: true);

    private static int Run(string file, string[] arguments, bool check)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (check && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{file} {string.Join(' ', arguments)}' failed ({process.ExitCode}): {output} {error} (the test needs root)");
        }

        return process.ExitCode;
    }
}
