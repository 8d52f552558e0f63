using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using ParallelKit.Analyzers.Helpers;
using static ParallelKit.Analyzers.Diagnostics.DiagnosticDescriptors;

namespace ParallelKit.Analyzers.Jobs;

/// <summary>
/// Checks every <c>[ParallelJob]</c> method against what the generator and the worker processes need:
/// an ordinary static method of partial, non-generic, public or internal types, whose parameters and result
/// MemoryPack can marshal and whose factory is unique (PK1001 to PK1016).
/// </summary>
/// <remarks>
/// The generator (<c>JobModelBuilder</c>) skips the declarations reported here, so that a mistake gives one
/// diagnostic rather than errors in generated code; the two must be kept in step when a rule changes.
/// </remarks>
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
        JobFactoryConflict,
        JobInTypeNamedJobs,
        JobInFileLocalType,
        JobMustBeOrdinaryMethod,
        JobInInaccessibleType,
        JobSignatureTypeInaccessible,
    ];

    // A factory's identity as C# compares signatures: tuple element names and nullable reference annotations
    // do not tell overloads apart. The generator compares factories with the same format.
    private static readonly SymbolDisplayFormat s_signatureFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .WithMiscellaneousOptions(
            SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers
            | SymbolDisplayMiscellaneousOptions.ExpandValueTuple);

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

            // Local functions and lambdas are no members, so no symbol action sees them.
            start.RegisterOperationAction(
                context => AnalyzeFunction(context, attribute),
                OperationKind.LocalFunction,
                OperationKind.AnonymousFunction);
        });
    }

    private static void AnalyzeFunction(OperationAnalysisContext context, INamedTypeSymbol attribute)
    {
        var function = context.Operation switch
        {
            ILocalFunctionOperation local => local.Symbol,
            IAnonymousFunctionOperation anonymous => anonymous.Symbol,
            _ => null,
        };

        if (function is not null && FindAttribute(function, attribute) is { } data)
        {
            ReportNotOrdinary(context.ReportDiagnostic, function, data, context.CancellationToken);
        }
    }

    private static void AnalyzeMethod(SymbolAnalysisContext context, INamedTypeSymbol attribute, MarshalabilityChecker checker)
    {
        var method = (IMethodSymbol)context.Symbol;
        if (FindAttribute(method, attribute) is not { } data)
        {
            return;
        }

        if (DescribeNonOrdinary(method) is not null)
        {
            ReportNotOrdinary(context.ReportDiagnostic, method, data, context.CancellationToken);
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

        ReportContainingTypeProblems(context, method, location);
        ReportInaccessibleSignatureTypes(context, method, location);
        ReportJobsNameConflicts(context, method, location);
        ReportFactoryConflict(context, method, attribute, checker, location);
        AnalyzeParameters(context, method, checker, inGenericContext);
        AnalyzeResult(context, method, declaration, checker, inGenericContext);
    }

    /// <summary>
    /// What <paramref name="method"/> is when it is not an ordinary method the generator can call by name
    /// (as "the local function 'Square'"), or <see langword="null"/> for an ordinary method.
    /// </summary>
    private static string? DescribeNonOrdinary(IMethodSymbol method)
    {
        var kind = method.MethodKind switch
        {
            MethodKind.Ordinary when method.IsStatic && method.IsAbstract => "the static abstract interface member",
            MethodKind.Ordinary when method.IsStatic && method.IsVirtual => "the static virtual interface member",
            MethodKind.Ordinary => null,
            MethodKind.LocalFunction => "the local function",
            MethodKind.AnonymousFunction => "a lambda expression",
            MethodKind.UserDefinedOperator => "the operator",
            MethodKind.Conversion => "the conversion operator",
            MethodKind.PropertyGet or MethodKind.PropertySet => "the property accessor",
            MethodKind.EventAdd or MethodKind.EventRemove or MethodKind.EventRaise => "the event accessor",
            MethodKind.Destructor => "the finalizer",
            MethodKind.ExplicitInterfaceImplementation => "the explicit interface implementation",
            MethodKind.Constructor or MethodKind.StaticConstructor => "the constructor",
            _ => "the method",
        };

        return kind is null || method.MethodKind == MethodKind.AnonymousFunction
            ? kind
            : kind + " '" + method.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat) + "'";
    }

    private static void ReportNotOrdinary(System.Action<Diagnostic> report, IMethodSymbol method, AttributeData attribute, CancellationToken cancellationToken)
    {
        // On the attribute: that is what is misplaced (and a lambda has no name to point at).
        var location = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation()
            ?? method.Locations.FirstOrDefault()
            ?? Location.None;
        report(Diagnostic.Create(JobMustBeOrdinaryMethod, location, DescribeNonOrdinary(method)));
    }

    /// <summary>PK1012 (a type named Jobs), PK1013 (a file-local type) and PK1015 (a private or protected type).</summary>
    private static void ReportContainingTypeProblems(SymbolAnalysisContext context, IMethodSymbol method, Location location)
    {
        var containingType = method.ContainingType;
        if (containingType.Name == JobsClassName)
        {
            context.ReportDiagnostic(Diagnostic.Create(JobInTypeNamedJobs, location, FirstSourceLocation(containingType), method.Name));
        }

        var unreachable = new List<string>();
        var unreachableLocations = new List<Location>();
        for (var type = containingType; type is not null; type = type.ContainingType)
        {
            if (type.IsFileLocal)
            {
                context.ReportDiagnostic(Diagnostic.Create(JobInFileLocalType, location, FirstSourceLocation(type), method.Name, type.Name));
            }

            if (DescribeUnreachable(type.DeclaredAccessibility) is { } accessibility)
            {
                unreachable.Insert(0, "the " + accessibility + " type '" + type.Name + "'");
                unreachableLocations.InsertRange(0, FirstSourceLocation(type));
            }
        }

        if (unreachable.Count > 0)
        {
            context.ReportDiagnostic(Diagnostic.Create(JobInInaccessibleType, location, unreachableLocations, method.Name, JoinWithAnd(unreachable)));
        }
    }

    /// <summary>PK1016: a parameter or result type (or a type argument or element type in it) that the generated code cannot name.</summary>
    private static void ReportInaccessibleSignatureTypes(SymbolAnalysisContext context, IMethodSymbol method, Location location)
    {
        foreach (var type in method.Parameters.Select(p => p.Type).Append(method.ReturnType))
        {
            if (FindUnreachableType(type) is { } unreachable)
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    JobSignatureTypeInaccessible,
                    location,
                    method.Name,
                    "the " + DescribeUnreachable(unreachable.DeclaredAccessibility) + " type '" + unreachable.Name + "'"));
                return;
            }
        }
    }

    /// <summary>The first type in <paramref name="type"/> (itself, a type enclosing it, a type argument, an element type) that code outside its type cannot name.</summary>
    private static INamedTypeSymbol? FindUnreachableType(ITypeSymbol type)
    {
        switch (type)
        {
            case IArrayTypeSymbol array:
                return FindUnreachableType(array.ElementType);
            case INamedTypeSymbol named:
                for (var enclosing = named; enclosing is not null; enclosing = enclosing.ContainingType)
                {
                    if (DescribeUnreachable(enclosing.DeclaredAccessibility) is not null)
                    {
                        return enclosing;
                    }
                }

                foreach (var argument in named.TypeArguments)
                {
                    if (FindUnreachableType(argument) is { } inArgument)
                    {
                        return inArgument;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    /// <summary>The accessibility of a type the job table (in the same assembly) cannot name, or null when it can.</summary>
    private static string? DescribeUnreachable(Accessibility accessibility)
        => accessibility switch
        {
            Accessibility.Private => "private",
            Accessibility.Protected => "protected",
            Accessibility.ProtectedAndInternal => "private protected",
            _ => null,
        };

    /// <summary>
    /// PK1011: another job of the type has the same name and, without <c>CancellationToken</c> parameters, the
    /// same parameter types, so both would get the same factory. Reported on each of the two (the first such other job).
    /// </summary>
    private static void ReportFactoryConflict(SymbolAnalysisContext context, IMethodSymbol method, INamedTypeSymbol attribute, MarshalabilityChecker checker, Location location)
    {
        var signature = FactorySignature(method, checker);
        foreach (var other in method.ContainingType.GetMembers(method.Name))
        {
            if (other is IMethodSymbol { MethodKind: MethodKind.Ordinary } otherMethod
                && !SymbolEqualityComparer.Default.Equals(otherMethod, method)
                && FindAttribute(otherMethod, attribute) is not null
                && FactorySignature(otherMethod, checker) == signature)
            {
                var factory = method.Name + "(" + string.Join(", ", method.Parameters.Where(p => !checker.IsCancellationToken(p.Type)).Select(p => Display(p.Type))) + ")";
                context.ReportDiagnostic(Diagnostic.Create(
                    JobFactoryConflict,
                    location,
                    otherMethod.Locations.Where(l => l.IsInSource).Take(1),
                    DisplaySignature(method),
                    DisplaySignature(otherMethod),
                    factory));
                return;
            }
        }
    }

    private static string FactorySignature(IMethodSymbol method, MarshalabilityChecker checker)
        => string.Join(",", method.Parameters
            .Where(p => !checker.IsCancellationToken(p.Type))
            .Select(p => p.Type.ToDisplayString(s_signatureFormat)));

    private static string DisplaySignature(IMethodSymbol method)
        => method.Name + "(" + string.Join(", ", method.Parameters.Select(p => Display(p.Type))) + ")";

    private static IEnumerable<Location> FirstSourceLocation(ISymbol symbol)
        => symbol.Locations.Where(l => l.IsInSource).Take(1);

    private static string JoinWithAnd(List<string> items)
        => items.Count == 1
            ? items[0]
            : string.Join(", ", items.Take(items.Count - 1)) + " and " + items[items.Count - 1];

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

        var list = JoinWithAnd(names);

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

    private static AttributeData? FindAttribute(IMethodSymbol method, INamedTypeSymbol attribute)
    {
        foreach (var data in method.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(data.AttributeClass, attribute))
            {
                return data;
            }
        }

        return null;
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
