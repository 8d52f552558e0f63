using System.Globalization;
using Microsoft.CodeAnalysis;
using ParallelKit.Generators.Diagnostics;
using Xunit;
using AnalyzerDescriptors = ParallelKit.Analyzers.Diagnostics.DiagnosticDescriptors;

namespace ParallelKit.Generators.Tests;

/// <summary>
/// The diagnostics the generator reports itself (where a declaration error stops the analyzers) read exactly as the
/// analyzers' of the same ID: same title, message, description, severity and help link.
/// </summary>
public sealed class GeneratorDiagnosticsTests
{
    [Theory]
    [InlineData("PK2002")]
    [InlineData("PK2005")]
    public void A_generator_diagnostic_matches_the_analyzers_descriptor(string id)
    {
        (DiagnosticDescriptor generator, DiagnosticDescriptor analyzer) = id == "PK2002"
            ? (GeneratorDiagnostics.SharedValueMustBeInPartialType, AnalyzerDescriptors.SharedValueMustBeInPartialType)
            : (GeneratorDiagnostics.SharedValueUnsupportedType, AnalyzerDescriptors.SharedValueUnsupportedType);

        Assert.Equal(id, generator.Id);
        Assert.Equal(analyzer.Id, generator.Id);
        Assert.Equal(analyzer.Title.ToString(CultureInfo.InvariantCulture), generator.Title.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(analyzer.MessageFormat.ToString(CultureInfo.InvariantCulture), generator.MessageFormat.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(analyzer.Description.ToString(CultureInfo.InvariantCulture), generator.Description.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(analyzer.Category, generator.Category);
        Assert.Equal($"https://github.com/parallelkit/parallelkit/blob/main/docs/diagnostics/{id}.md", generator.HelpLinkUri);
        Assert.Equal(analyzer.HelpLinkUri, generator.HelpLinkUri);
        Assert.Equal(DiagnosticSeverity.Error, generator.DefaultSeverity);
    }
}
