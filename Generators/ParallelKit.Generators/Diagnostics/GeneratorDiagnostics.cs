using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using ParallelKit.Generators.Helpers;
using ParallelKit.Rules;

namespace ParallelKit.Generators.Diagnostics;

/// <summary>
/// The few diagnostics the generator reports itself. Declaration mistakes belong to the analyzers, but the
/// compiler runs no analyzer once a declaration error (such as CS0751, a partial member in a non-partial type) has
/// stopped it, while generator diagnostics still print: where the generator can neither implement a declaration
/// nor give it a compiling stand-in, it reports the analyzer's diagnostic beside the compiler's error, so that a
/// build on the command line says what to do. The descriptors are the analyzer's own (<c>SharedValueDescriptors</c>,
/// compiled into both).
/// </summary>
internal static class GeneratorDiagnostics
{
    /// <summary>
    /// PK2002, reported where a partial <c>[SharedValue]</c> property sits in a type that is not partial (or in one
    /// nested in such a type): the compiler stops at CS0751 or CS9248 before the analyzers run.
    /// </summary>
    public static readonly DiagnosticDescriptor SharedValueMustBeInPartialType = SharedValueDescriptors.MustBeInPartialType;

    /// <summary>
    /// PK2005, reported where a partial <c>[SharedValue]</c> property sits in a file-local type: no other file can
    /// declare a part of it, so the property gets no implementation and the compiler stops at CS9248.
    /// </summary>
    public static readonly DiagnosticDescriptor SharedValueUnsupportedType = SharedValueDescriptors.UnsupportedType;

    /// <summary>Creates the diagnostic <paramref name="model"/> describes.</summary>
    public static Diagnostic Create(DiagnosticModel model)
    {
        DiagnosticDescriptor descriptor = model.Id switch
        {
            "PK2002" => SharedValueMustBeInPartialType,
            _ => SharedValueUnsupportedType,
        };
        return Diagnostic.Create(descriptor, model.Location.ToLocation(), [.. model.Arguments.AsImmutableArray()]);
    }
}

/// <summary>Where a diagnostic goes, as values (a pipeline model must not hold a <see cref="Location"/>).</summary>
/// <param name="FilePath">The syntax tree's path.</param>
/// <param name="Start">The span's start.</param>
/// <param name="Length">The span's length.</param>
/// <param name="StartLine">The zero-based line of the start.</param>
/// <param name="StartCharacter">The zero-based character of the start.</param>
/// <param name="EndLine">The zero-based line of the end.</param>
/// <param name="EndCharacter">The zero-based character of the end.</param>
internal sealed record LocationModel(string FilePath, int Start, int Length, int StartLine, int StartCharacter, int EndLine, int EndCharacter)
{
    /// <summary>The values of <paramref name="location"/>.</summary>
    public static LocationModel From(Location location)
    {
        FileLinePositionSpan lines = location.GetLineSpan();
        return new LocationModel(
            location.SourceTree?.FilePath ?? string.Empty,
            location.SourceSpan.Start,
            location.SourceSpan.Length,
            lines.StartLinePosition.Line,
            lines.StartLinePosition.Character,
            lines.EndLinePosition.Line,
            lines.EndLinePosition.Character);
    }

    /// <summary>The location again.</summary>
    public Location ToLocation()
        => Location.Create(
            FilePath,
            new TextSpan(Start, Length),
            new LinePositionSpan(new LinePosition(StartLine, StartCharacter), new LinePosition(EndLine, EndCharacter)));
}

/// <summary>A diagnostic the generator reports, as values.</summary>
/// <param name="Id">The diagnostic's ID (one of <see cref="GeneratorDiagnostics"/>).</param>
/// <param name="Location">Where it goes.</param>
/// <param name="Arguments">The message's arguments.</param>
internal sealed record DiagnosticModel(string Id, LocationModel Location, EquatableArray<string> Arguments);
