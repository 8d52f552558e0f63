using System;
using System.IO;
using Microsoft.CodeAnalysis;
using ParallelKit.Generators.Diagnostics;
using Xunit;

namespace ParallelKit.Generators.Tests;

/// <summary>
/// The diagnostics the generator reports itself (where a declaration error stops the analyzers) read exactly as the
/// analyzers' of the same ID: same title, message and help link.
/// </summary>
public sealed class GeneratorDiagnosticsTests
{
    [Theory]
    [InlineData("PK2002")]
    [InlineData("PK2005")]
    public void A_generator_diagnostic_matches_the_analyzers_descriptor(string id)
    {
        DiagnosticDescriptor descriptor = id == "PK2002" ? GeneratorDiagnostics.SharedValueMustBeInPartialType : GeneratorDiagnostics.SharedValueUnsupportedType;
        string analyzers = File.ReadAllText(Path.Combine(RepositoryRoot(), "Analyzers", "ParallelKit.Analyzers", "Diagnostics", "DiagnosticDescriptors.cs"));

        Assert.Equal(id, descriptor.Id);
        Assert.Contains($"title: \"{descriptor.Title}\"", analyzers, StringComparison.Ordinal);
        Assert.Contains($"messageFormat: \"{descriptor.MessageFormat}\"", analyzers, StringComparison.Ordinal);
        Assert.Contains($"description: \"{descriptor.Description}\"", analyzers, StringComparison.Ordinal);
        Assert.Equal($"https://github.com/parallelkit/parallelkit/blob/main/docs/diagnostics/{id}.md", descriptor.HelpLinkUri);
        Assert.Equal(DiagnosticSeverity.Error, descriptor.DefaultSeverity);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Parallel.Generators.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Parallel.Generators.sln not found above " + AppContext.BaseDirectory);
    }
}
