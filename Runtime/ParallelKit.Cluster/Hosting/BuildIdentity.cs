using System;
using System.Reflection;

namespace ParallelKit.Cluster.Hosting;

/// <summary>
/// Which build of the user's executable a process runs: the entry assembly's name, version and module version id.
/// Jobs travel as keys into compile-time dispatch tables, so a driver and a node must run the same build; the
/// module version id changes whenever the compiled code does (builds are deterministic).
/// </summary>
internal static class BuildIdentity
{
    /// <summary>This process's build, e.g. <c>Primes 1.0.0 (module 1a2b3c4d-…)</c>.</summary>
    public static string Current { get; } = Describe(Assembly.GetEntryAssembly());

    private static string Describe(Assembly? entry)
    {
        if (entry is null)
        {
            return "an unmanaged host (no entry assembly)";
        }

        AssemblyName name = entry.GetName();
        return $"{name.Name} {name.Version} (module {entry.ManifestModule.ModuleVersionId})";
    }
}
