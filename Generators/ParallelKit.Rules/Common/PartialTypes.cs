using System.Collections.Generic;
using System.Linq;
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

    /// <summary>
    /// The violation of the rule <paramref name="id"/> (PK1002, PK2002) where types enclosing the declaration
    /// <paramref name="member"/> lack <c>partial</c>: it names them, and points at each; null where none does.
    /// </summary>
    public static RuleViolation? NotPartial(string id, SyntaxNode member, Location location, string memberName)
    {
        var nonPartial = GetNonPartialEnclosingTypes(member);
        return nonPartial.Count == 0
            ? null
            : new RuleViolation(
                id,
                location,
                nonPartial.Select(static type => type.Identifier.GetLocation()),
                memberName,
                RuleText.JoinWithAnd([.. nonPartial.Select(static type => "'" + type.Identifier.ValueText + "'")]));
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
