using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using ParallelKit.Gpu.Generators.Kernels.Models;
using ParallelKit.Rules;

namespace ParallelKit.Gpu.Generators.Kernels;

/// <summary>
/// What the generator learns from a kernel's body (its <see cref="IOperation"/> tree): how each view is
/// used (read, written, both), and whether its body can be copied to run on host memory. Whether it is valid,
/// and whether it has group semantics, is <see cref="KernelBodyRules"/>' to say.
/// </summary>
/// <remarks>
/// Calls into methods with source are followed where a view is passed along, up to <see cref="KernelRules.MaxCallDepth"/>
/// calls deep. Anything the walk cannot follow (a view stored in a local, a <c>SubView</c>, a call into a
/// method without source, a <c>ref</c> local to an element) counts as read and written: copying too much
/// is slow, copying too little is wrong.
/// </remarks>
internal static class KernelBodyAnalysis
{
    /// <summary>The view members a host copy offers besides its indexers (<c>HostView</c>, <c>HostView2D</c>).</summary>
    private static readonly HashSet<string> s_hostMembers = new(StringComparer.Ordinal) { "Length", "IntLength", "Extent", "IntExtent" };

    /// <summary>The view members that touch no element.</summary>
    private static readonly HashSet<string> s_shapeMembers = new(StringComparer.Ordinal) { "Length", "IntLength", "Extent", "IntExtent", "IsValid", "LengthInBytes", "Stride" };

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
                when depth < KernelRules.MaxCallDepth
                    && calleeParameter.RefKind == RefKind.None
                    && !SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.OriginalDefinition, reference.Parameter.ContainingSymbol)
                    && KernelRules.BodyOf(invocation.TargetMethod, compilation, token) is { } callee:
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
}
