using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ParallelKit.Rules;

/// <summary>
/// The rules a <c>[ParallelJob]</c> method must keep (PK1001 to PK1016): an ordinary static method of partial,
/// non-generic, public or internal types, whose parameters and result MemoryPack can marshal and whose factory is
/// unique. <c>ParallelJobAnalyzer</c> reports each violation; <c>JobModelBuilder</c> builds no model for a method
/// with one.
/// </summary>
internal sealed class JobRules
{
    /// <summary>The metadata name of the attribute that marks a job.</summary>
    public const string ParallelJobAttributeName = "ParallelKit.ParallelJobAttribute";

    /// <summary>The name of the nested class the generator emits into a type that declares jobs.</summary>
    public const string JobsClassName = "Jobs";

    // A factory's identity as C# compares signatures: tuple element names and nullable reference annotations
    // do not tell overloads apart, so neither may tell factories apart (PK1011).
    private static readonly SymbolDisplayFormat s_signatureFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .WithMiscellaneousOptions(
            SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers
            | SymbolDisplayMiscellaneousOptions.ExpandValueTuple);

    private readonly INamedTypeSymbol _attribute;
    private readonly Func<SyntaxTree, bool> _isGenerated;

    /// <summary>The rules for one compilation.</summary>
    /// <param name="attribute">The compilation's <c>ParallelJobAttribute</c>.</param>
    /// <param name="compilation">The compilation.</param>
    /// <param name="isGenerated">
    /// Whether a syntax tree holds generated code: a member named <c>Jobs</c> declared only there is the generator's own
    /// (the analyzer runs on the generated compilation; the generator never sees its output).
    /// </param>
    public JobRules(INamedTypeSymbol attribute, Compilation compilation, Func<SyntaxTree, bool> isGenerated)
    {
        _attribute = attribute;
        _isGenerated = isGenerated;
        Marshalability = new MarshalabilityChecker(compilation, isGenerated);
    }

    /// <summary>What can cross a process boundary, as the parameter and result rules (PK1003, PK1004, PK1006) decide it.</summary>
    public MarshalabilityChecker Marshalability { get; }

    /// <summary>The rules for <paramref name="compilation"/>, or null where it has no ParallelKit runtime (no <c>[ParallelJob]</c> to check).</summary>
    public static JobRules? For(Compilation compilation, Func<SyntaxTree, bool> isGenerated)
        => compilation.GetTypeByMetadataName(ParallelJobAttributeName) is { } attribute ? new JobRules(attribute, compilation, isGenerated) : null;

    /// <summary>The <c>[ParallelJob]</c> attribute on <paramref name="method"/>, or null.</summary>
    public AttributeData? FindAttribute(IMethodSymbol method)
        => method.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, _attribute));

    /// <summary>Every rule <paramref name="method"/>, a method with <c>[ParallelJob]</c>, breaks; empty for a valid job.</summary>
    public List<RuleViolation> Check(IMethodSymbol method, CancellationToken cancellationToken)
    {
        var violations = new List<RuleViolation>();
        if (DescribeNonOrdinary(method) is not null)
        {
            violations.Add(NotOrdinary(method, FindAttribute(method), cancellationToken));
            return violations;
        }

        var declaration = PartialTypes.DeclarationOf<MethodDeclarationSyntax>(method, cancellationToken);
        var location = RuleText.LocationOf(method);
        if (!method.IsStatic)
        {
            violations.Add(new RuleViolation("PK1001", location, method.Name));
        }

        if (declaration is not null && PartialTypes.NotPartial("PK1002", declaration, location, method.Name) is { } notPartial)
        {
            violations.Add(notPartial);
        }

        var inGenericContext = false;
        if (method.IsGenericMethod)
        {
            inGenericContext = true;
            violations.Add(new RuleViolation("PK1007", location, method.Name));
        }

        if (FindGenericContainingType(method) is { } genericType)
        {
            inGenericContext = true;
            violations.Add(new RuleViolation("PK1008", location, method.Name, Display(genericType)));
        }

        CheckContainingTypes(violations, method, location);
        CheckSignatureTypesReachable(violations, method, location);
        CheckJobsMember(violations, method, location);
        CheckFactoryTwin(violations, method, location);
        CheckParameters(violations, method, inGenericContext, cancellationToken);
        CheckResult(violations, method, declaration, inGenericContext);
        return violations;
    }

    /// <summary>PK1014 for a <c>[ParallelJob]</c> on something that is no ordinary method (a local function, a lambda, an accessor…).</summary>
    public static RuleViolation NotOrdinary(IMethodSymbol method, AttributeData? attribute, CancellationToken cancellationToken)
    {
        // On the attribute: that is what is misplaced (and a lambda has no name to point at).
        var location = attribute?.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? RuleText.LocationOf(method);
        return new RuleViolation("PK1014", location, DescribeNonOrdinary(method) ?? "the method");
    }

    /// <summary>
    /// What <paramref name="method"/> is when it is not an ordinary method the generator can call by name
    /// (as "the local function 'Square'"), or <see langword="null"/> for an ordinary method.
    /// </summary>
    public static string? DescribeNonOrdinary(IMethodSymbol method)
    {
        var kind = method.MethodKind switch
        {
            // A static abstract or virtual interface member can only be called through a type parameter.
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

    /// <summary>
    /// The factory's signature: the parameter types without <c>CancellationToken</c>s, as C# compares overloads.
    /// Two jobs of a type with the same name and factory signature would get the same factory (PK1011).
    /// </summary>
    public string FactorySignature(IMethodSymbol method)
        => string.Join(",", method.Parameters
            .Where(p => !Marshalability.IsCancellationToken(p.Type))
            .Select(p => p.Type.ToDisplayString(s_signatureFormat)));

    /// <summary>Whether <paramref name="method"/> is a job: an ordinary method with <c>[ParallelJob]</c>.</summary>
    public bool IsJob(IMethodSymbol method) => method.MethodKind == MethodKind.Ordinary && FindAttribute(method) is not null;

    /// <summary>The accessibility of a type the job table (in the same assembly) cannot name, or null when it can.</summary>
    public static string? DescribeUnreachable(Accessibility accessibility)
        => accessibility switch
        {
            Accessibility.Private => "private",
            Accessibility.Protected => "protected",
            Accessibility.ProtectedAndInternal => "private protected",
            _ => null,
        };

    /// <summary>The first type in <paramref name="type"/> (itself, a type enclosing it, a type argument, an element type) that code outside its type cannot name.</summary>
    public static INamedTypeSymbol? FindUnreachableType(ITypeSymbol type)
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

    /// <summary>
    /// The type that travels back from the worker: nothing for <c>void</c>, <c>Task</c> and <c>ValueTask</c>,
    /// the <c>T</c> of <c>Task&lt;T&gt;</c> and <c>ValueTask&lt;T&gt;</c> (awaited in the worker), otherwise the return type.
    /// </summary>
    public static ITypeSymbol? GetResultType(IMethodSymbol method)
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

    /// <summary>PK1012 (a type named Jobs), PK1013 (a file-local type) and PK1015 (a private or protected type).</summary>
    private static void CheckContainingTypes(List<RuleViolation> violations, IMethodSymbol method, Location location)
    {
        var containingType = method.ContainingType;
        if (containingType.Name == JobsClassName)
        {
            violations.Add(new RuleViolation("PK1012", location, RuleText.FirstSourceLocation(containingType), method.Name));
        }

        var unreachable = new List<string>();
        var unreachableLocations = new List<Location>();
        for (var type = containingType; type is not null; type = type.ContainingType)
        {
            if (type.IsFileLocal)
            {
                violations.Add(new RuleViolation("PK1013", location, RuleText.FirstSourceLocation(type), method.Name, type.Name));
            }

            if (DescribeUnreachable(type.DeclaredAccessibility) is { } accessibility)
            {
                unreachable.Insert(0, "the " + accessibility + " type '" + type.Name + "'");
                unreachableLocations.InsertRange(0, RuleText.FirstSourceLocation(type));
            }
        }

        if (unreachable.Count > 0)
        {
            violations.Add(new RuleViolation("PK1015", location, unreachableLocations, method.Name, RuleText.JoinWithAnd(unreachable)));
        }
    }

    /// <summary>PK1016: a parameter or result type (or a type argument or element type in it) that the generated code cannot name.</summary>
    private static void CheckSignatureTypesReachable(List<RuleViolation> violations, IMethodSymbol method, Location location)
    {
        foreach (var type in method.Parameters.Select(p => p.Type).Append(method.ReturnType))
        {
            if (FindUnreachableType(type) is { } unreachable)
            {
                violations.Add(new RuleViolation(
                    "PK1016",
                    location,
                    method.Name,
                    "the " + DescribeUnreachable(unreachable.DeclaredAccessibility) + " type '" + unreachable.Name + "'"));
                return;
            }
        }
    }

    /// <summary>PK1009: a member named Jobs of the user's, which the generated class would clash with (CS0102).</summary>
    private void CheckJobsMember(List<RuleViolation> violations, IMethodSymbol method, Location location)
    {
        var containingType = method.ContainingType;
        foreach (var member in containingType.GetMembers(JobsClassName))
        {
            if (member.IsImplicitlyDeclared || RuleText.IsDeclaredOnlyInGeneratedCode(member, _isGenerated))
            {
                // The generator's own Jobs class, seen when the analyzer runs on the generated compilation.
                continue;
            }

            violations.Add(new RuleViolation("PK1009", location, RuleText.FirstSourceLocation(member), Display(containingType), method.Name));
        }
    }

    /// <summary>
    /// PK1011: another job of the type has the same name and, without <c>CancellationToken</c> parameters, the
    /// same parameter types, so both would get the same factory. Reported on each of the two (the first such other job).
    /// </summary>
    private void CheckFactoryTwin(List<RuleViolation> violations, IMethodSymbol method, Location location)
    {
        var signature = FactorySignature(method);
        foreach (var other in method.ContainingType.GetMembers(method.Name))
        {
            if (other is IMethodSymbol otherMethod
                && !SymbolEqualityComparer.Default.Equals(otherMethod, method)
                && IsJob(otherMethod)
                && FactorySignature(otherMethod) == signature)
            {
                var factory = method.Name + "(" + string.Join(", ", method.Parameters.Where(p => !Marshalability.IsCancellationToken(p.Type)).Select(p => Display(p.Type))) + ")";
                violations.Add(new RuleViolation(
                    "PK1011",
                    location,
                    otherMethod.Locations.Where(l => l.IsInSource).Take(1),
                    DisplaySignature(method),
                    DisplaySignature(otherMethod),
                    factory));
                return;
            }
        }
    }

    /// <summary>PK1005 (by reference), PK1010 (a second token), PK1006 (code as data), PK1003 (not marshalable).</summary>
    private void CheckParameters(List<RuleViolation> violations, IMethodSymbol method, bool inGenericContext, CancellationToken cancellationToken)
    {
        var sawCancellationToken = false;
        foreach (var parameter in method.Parameters)
        {
            var parameterLocation = RuleText.LocationOf(parameter);
            if (parameter.RefKind != RefKind.None)
            {
                violations.Add(new RuleViolation("PK1005", parameterLocation, parameter.Name, method.Name, DisplayRefKind(parameter.RefKind)));
            }

            var type = parameter.Type;
            if (Marshalability.IsCancellationToken(type))
            {
                if (sawCancellationToken)
                {
                    violations.Add(new RuleViolation("PK1010", parameterLocation, method.Name, parameter.Name));
                }

                sawCancellationToken = true;
                continue;
            }

            var typeLocation = PartialTypes.DeclarationOf<ParameterSyntax>(parameter, cancellationToken)?.Type?.GetLocation() ?? parameterLocation;
            if (Marshalability.IsDelegateLike(type))
            {
                violations.Add(new RuleViolation("PK1006", typeLocation, parameter.Name, method.Name, Display(type)));
                continue;
            }

            if (inGenericContext && ContainsTypeParameter(type))
            {
                // PK1007 or PK1008 already says why; the type parameter is not a second problem.
                continue;
            }

            if (Marshalability.GetReasonNotMarshalable(type) is { } reason)
            {
                violations.Add(new RuleViolation("PK1003", typeLocation, parameter.Name, method.Name, Display(type), reason));
            }
        }
    }

    /// <summary>PK1004: a result returned by reference, or one MemoryPack cannot marshal.</summary>
    private void CheckResult(List<RuleViolation> violations, IMethodSymbol method, MethodDeclarationSyntax? declaration, bool inGenericContext)
    {
        var location = declaration?.ReturnType.GetLocation() ?? RuleText.LocationOf(method);
        if (method.ReturnsByRef || method.ReturnsByRefReadonly)
        {
            violations.Add(new RuleViolation(
                "PK1004",
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

        if (Marshalability.GetReasonNotMarshalable(result) is { } reason)
        {
            violations.Add(new RuleViolation("PK1004", location, method.Name, Display(result), reason));
        }
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

    private static string DisplaySignature(IMethodSymbol method)
        => method.Name + "(" + string.Join(", ", method.Parameters.Select(p => Display(p.Type))) + ")";

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
