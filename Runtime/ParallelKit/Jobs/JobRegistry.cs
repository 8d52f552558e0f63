using System;
using System.Collections.Generic;
using System.ComponentModel;

namespace ParallelKit;

/// <summary>Rebuilds a <see cref="JobCall"/> from its marshaled arguments. Emitted by the generator.</summary>
/// <param name="arguments">A reader over the arguments written by <see cref="JobCall.WriteArguments"/>.</param>
/// <returns>The job call, ready to run in this process.</returns>
[EditorBrowsable(EditorBrowsableState.Never)]
public delegate JobCall JobDecoder(ref JobReader arguments);

/// <summary>
/// The dispatch table a worker process runs jobs from: job key → decoder. Filled at worker start by the
/// generated job tables of the entry assembly and every referenced assembly that declares jobs; no
/// reflection is involved.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class JobRegistry
{
    // A plain dictionary under a lock: lookups are rare (a worker caches its last job), and a worker
    // starts faster without loading the concurrent collections.
    private static readonly Dictionary<ulong, Entry> Entries = [];

    /// <summary>Registers a job. Called by generated code.</summary>
    /// <param name="key">The job's compile-time key (<see cref="JobCall.JobKey"/>).</param>
    /// <param name="name">The job's display name.</param>
    /// <param name="decoder">Rebuilds a call from its marshaled arguments.</param>
    /// <exception cref="InvalidOperationException">Two different jobs share a key.</exception>
    public static void Register(ulong key, string name, JobDecoder decoder)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(decoder);
        Entry? existing;
        lock (Entries)
        {
            if (!Entries.TryGetValue(key, out existing))
            {
                Entries.Add(key, new Entry(name, decoder));
                return;
            }
        }

        if (existing.Name != name)
        {
            throw new InvalidOperationException(
                $"ParallelKit job keys collide: '{existing.Name}' and '{name}' both hash to 0x{key:X16}. Rename one of the jobs.");
        }
    }

    internal static bool TryGet(ulong key, out JobDecoder decoder, out string name)
    {
        Entry? entry;
        lock (Entries)
        {
            _ = Entries.TryGetValue(key, out entry);
        }

        if (entry is not null)
        {
            decoder = entry.Decoder;
            name = entry.Name;
            return true;
        }

        decoder = null!;
        name = string.Empty;
        return false;
    }

    private sealed record Entry(string Name, JobDecoder Decoder);
}
