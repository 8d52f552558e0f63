using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;

namespace ParallelKit.Analyzers.Tests;

/// <summary>The references every test compilation gets: what a project using ParallelKit compiles against.</summary>
internal static class TestReferences
{
    /// <summary>
    /// No reference assembly package: <c>ReferenceAssemblies.Net.*</c> would download one, and this machine
    /// has no feed for it. Basic.Reference.Assemblies.Net100 supplies the same assemblies from a package instead.
    /// </summary>
    public static ReferenceAssemblies None { get; } = new("net10.0");

    /// <summary>The net10.0 reference assemblies, the ParallelKit runtime and MemoryPack.Core.</summary>
    public static ImmutableArray<MetadataReference> All { get; } =
    [
        .. Basic.Reference.Assemblies.Net100.References.All,
        MetadataReference.CreateFromFile(typeof(ParallelJobAttribute).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(MemoryPack.MemoryPackableAttribute).Assembly.Location),
    ];
}
