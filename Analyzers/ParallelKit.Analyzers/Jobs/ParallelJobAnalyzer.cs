using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using ParallelKit.Analyzers.Helpers;
using static ParallelKit.Analyzers.Diagnostics.DiagnosticDescriptors;

namespace ParallelKit.Analyzers.Jobs;

/// <summary>
/// Checks every <c>[ParallelJob]</c> method against what the generator and the worker processes need:
/// a static method of partial, non-generic types, whose parameters and result MemoryPack can marshal
/// (PK1001 to PK1010).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ParallelJobAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The metadata name of the attribute that marks a job.</summary>
    public const string ParallelJobAttributeName = "ParallelKit.ParallelJobAttribute";

    /// <summary>The name of the nested class the generator emits into a type that declares jobs.</summary>
    public const string JobsClassName = "Jobs";

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
    [
        JobMustBeStatic,
        JobMustBeInPartialType,
        JobParameterCannotBeMarshaled,
        JobResultCannotBeMarshaled,
        JobParameterByReference,
        JobParameterIsDelegate,
        JobMustNotBeGeneric,
        JobInGenericType,
        JobsMemberNameConflict,
        JobHasSeveralCancellationTokens,
    ];

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static start =>
        {
            // Without the runtime there is no [ParallelJob] to check.
            if (start.Compilation.GetTypeByMetadataName(ParallelJobAttributeName) is not { } attribute)
            {
                return;
            }

            var checker = new MarshalabilityChecker(start.Compilation);
            start.RegisterSymbolAction(context => AnalyzeMethod(context, attribute, checker), SymbolKind.Method);
        });
    }

    private static void AnalyzeMethod(SymbolAnalysisContext context, INamedTypeSymbol attribute, MarshalabilityChecker checker)
    {
        var method = (IMethodSymbol)context.Symbol;
        if (method.MethodKind != MethodKind.Ordinary || !HasAttribute(method, attribute))
        {
            return;
        }

        var cancellationToken = context.CancellationToken;
        var declaration = method.DeclaringSyntaxReferences
            .Select(reference => reference.GetSyntax(cancellationToken))
            .OfType<MethodDeclarationSyntax>()
            .FirstOrDefault();
        var location = method.Locations.FirstOrDefault() ?? Location.None;

        if (!method.IsStatic)
        {
            context.ReportDiagnostic(Diagnostic.Create(JobMustBeStatic, location, method.Name));
        }

        if (declaration is not null)
        {
            ReportNonPartialTypes(context, method, declaration, location);
        }

        var inGenericContext = false;
        if (method.IsGenericMethod)
        {
            inGenericContext = true;
            context.ReportDiagnostic(Diagnostic.Create(JobMustNotBeGeneric, location, method.Name));
        }

        if (FindGenericContainingType(method) is { } genericType)
        {
            inGenericContext = true;
            context.ReportDiagnostic(Diagnostic.Create(JobInGenericType, location, method.Name, Display(genericType)));
        }

        ReportJobsNameConflicts(context, method, location);
        AnalyzeParameters(context, method, checker, inGenericContext);
        AnalyzeResult(context, method, declaration, checker, inGenericContext);
    }

    private static void ReportNonPartialTypes(SymbolAnalysisContext context, IMethodSymbol method, MethodDeclarationSyntax declaration, Location location)
    {
        var nonPartial = JobSyntax.GetNonPartialEnclosingTypes(declaration);
        if (nonPartial.Count == 0)
        {
            return;
        }

        var names = new List<string>(nonPartial.Count);
        foreach (var type in nonPartial)
        {
            names.Add("'" + type.Identifier.ValueText + "'");
        }

        var list = names.Count == 1
            ? names[0]
            : string.Join(", ", names.Take(names.Count - 1)) + " and " + names[names.Count - 1];

        context.ReportDiagnostic(Diagnostic.Create(
            JobMustBeInPartialType,
            location,
            nonPartial.Select(type => type.Identifier.GetLocation()),
            method.Name,
            list));
    }

    private static void ReportJobsNameConflicts(SymbolAnalysisContext context, IMethodSymbol method, Location location)
    {
        var containingType = method.ContainingType;
        foreach (var member in containingType.GetMembers(JobsClassName))
        {
            if (IsDeclaredOnlyInGeneratedCode(member, context.Options, context.CancellationToken))
            {
                // The generator's own Jobs class, seen when the analyzer runs on the generated compilation.
                continue;
            }

            IEnumerable<Location> memberLocations = member.Locations.Where(l => l.IsInSource).Take(1);
            context.ReportDiagnostic(Diagnostic.Create(
                JobsMemberNameConflict,
                location,
                memberLocations,
                Display(containingType),
                method.Name));
        }
    }

    private static void AnalyzeParameters(SymbolAnalysisContext context, IMethodSymbol method, MarshalabilityChecker checker, bool inGenericContext)
    {
        var sawCancellationToken = false;
        foreach (var parameter in method.Parameters)
        {
            var parameterLocation = parameter.Locations.FirstOrDefault() ?? Location.None;
            if (parameter.RefKind != RefKind.None)
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    JobParameterByReference,
                    parameterLocation,
                    parameter.Name,
                    method.Name,
                    DisplayRefKind(parameter.RefKind)));
            }

            var type = parameter.Type;
            if (checker.IsCancellationToken(type))
            {
                if (sawCancellationToken)
                {
                    context.ReportDiagnostic(Diagnostic.Create(JobHasSeveralCancellationTokens, parameterLocation, method.Name, parameter.Name));
                }

                sawCancellationToken = true;
                continue;
            }

            var typeLocation = GetTypeLocation(parameter, context.CancellationToken) ?? parameterLocation;
            if (checker.IsDelegateLike(type))
            {
                context.ReportDiagnostic(Diagnostic.Create(JobParameterIsDelegate, typeLocation, parameter.Name, method.Name, Display(type)));
                continue;
            }

            if (inGenericContext && ContainsTypeParameter(type))
            {
                // PK1007 or PK1008 already says why; the type parameter is not a second problem.
                continue;
            }

            if (checker.GetReasonNotMarshalable(type) is { } reason)
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    JobParameterCannotBeMarshaled,
                    typeLocation,
                    parameter.Name,
                    method.Name,
                    Display(type),
                    reason));
            }
        }
    }

    private static void AnalyzeResult(
        SymbolAnalysisContext context,
        IMethodSymbol method,
        MethodDeclarationSyntax? declaration,
        MarshalabilityChecker checker,
        bool inGenericContext)
    {
        var location = declaration?.ReturnType.GetLocation() ?? method.Locations.FirstOrDefault() ?? Location.None;
        if (method.ReturnsByRef || method.ReturnsByRefReadonly)
        {
            context.ReportDiagnostic(Diagnostic.Create(
                JobResultCannotBeMarshaled,
                location,
                method.Name,
                Display(method.ReturnType),
                "a reference into the worker's memory cannot cross processes; return the value"));
            return;
        }

        if (GetResultType(method) is not { } result || (inGenericContext && ContainsTypeParameter(result)))
        {
            return;
        }

        if (checker.GetReasonNotMarshalable(result) is { } reason)
        {
            context.ReportDiagnostic(Diagnostic.Create(JobResultCannotBeMarshaled, location, method.Name, Display(result), reason));
        }
    }

    /// <summary>
    /// The type that travels back from the worker: nothing for <c>void</c>, <c>Task</c> and <c>ValueTask</c>,
    /// the <c>T</c> of <c>Task&lt;T&gt;</c> and <c>ValueTask&lt;T&gt;</c> (awaited in the worker), otherwise the return type.
    /// </summary>
    private static ITypeSymbol? GetResultType(IMethodSymbol method)
    {
        if (method.ReturnsVoid)
        {
            return null;
        }

        var returnType = method.ReturnType;
        if (returnType is INamedTypeSymbol { ContainingNamespace: { Name: "Tasks", ContainingNamespace: { Name: "Threading", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } } } named
            && named.ContainingType is null
            && named.Name is "Task" or "ValueTask")
        {
            return named.TypeArguments.Length switch
            {
                0 => null,
                1 => named.TypeArguments[0],
                _ => returnType,
            };
        }

        return returnType;
    }

    private static Location? GetTypeLocation(IParameterSymbol parameter, CancellationToken cancellationToken)
    {
        foreach (var reference in parameter.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is ParameterSyntax { Type: { } type })
            {
                return type.GetLocation();
            }
        }

        return null;
    }

    private static INamedTypeSymbol? FindGenericContainingType(IMethodSymbol method)
    {
        for (var type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            if (type.TypeParameters.Length > 0)
            {
                return type;
            }
        }

        return null;
    }

    private static bool ContainsTypeParameter(ITypeSymbol type)
        => type switch
        {
            ITypeParameterSymbol => true,
            IArrayTypeSymbol array => ContainsTypeParameter(array.ElementType),
            IPointerTypeSymbol pointer => ContainsTypeParameter(pointer.PointedAtType),
            INamedTypeSymbol named => named.TypeArguments.Any(ContainsTypeParameter)
                || (named.ContainingType is { } containing && ContainsTypeParameter(containing)),
            _ => false,
        };

    private static bool IsDeclaredOnlyInGeneratedCode(ISymbol member, AnalyzerOptions options, CancellationToken cancellationToken)
    {
        var references = member.DeclaringSyntaxReferences;
        if (references.IsEmpty)
        {
            return false;
        }

        foreach (var reference in references)
        {
            if (!GeneratedCodeDetector.IsGenerated(reference.SyntaxTree, options, cancellationToken))
            {
                return false;
            }
        }

        return true;
    }

    private static bool HasAttribute(IMethodSymbol method, INamedTypeSymbol attribute)
    {
        foreach (var data in method.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(data.AttributeClass, attribute))
            {
                return true;
            }
        }

        return false;
    }

    private static string DisplayRefKind(RefKind refKind)
        => refKind switch
        {
            RefKind.Ref => "ref",
            RefKind.Out => "out",
            RefKind.In => "in",
            RefKind.RefReadOnlyParameter => "ref readonly",
            _ => "reference",
        };

    private static string Display(ITypeSymbol type)
        => type.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat);
}
