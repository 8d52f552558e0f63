using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using ParallelKit.Rules;
using static ParallelKit.Analyzers.ManagedTypes.ManagedTypeDiagnostics;

namespace ParallelKit.Analyzers.ManagedTypes;

/// <summary>
/// Checks <c>[ManagedType]</c> classes (PK2009 to PK2011): what the class must be, which public methods the proxy
/// leaves out, and every parameter and result that has to cross to the manager process.
/// </summary>
/// <remarks>The rules are the generator's own (<see cref="ManagedTypeRules"/> in ParallelKit.Rules, compiled into both).</remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ManagedTypeAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
    [
        InvalidManagedType,
        ManagedMemberCannotBeMarshaled,
        ManagedMethodNotProxied,
    ];

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static start =>
        {
            if (start.Compilation.GetTypeByMetadataName(ManagedTypeRules.AttributeName) is not { } attribute)
            {
                return;
            }

            var options = start.Options;
            var cancellationToken = start.CancellationToken;
            var checker = new MarshalabilityChecker(start.Compilation, tree => GeneratedCodeDetector.IsGenerated(tree, options, cancellationToken));
            start.RegisterSymbolAction(context => AnalyzeType(context, attribute, checker), SymbolKind.NamedType);
        });
    }

    private static void AnalyzeType(SymbolAnalysisContext context, INamedTypeSymbol attribute, MarshalabilityChecker checker)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        if (!type.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, attribute)))
        {
            return;
        }

        Location location = type.Locations.FirstOrDefault() ?? Location.None;
        if (ManagedTypeRules.WhyNotManagedType(type, context.CancellationToken) is { } why)
        {
            context.ReportDiagnostic(Diagnostic.Create(InvalidManagedType, location, type.Name, why));
            return;
        }

        foreach (IMethodSymbol constructor in type.InstanceConstructors.Where(c => c.DeclaredAccessibility == Accessibility.Public))
        {
            CheckParameters(context, checker, constructor, $"{type.Name} constructor");
        }

        foreach (IMethodSymbol method in type.GetMembers().OfType<IMethodSymbol>().Where(ManagedTypeRules.IsCandidate))
        {
            Location at = method.Locations.FirstOrDefault() ?? location;
            if (ManagedTypeRules.WhyNotProxied(method) is { } reason)
            {
                context.ReportDiagnostic(Diagnostic.Create(ManagedMethodNotProxied, at, $"{type.Name}.{method.Name}", reason));
                continue;
            }

            CheckParameters(context, checker, method, $"{type.Name}.{method.Name}");
            if (!method.ReturnsVoid && WhyNotMarshalable(checker, method.ReturnType) is { } result)
            {
                context.ReportDiagnostic(Diagnostic.Create(ManagedMemberCannotBeMarshaled, at, "result", $"{type.Name}.{method.Name}", Display(method.ReturnType), result));
            }
        }
    }

    private static void CheckParameters(SymbolAnalysisContext context, MarshalabilityChecker checker, IMethodSymbol method, string member)
    {
        foreach (IParameterSymbol parameter in method.Parameters)
        {
            if (WhyNotMarshalable(checker, parameter.Type) is { } reason)
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    ManagedMemberCannotBeMarshaled,
                    parameter.Locations.FirstOrDefault() ?? method.Locations.FirstOrDefault() ?? Location.None,
                    $"parameter '{parameter.Name}'",
                    member,
                    Display(parameter.Type),
                    reason));
            }
        }
    }

    private static string? WhyNotMarshalable(MarshalabilityChecker checker, ITypeSymbol type)
    {
        if (checker.IsCancellationToken(type))
        {
            return "a CancellationToken belongs to this process (the manager runs each call to its end)";
        }

        if (checker.IsDelegateLike(type))
        {
            return "a delegate or expression tree is code, which cannot cross a process boundary";
        }

        return checker.GetReasonNotMarshalable(type);
    }

    private static string Display(ITypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat);
}
