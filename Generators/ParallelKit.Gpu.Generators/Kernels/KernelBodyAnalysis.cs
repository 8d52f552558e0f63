using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using ParallelKit.Gpu.Generators.Kernels.Models;

namespace ParallelKit.Gpu.Generators.Kernels;

/// <summary>
/// What the generator learns from a kernel's body (its <see cref="IOperation"/> tree): how each view is
/// used (read, written, both), whether the kernel has group semantics, and whether its body can be copied
/// to run on host memory.
/// </summary>
/// <remarks>
/// Calls into methods with source are followed where a view is passed along, up to <see cref="MaxDepth"/>
/// calls deep. Anything the walk cannot follow (a view stored in a local, a <c>SubView</c>, a call into a
/// method without source, a <c>ref</c> local to an element) counts as read and written: copying too much
/// is slow, copying too little is wrong.
/// </remarks>
internal static class KernelBodyAnalysis
{
    /// <summary>How many calls deep the walk follows a view or looks for group semantics (as deep as the analyzer walks).</summary>
    public const int MaxDepth = 8;

    /// <summary>The view members a host copy offers besides its indexers (<c>HostView</c>, <c>HostView2D</c>).</summary>
    private static readonly HashSet<string> s_hostMembers = new(StringComparer.Ordinal) { "Length", "IntLength", "Extent", "IntExtent" };

    /// <summary>The view members that touch no element.</summary>
    private static readonly HashSet<string> s_shapeMembers = new(StringComparer.Ordinal) { "Length", "IntLength", "Extent", "IntExtent", "IsValid", "LengthInBytes", "Stride" };

    /// <summary>ILGPU types whose members need a real group: shared and local memory, barriers, warp and group intrinsics.</summary>
    private static readonly HashSet<string> s_groupTypes = new(StringComparer.Ordinal)
    {
        "ILGPU.Grid", "ILGPU.Group", "ILGPU.Warp", "ILGPU.SharedMemory", "ILGPU.LocalMemory",
    };

    [Flags]
    private enum Access
    {
        None = 0,
        Read = 1,
        Write = 2,
        Unknown = Read | Write,
    }

    /// <summary>How a view parameter's data must be copied.</summary>
    /// <param name="body">The kernel's body.</param>
    /// <param name="parameter">The view parameter.</param>
    /// <param name="compilation">The compilation, to follow calls into other files.</param>
    /// <param name="token">Cancellation.</param>
    public static CopyDirection DirectionOf(IOperation body, IParameterSymbol parameter, Compilation compilation, CancellationToken token)
    {
        Access access = AccessIn(body, parameter, compilation, 0, token);
        return access switch
        {
            Access.Write => CopyDirection.Out,
            Access.Unknown => CopyDirection.InOut,
            _ => CopyDirection.In,
        };
    }

    /// <summary>Whether every use of the views in <paramref name="body"/> is an indexer or an extent, which a host copy supports.</summary>
    /// <param name="body">The kernel's body.</param>
    /// <param name="views">The view parameters.</param>
    public static bool CanRunOnHostViews(IOperation body, IEnumerable<IParameterSymbol> views)
    {
        var set = new HashSet<IParameterSymbol>(views, SymbolEqualityComparer.Default);
        foreach (IParameterReferenceOperation reference in body.Descendants().OfType<IParameterReferenceOperation>())
        {
            if (!set.Contains(reference.Parameter))
            {
                continue;
            }

            if (reference.Parent is not IPropertyReferenceOperation property
                || !ReferenceEquals(property.Instance, reference)
                || !(property.Property.IsIndexer || s_hostMembers.Contains(property.Property.Name)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether the body, or a method with source it calls, uses shared memory, barriers, warp or group intrinsics.</summary>
    /// <param name="body">The kernel's body.</param>
    /// <param name="compilation">The compilation, to follow calls into other files.</param>
    /// <param name="token">Cancellation.</param>
    public static bool UsesGroupSemantics(IOperation body, Compilation compilation, CancellationToken token)
        => UsesGroupSemantics(body, compilation, 0, new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default), token);

    /// <summary>Whether <paramref name="type"/> is one whose members need a real group (see <see cref="s_groupTypes"/>), or an ILGPU.Algorithms group or warp extension.</summary>
    /// <param name="type">The type that declares a member the body uses.</param>
    public static bool IsGroupType(INamedTypeSymbol? type)
    {
        if (type is null)
        {
            return false;
        }

        string name = type.OriginalDefinition.ToDisplayString();
        return s_groupTypes.Contains(name)
            || (name.StartsWith("ILGPU.Algorithms.", StringComparison.Ordinal)
                && (type.Name.StartsWith("Group", StringComparison.Ordinal) || type.Name.StartsWith("Warp", StringComparison.Ordinal)));
    }

    private static bool UsesGroupSemantics(IOperation body, Compilation compilation, int depth, HashSet<IMethodSymbol> visited, CancellationToken token)
    {
        foreach (IOperation operation in body.Descendants())
        {
            token.ThrowIfCancellationRequested();
            switch (operation)
            {
                case IInvocationOperation invocation:
                    if (IsGroupType(invocation.TargetMethod.ContainingType))
                    {
                        return true;
                    }

                    if (depth < MaxDepth
                        && visited.Add(invocation.TargetMethod.OriginalDefinition)
                        && BodyOf(invocation.TargetMethod, compilation, token) is { } callee
                        && UsesGroupSemantics(callee, compilation, depth + 1, visited, token))
                    {
                        return true;
                    }

                    break;
                case IPropertyReferenceOperation property when IsGroupType(property.Property.ContainingType):
                    return true;
                case IFieldReferenceOperation field when IsGroupType(field.Field.ContainingType):
                    return true;
            }
        }

        return false;
    }

    private static Access AccessIn(IOperation body, IParameterSymbol parameter, Compilation compilation, int depth, CancellationToken token)
    {
        Access access = Access.None;
        foreach (IParameterReferenceOperation reference in body.Descendants().OfType<IParameterReferenceOperation>())
        {
            token.ThrowIfCancellationRequested();
            if (SymbolEqualityComparer.Default.Equals(reference.Parameter, parameter))
            {
                access |= AccessOf(reference, compilation, depth, token);
                if (access == Access.Unknown)
                {
                    break;
                }
            }
        }

        return access;
    }

    private static Access AccessOf(IParameterReferenceOperation reference, Compilation compilation, int depth, CancellationToken token)
    {
        switch (reference.Parent)
        {
            case IPropertyReferenceOperation property when ReferenceEquals(property.Instance, reference):
                if (property.Property.IsIndexer)
                {
                    return ElementAccess(property);
                }

                return s_shapeMembers.Contains(property.Property.Name) ? Access.None : Access.Unknown;

            case IArgumentOperation { Parent: IInvocationOperation invocation, Parameter: { } calleeParameter }
                when depth < MaxDepth
                    && calleeParameter.RefKind == RefKind.None
                    && !SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.OriginalDefinition, reference.Parameter.ContainingSymbol)
                    && BodyOf(invocation.TargetMethod, compilation, token) is { } callee:
                return AccessIn(callee, calleeParameter.OriginalDefinition, compilation, depth + 1, token);

            default:
                return Access.Unknown;
        }
    }

    /// <summary>How an element access (<c>view[i]</c>) is used by the operation around it.</summary>
    private static Access ElementAccess(IOperation element)
    {
        IOperation? parent = element.Parent;
        while (parent is IConversionOperation or IParenthesizedOperation)
        {
            element = parent;
            parent = parent.Parent;
        }

        switch (parent)
        {
            case ISimpleAssignmentOperation assignment when ReferenceEquals(assignment.Target, element):
                return assignment.IsRef ? Access.Unknown : Access.Write;
            case ISimpleAssignmentOperation { IsRef: true }:
                return Access.Unknown;
            case ICompoundAssignmentOperation compound when ReferenceEquals(compound.Target, element):
            case ICoalesceAssignmentOperation coalesce when ReferenceEquals(coalesce.Target, element):
            case IIncrementOrDecrementOperation:
                return Access.Read | Access.Write;
            case IArgumentOperation argument:
                return argument.Parameter?.RefKind switch
                {
                    RefKind.Out => Access.Write,
                    RefKind.Ref => Access.Read | Access.Write,
                    _ => Access.Read,
                };
            case IFieldReferenceOperation or IPropertyReferenceOperation:
                // A member of an element: written if that member is, and the rest of the element is kept.
                return ElementAccess(parent) == Access.Read ? Access.Read : Access.Read | Access.Write;
            case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation { Symbol.RefKind: not RefKind.None } }:
            case IReturnOperation:
            case ITupleOperation:
                return Access.Unknown;
            default:
                return Access.Read;
        }
    }

    /// <summary>The body of a method declared in source, or null.</summary>
    public static IOperation? BodyOf(IMethodSymbol method, Compilation compilation, CancellationToken token)
    {
        foreach (SyntaxReference reference in method.OriginalDefinition.DeclaringSyntaxReferences)
        {
            SyntaxNode node = reference.GetSyntax(token);
            if (!compilation.ContainsSyntaxTree(node.SyntaxTree))
            {
                continue;
            }

            SemanticModel model = compilation.GetSemanticModel(node.SyntaxTree);
            if (model.GetOperation(node, token) is { } operation)
            {
                return operation;
            }
        }

        return null;
    }
}
