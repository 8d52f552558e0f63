using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ParallelKit.Rules;

/// <summary>
/// What a <c>[ManagedType]</c> class and its methods must be for the generator to proxy them: the generator emits
/// nothing for a class (or method) these reject, and the analyzer's <c>ManagedTypeAnalyzer</c> reports why (PK2009, PK2011).
/// </summary>
internal static class ManagedTypeRules
{
    public const string AttributeName = "ParallelKit.ManagedTypeAttribute";

    /// <summary>Members of <c>ManagedProxy&lt;T&gt;</c>: an extension method of such a name would never be called.</summary>
    public static readonly string[] ReservedMethodNames = ["Dispose", "HandleName", "ManagerPid", "Invoke", "ToString", "Equals", "GetHashCode", "GetType"];

    /// <summary>Members of <c>ProcessManager</c>: a class of such a name would get a creating extension that is never called.</summary>
    public static readonly string[] ReservedTypeNames = ["Start", "Dictionary", "List", "Pid", "IsAlive", "Dispose", "ToString", "Equals", "GetHashCode", "GetType"];

    /// <summary>Why <paramref name="type"/> cannot be a managed type (PK2009), or null when it can.</summary>
    public static string? WhyNotManagedType(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        if (type.TypeKind != TypeKind.Class)
        {
            return "it must be a class";
        }

        if (type.IsStatic || type.IsAbstract)
        {
            return "it must be a concrete class the manager can create (not static or abstract)";
        }

        for (INamedTypeSymbol? enclosing = type; enclosing is not null; enclosing = enclosing.ContainingType)
        {
            if (enclosing.IsGenericType)
            {
                return "it must not be generic, nor nested in a generic type (the manager creates it by name)";
            }

            if (enclosing.IsFileLocal)
            {
                return "it must not be file-local";
            }

            if (enclosing.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal))
            {
                return "it, and every type enclosing it, must be public or internal (its proxy's generated extension methods and registration need to reach it)";
            }

            if (!IsPartial(enclosing, cancellationToken))
            {
                return enclosing.Equals(type, SymbolEqualityComparer.Default)
                    ? "it must be partial (the generator adds the manager's side to it)"
                    : $"the type enclosing it, '{enclosing.Name}', must be partial";
            }
        }

        if (!type.InstanceConstructors.Any(c => c.DeclaredAccessibility == Accessibility.Public))
        {
            return "it needs a public constructor (the manager creates it with one)";
        }

        if (ReservedTypeNames.Contains(type.Name))
        {
            return $"ProcessManager has a member named '{type.Name}', so the generated 'manager.{type.Name}(…)' that creates it would never be called";
        }

        return null;
    }

    /// <summary>Whether <paramref name="method"/> is one the proxy exposes: a public, ordinary instance method declared in the class.</summary>
    public static bool IsCandidate(IMethodSymbol method)
        => method.MethodKind == MethodKind.Ordinary
            && method.DeclaredAccessibility == Accessibility.Public
            && !method.IsStatic
            && !method.IsOverride
            && !method.IsImplicitlyDeclared;

    /// <summary>Why a candidate method cannot be proxied (PK2011), or null when it can.</summary>
    public static string? WhyNotProxied(IMethodSymbol method)
    {
        if (method.IsGenericMethod)
        {
            return "it is generic (the manager calls it by index, with arguments of known types)";
        }

        if (method.ReturnsByRef || method.ReturnsByRefReadonly)
        {
            return "it returns by reference (a reference into the manager's memory cannot cross)";
        }

        if (method.Parameters.Any(p => p.RefKind != RefKind.None))
        {
            return "it has a ref, out or in parameter (only values cross to the manager and back)";
        }

        if (IsAsynchronous(method.ReturnType))
        {
            return "it is asynchronous (the manager runs one call at a time to its end; return the value itself)";
        }

        if (ReservedMethodNames.Contains(method.Name))
        {
            return $"ManagedProxy<T> has a member named '{method.Name}' of its own, which would hide the generated one";
        }

        return null;
    }

    private static bool IsAsynchronous(ITypeSymbol type)
        => type.OriginalDefinition.ToDisplayString() is "System.Threading.Tasks.Task" or "System.Threading.Tasks.Task<TResult>"
            or "System.Threading.Tasks.ValueTask" or "System.Threading.Tasks.ValueTask<TResult>"
            or "System.Collections.Generic.IAsyncEnumerable<T>";

    private static bool IsPartial(INamedTypeSymbol type, CancellationToken cancellationToken)
        => type.DeclaringSyntaxReferences.Length > 0
            && type.DeclaringSyntaxReferences.All(r => r.GetSyntax(cancellationToken) is TypeDeclarationSyntax declaration
                && declaration.Modifiers.Any(SyntaxKind.PartialKeyword));
}
