using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ParallelKit.Rules;

/// <summary>
/// What a <c>[CspProcess]</c> method must be for the generator to describe it (PK4001 to PK4003): the generator's
/// <c>CspProcessModelBuilder</c> emits nothing for a method these reject, and the analyzer's <c>CspProcessAnalyzer</c>
/// reports why. The body rules (PK4004 to PK4008) stay in the analyzers: the generator does not depend on them.
/// </summary>
internal static class CspRules
{
    /// <summary>The attribute's metadata name.</summary>
    public const string AttributeName = "ParallelKit.CspProcessAttribute";

    /// <summary>The nested class the generator emits.</summary>
    public const string ProcessesClassName = "Processes";

    /// <summary>PK4001: a process is not static.</summary>
    public const string ProcessMustBeStaticId = "PK4001";

    /// <summary>PK4002: a process's type, or one enclosing it, is not partial.</summary>
    public const string ProcessMustBeInPartialTypeId = "PK4002";

    /// <summary>PK4003: a process has a shape the generator cannot describe.</summary>
    public const string ProcessCannotBeGeneratedId = "PK4003";

    /// <summary>Whether <paramref name="method"/> carries <c>[CspProcess]</c>.</summary>
    public static bool IsProcess(IMethodSymbol method)
        => method.GetAttributes().Any(static a => a.AttributeClass?.ToDisplayString() == AttributeName);

    /// <summary>Whether <paramref name="method"/> breaks none of the rules: the generator describes exactly these.</summary>
    public static bool IsValid(IMethodSymbol method, Compilation compilation, Func<SyntaxTree, bool> isGenerated, CancellationToken cancellationToken)
        => !Check(method, compilation, isGenerated, cancellationToken).Any();

    /// <summary>
    /// The rules <paramref name="method"/> breaks, in order: PK4003 alone for a method that is not ordinary; else
    /// PK4001 (not static), PK4002 (types that are not partial) and the first PK4003 reason, each where it applies.
    /// Lazy, so that the generator stops at the first.
    /// </summary>
    /// <param name="method">The <c>[CspProcess]</c> method.</param>
    /// <param name="compilation">Its compilation.</param>
    /// <param name="isGenerated">Whether a tree is generated code (the generator's own <c>Processes</c> class does not count as the user's).</param>
    /// <param name="cancellationToken">Cancels.</param>
    public static IEnumerable<RuleViolation> Check(IMethodSymbol method, Compilation compilation, Func<SyntaxTree, bool> isGenerated, CancellationToken cancellationToken)
    {
        Location location = RuleText.LocationOf(method);
        string name = method.Name;
        if (method.MethodKind != MethodKind.Ordinary)
        {
            yield return new RuleViolation(ProcessCannotBeGeneratedId, location, name, "it is not an ordinary method (a local function, lambda, operator or accessor)");
            yield break;
        }

        if (!method.IsStatic)
        {
            yield return new RuleViolation(ProcessMustBeStaticId, location, name);
        }

        var notPartial = new List<string>();
        for (INamedTypeSymbol? type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            if (!IsPartial(type, cancellationToken))
            {
                notPartial.Add("'" + type.Name + "'");
            }
        }

        if (notPartial.Count > 0)
        {
            yield return new RuleViolation(ProcessMustBeInPartialTypeId, location, name, string.Join(", ", notPartial));
        }

        if (WhyCannotBeGenerated(method, compilation, isGenerated, cancellationToken) is { } reason)
        {
            yield return new RuleViolation(ProcessCannotBeGeneratedId, location, name, reason);
        }
    }

    /// <summary>What keeps the generator from describing an ordinary method (PK4003), besides static and partial; null when nothing does.</summary>
    public static string? WhyCannotBeGenerated(IMethodSymbol method, Compilation compilation, Func<SyntaxTree, bool> isGenerated, CancellationToken cancellationToken)
    {
        if (method.IsStatic && (method.IsAbstract || method.IsVirtual))
        {
            return "it is an abstract or virtual static interface member; a process needs a body";
        }

        if (method.IsGenericMethod)
        {
            return "it is generic; write one process per element type";
        }

        for (INamedTypeSymbol? type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            if (type.IsGenericType)
            {
                return $"its type '{type.Name}' is generic";
            }

            if (type.IsFileLocal)
            {
                return $"its type '{type.Name}' is file-local";
            }

            if (!IsReachableFromAssembly(type))
            {
                return $"its type '{type.Name}' is private or protected: the generated process table cannot reach it";
            }
        }

        if (method.ContainingType is { } containing
            && (containing.Name == ProcessesClassName
                || containing.GetMembers(ProcessesClassName).Any(m => !m.IsImplicitlyDeclared && !RuleText.IsDeclaredOnlyInGeneratedCode(m, isGenerated))))
        {
            return "its type is named Processes or already has a member named Processes, the name of the generated class";
        }

        if (method.Parameters.FirstOrDefault(static p => p.RefKind != RefKind.None) is { } byRef)
        {
            return $"its parameter '{byRef.Name}' is passed by reference; a process gets its arguments by value";
        }

        if (method.Parameters.FirstOrDefault(static p => CannotBeGenerated(p.Type)) is { } unnameable)
        {
            return $"its parameter '{unnameable.Name}' has a type a process cannot hold (dynamic, a pointer or a ref struct)";
        }

        if (method.Parameters.FirstOrDefault(static p => HasUnreachableType(p.Type)) is { } hidden)
        {
            return $"the type of its parameter '{hidden.Name}' is private or protected: the generated process class cannot name it";
        }

        if (!method.ReturnsVoid && CannotBeGenerated(method.ReturnType))
        {
            return "it returns a type a process result cannot be (dynamic, a pointer or a ref struct)";
        }

        if (!method.ReturnsVoid && HasUnreachableType(method.ReturnType))
        {
            return "its return type is private or protected: the generated process class cannot name it";
        }

        INamedTypeSymbol? tokenType = compilation.GetTypeByMetadataName("System.Threading.CancellationToken");
        if (method.Parameters.Count(p => SymbolEqualityComparer.Default.Equals(p.Type, tokenType)) > 1)
        {
            return "it has more than one CancellationToken parameter";
        }

        return null;
    }

    /// <summary>Whether some declaration of <paramref name="type"/> says <c>partial</c> (then the generator can add a part to it).</summary>
    public static bool IsPartial(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax declaration && declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsReachableFromAssembly(INamedTypeSymbol type)
        => type.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal;

    private static bool HasUnreachableType(ITypeSymbol type) => type switch
    {
        IArrayTypeSymbol array => HasUnreachableType(array.ElementType),
        INamedTypeSymbol named => named.TypeArguments.Any(HasUnreachableType) || Unreachable(named),
        _ => false,
    };

    private static bool Unreachable(INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? t = type; t is not null; t = t.ContainingType)
        {
            if (t.DeclaredAccessibility is Accessibility.Private or Accessibility.Protected or Accessibility.ProtectedAndInternal)
            {
                return true;
            }
        }

        return false;
    }

    private static bool CannotBeGenerated(ITypeSymbol type) => type switch
    {
        { TypeKind: TypeKind.Dynamic or TypeKind.Pointer or TypeKind.FunctionPointer } => true,
        { IsRefLikeType: true } => true,
        IArrayTypeSymbol array => CannotBeGenerated(array.ElementType),
        INamedTypeSymbol named => named.TypeArguments.Any(CannotBeGenerated),
        _ => false,
    };
}
