using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ParallelKit.Rules;

/// <summary>What a kernel parameter after the index is, where it is one a kernel can take.</summary>
internal enum KernelParameterShape
{
    /// <summary>An <c>ArrayView&lt;T&gt;</c> of an unmanaged <c>T</c>.</summary>
    View1D,

    /// <summary>An <c>ArrayView2D&lt;T, Stride2D.DenseY&gt;</c> of an unmanaged <c>T</c>.</summary>
    View2D,

    /// <summary>An unmanaged struct or enum, passed by value.</summary>
    Scalar,
}

/// <summary>
/// The rules a <c>[GpuKernel]</c> declaration must keep (PK3001 to PK3005); its body's rules are
/// <see cref="KernelBodyRules"/> (PK3006 to PK3019). <c>GpuKernelAnalyzer</c> reports each violation;
/// <c>KernelModelBuilder</c> emits nothing for a kernel with one.
/// </summary>
internal static class KernelRules
{
    /// <summary>The metadata name of the attribute that marks a kernel.</summary>
    public const string GpuKernelAttributeName = "ParallelKit.GpuKernelAttribute";

    /// <summary>How many calls deep a walk of a kernel's body follows methods with source (the rules', the copy directions', the group semantics').</summary>
    public const int MaxCallDepth = 8;

    /// <summary>ILGPU types whose members need a real group: shared and local memory, barriers, warp and group intrinsics.</summary>
    private static readonly HashSet<string> s_groupTypes = new(System.StringComparer.Ordinal)
    {
        "ILGPU.Grid", "ILGPU.Group", "ILGPU.Warp", "ILGPU.SharedMemory", "ILGPU.LocalMemory",
    };

    /// <summary>Every rule of the declaration of <paramref name="method"/>, a method with <c>[GpuKernel]</c>, that it breaks.</summary>
    public static List<RuleViolation> CheckDeclaration(IMethodSymbol method, CancellationToken cancellationToken)
    {
        var violations = new List<RuleViolation>();
        var location = RuleText.LocationOf(method);
        var name = method.Name;
        if (ShapeProblem(method, cancellationToken) is { } shape)
        {
            violations.Add(new RuleViolation("PK3003", location, name, shape));
        }

        var notPartial = new List<string>();
        for (var type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            if (!IsPartial(type, cancellationToken))
            {
                notPartial.Insert(0, "'" + type.Name + "'");
            }
        }

        if (notPartial.Count > 0)
        {
            violations.Add(new RuleViolation("PK3004", location, name, string.Join(", ", notPartial)));
        }

        if (method.Parameters.Length == 0 || IndexRank(method.Parameters[0].Type) == 0 || method.Parameters[0].RefKind != RefKind.None)
        {
            var where = method.Parameters.FirstOrDefault()?.Locations.FirstOrDefault() ?? location;
            violations.Add(new RuleViolation("PK3001", where, name, method.Parameters.FirstOrDefault()?.Type.ToDisplayString() ?? "nothing"));
        }

        var hasView = false;
        var allValid = true;
        foreach (var parameter in method.Parameters.Skip(1))
        {
            if (ParameterProblem(parameter, out var shapeOfParameter, out _) is { } problem)
            {
                allValid = false;
                violations.Add(new RuleViolation("PK3002", parameter.Locations.FirstOrDefault() ?? location, parameter.Name, name, parameter.Type.ToDisplayString(), problem));
            }
            else
            {
                hasView |= shapeOfParameter != KernelParameterShape.Scalar;
            }
        }

        if (!hasView && allValid)
        {
            violations.Add(new RuleViolation("PK3005", location, name));
        }

        return violations;
    }

    /// <summary>1, 2 or 3 for <c>ILGPU.Index1D</c>, <c>Index2D</c>, <c>Index3D</c>; 0 otherwise.</summary>
    public static int IndexRank(ITypeSymbol type) => type.ToDisplayString() switch
    {
        "ILGPU.Index1D" => 1,
        "ILGPU.Index2D" => 2,
        "ILGPU.Index3D" => 3,
        _ => 0,
    };

    /// <summary>
    /// Why a parameter after the index cannot be passed to a kernel (PK3002), or null; where it can,
    /// <paramref name="shape"/> says what it is and <paramref name="element"/> its element type (the scalar's own type).
    /// </summary>
    public static string? ParameterProblem(IParameterSymbol parameter, out KernelParameterShape shape, out ITypeSymbol? element)
    {
        shape = KernelParameterShape.Scalar;
        element = null;
        if (parameter.RefKind != RefKind.None || parameter.IsParams)
        {
            return "kernel parameters are passed by value";
        }

        var type = parameter.Type;
        if (type is INamedTypeSymbol { IsGenericType: true } named)
        {
            var definition = named.OriginalDefinition.ToDisplayString();
            if (definition is "ILGPU.ArrayView<T>" or "ILGPU.Runtime.ArrayView2D<T, TStride>")
            {
                shape = definition == "ILGPU.ArrayView<T>" ? KernelParameterShape.View1D : KernelParameterShape.View2D;
                element = named.TypeArguments[0];
                if (!element.IsUnmanagedType)
                {
                    return $"the element type '{element.ToDisplayString()}' is not unmanaged";
                }

                return shape == KernelParameterShape.View1D || named.TypeArguments[1].ToDisplayString() == "ILGPU.Stride2D.DenseY"
                    ? null
                    : "two-dimensional views must be Stride2D.DenseY, the layout of a T[,]";
            }

            if (definition.StartsWith("ILGPU.", System.StringComparison.Ordinal))
            {
                return "the generated overloads map ArrayView<T> and ArrayView2D<T, Stride2D.DenseY> only; use those";
            }
        }

        if (type.IsUnmanagedType && type.TypeKind is TypeKind.Struct or TypeKind.Enum)
        {
            element = type;
            return type.ToDisplayString().StartsWith("ILGPU.", System.StringComparison.Ordinal)
                ? "only the first parameter is an index; pass extents as int scalars"
                : null;
        }

        return type.IsReferenceType ? "reference types cannot be passed to a device" : "only unmanaged scalars and ArrayViews can be passed to a device";
    }

    /// <summary>Whether <paramref name="type"/> is one whose members need a real group (shared memory, barriers…), or an ILGPU.Algorithms group or warp extension.</summary>
    public static bool IsGroupType(INamedTypeSymbol? type)
    {
        if (type is null)
        {
            return false;
        }

        var name = type.OriginalDefinition.ToDisplayString();
        return s_groupTypes.Contains(name)
            || (name.StartsWith("ILGPU.Algorithms.", System.StringComparison.Ordinal)
                && (type.Name.StartsWith("Group", System.StringComparison.Ordinal) || type.Name.StartsWith("Warp", System.StringComparison.Ordinal)));
    }

    /// <summary>The body of a method declared in a syntax tree of <paramref name="compilation"/>, or null.</summary>
    public static IOperation? BodyOf(IMethodSymbol method, Compilation compilation, CancellationToken cancellationToken)
    {
        foreach (var reference in method.OriginalDefinition.DeclaringSyntaxReferences)
        {
            var node = reference.GetSyntax(cancellationToken);
            if (!compilation.ContainsSyntaxTree(node.SyntaxTree))
            {
                continue;
            }

#pragma warning disable RS1030 // Following calls into methods declared in other files needs their semantic models, as ILGPU's own KernelAnalyzer does.
            var model = compilation.GetSemanticModel(node.SyntaxTree);
#pragma warning restore RS1030
            if (model.GetOperation(node, cancellationToken) is { } operation)
            {
                return operation;
            }
        }

        return null;
    }

    private static string? ShapeProblem(IMethodSymbol method, CancellationToken cancellationToken)
    {
        if (method.MethodKind != MethodKind.Ordinary)
        {
            return "an ordinary method, not a local function, accessor or operator";
        }

        if (!method.IsStatic)
        {
            return "static";
        }

        if (!method.ReturnsVoid)
        {
            return "void: a kernel returns its results through its views";
        }

        if (method.IsGenericMethod)
        {
            return "non-generic";
        }

        if (method.IsAsync)
        {
            return "synchronous, not async";
        }

        for (var type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            if (type.IsGenericType)
            {
                return "declared in a non-generic type";
            }

            if (type.TypeKind is not (TypeKind.Class or TypeKind.Struct) || type.IsFileLocal)
            {
                return "declared in a class or struct that is not file-local";
            }
        }

        var hasBody = method.DeclaringSyntaxReferences.Any(r => r.GetSyntax(cancellationToken) is MethodDeclarationSyntax { Body: not null } or MethodDeclarationSyntax { ExpressionBody: not null });
        return hasBody ? null : "a method with a body";
    }

    private static bool IsPartial(INamedTypeSymbol type, CancellationToken cancellationToken)
        => type.DeclaringSyntaxReferences.All(r => r.GetSyntax(cancellationToken) is TypeDeclarationSyntax declaration && declaration.Modifiers.Any(SyntaxKind.PartialKeyword));
}
