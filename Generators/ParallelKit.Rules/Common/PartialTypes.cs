using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ParallelKit.Analyzers.Helpers;

/// <summary>Syntax questions about a job declaration that the analyzer and its code fixes must answer alike.</summary>
internal static class JobSyntax
{
    /// <summary>
    /// The declarations of the type holding <paramref name="member"/> and of every type enclosing it that lack
    /// <c>partial</c>, outermost first. A type that is not partial has exactly this one declaration.
    /// </summary>
    public static List<TypeDeclarationSyntax> GetNonPartialEnclosingTypes(SyntaxNode member)
    {
        var result = new List<TypeDeclarationSyntax>();
        for (var node = member.Parent; node is not null; node = node.Parent)
        {
            if (node is TypeDeclarationSyntax type && !type.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                result.Add(type);
            }
        }

        result.Reverse();
        return result;
    }
}
