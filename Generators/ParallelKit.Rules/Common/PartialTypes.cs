using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ParallelKit.Rules;

/// <summary>Whether generated code can add a part to the types that enclose a member: the rules, their code fixes and the generators ask here.</summary>
internal static class PartialTypes
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

    /// <summary>The first declaration of <paramref name="symbol"/> of the syntax kind <typeparamref name="T"/>, or null (metadata, another kind).</summary>
    public static T? DeclarationOf<T>(ISymbol symbol, CancellationToken cancellationToken)
        where T : SyntaxNode
    {
        foreach (var reference in symbol.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is T declaration)
            {
                return declaration;
            }
        }

        return null;
    }
}
