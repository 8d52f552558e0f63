using System;
using System.Collections.Concurrent;
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
    private static readonly ConcurrentDictionary<ulong, Entry> Entries = new();

    /// <summary>Registers a job. Called by generated code.</summary>
    /// <param name="key">The job's compile-time key (<see cref="JobCall.JobKey"/>).</param>
    /// <param name="name">The job's display name.</param>
    /// <param name="decoder">Rebuilds a call from its marshaled arguments.</param>
    /// <exception cref="InvalidOperationException">Two different jobs share a key.</exception>
    public static void Register(ulong key, string name, JobDecoder decoder)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(decoder);
        var entry = new Entry(name, decoder);
        Entry existing = Entries.GetOrAdd(key, entry);
        if (!ReferenceEquals(existing, entry) && existing.Name != name)
        {
            throw new InvalidOperationException(
                $"ParallelKit job keys collide: '{existing.Name}' and '{name}' both hash to 0x{key:X16}. Rename one of the jobs.");
        }
    }

    internal static bool TryGet(ulong key, out JobDecoder decoder, out string name)
    {
        if (Entries.TryGetValue(key, out Entry? entry))
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
