using System;
using System.ComponentModel;
using ParallelKit.CspRuntime;

namespace ParallelKit;

/// <summary>Rebuilds a <see cref="CspProcessCall"/> from its marshaled arguments. Emitted by the generator.</summary>
/// <param name="arguments">A reader over the arguments written by <see cref="CspProcessCall.WriteArguments"/>.</param>
/// <returns>The process, ready to run in this OS process.</returns>
[EditorBrowsable(EditorBrowsableState.Never)]
public delegate CspProcessCall CspProcessDecoder(ref JobReader arguments);

/// <summary>
/// The processes an OS process started by <see cref="CspProcessCall.InOsProcess"/> can run: key → decoder,
/// filled by the generated process table of each assembly with <c>[CspProcess]</c> methods. The runs travel
/// as jobs of <see cref="ParallelProcess"/>, so each process is registered as a job too.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class CspRegistry
{
    /// <summary>Registers a process. Called by generated code.</summary>
    /// <param name="key">The process's compile-time key (<see cref="CspProcessCall.ProcessKey"/>).</param>
    /// <param name="name">The process's display name.</param>
    /// <param name="decoder">Rebuilds a process from its marshaled arguments.</param>
    public static void Register(ulong key, string name, CspProcessDecoder decoder)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(decoder);
        JobRegistry.Register(key, name, (ref JobReader arguments) => CspChildJob.Decode(ref arguments, name, key, decoder));
    }
}
