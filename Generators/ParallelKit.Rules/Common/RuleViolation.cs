using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace ParallelKit.Rules;

/// <summary>
/// One broken rule of a declaration: the diagnostic's ID, where it goes and its message arguments. The analyzers
/// report each one with the descriptor of that ID; the generators emit nothing for a declaration that has any
/// (every rule in <c>ParallelKit.Rules</c> is an error), so that a mistake gives one diagnostic rather than errors
/// in generated code.
/// </summary>
internal sealed class RuleViolation
{
    /// <summary>A violation of the rule <paramref name="id"/> at <paramref name="location"/>.</summary>
    /// <param name="id">The diagnostic ID (<c>PK1001</c>).</param>
    /// <param name="location">Where the diagnostic goes.</param>
    /// <param name="additionalLocations">The declarations it is about (the type to make partial, the other job…).</param>
    /// <param name="arguments">The message's arguments, in the order of the descriptor's format.</param>
    public RuleViolation(string id, Location location, IEnumerable<Location>? additionalLocations, params object?[] arguments)
    {
        Id = id;
        Location = location;
        AdditionalLocations = additionalLocations?.ToArray() ?? [];
        Arguments = arguments;
    }

    /// <summary>A violation without additional locations.</summary>
    public RuleViolation(string id, Location location, params object?[] arguments)
        : this(id, location, null, arguments)
    {
    }

    /// <summary>The diagnostic ID.</summary>
    public string Id { get; }

    /// <summary>Where the diagnostic goes.</summary>
    public Location Location { get; }

    /// <summary>The declarations the diagnostic is about besides <see cref="Location"/>.</summary>
    public IReadOnlyList<Location> AdditionalLocations { get; }

    /// <summary>The message's arguments.</summary>
    public object?[] Arguments { get; }

    /// <summary>The diagnostic an analyzer reports: the descriptor of <see cref="Id"/>, the locations, the arguments.</summary>
    public Diagnostic ToDiagnostic(IReadOnlyDictionary<string, DiagnosticDescriptor> descriptors)
        => Diagnostic.Create(descriptors[Id], Location, AdditionalLocations, Arguments);

    /// <inheritdoc/>
    public override string ToString() => Id + " at " + Location;
}

/// <summary>Small helpers the rules share.</summary>
internal static class RuleText
{
    /// <summary>"a", "a and b", "a, b and c".</summary>
    public static string JoinWithAnd(IReadOnlyList<string> items)
        => items.Count == 1
            ? items[0]
            : string.Join(", ", items.Take(items.Count - 1)) + " and " + items[items.Count - 1];

    /// <summary>The symbol's first location in source, as the one additional location of a diagnostic about it.</summary>
    public static IEnumerable<Location> FirstSourceLocation(ISymbol symbol)
        => symbol.Locations.Where(static l => l.IsInSource).Take(1);

    /// <summary>The symbol's first location, or <see cref="Location.None"/>.</summary>
    public static Location LocationOf(ISymbol symbol) => symbol.Locations.FirstOrDefault() ?? Location.None;

    /// <summary>Whether <paramref name="symbol"/> is declared, and only declared, in trees that <paramref name="isGenerated"/> says are generated.</summary>
    public static bool IsDeclaredOnlyInGeneratedCode(ISymbol symbol, System.Func<SyntaxTree, bool> isGenerated)
        => !symbol.DeclaringSyntaxReferences.IsEmpty && symbol.DeclaringSyntaxReferences.All(r => isGenerated(r.SyntaxTree));
}
