using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ParallelKit.Analyzers.Helpers;

/// <summary>
/// Adds and removes modifiers of a member declaration without disturbing its formatting: the trivia in
/// front of the first modifier (indentation, comments, doc comments) stays in front of whatever token
/// comes first after the edit.
/// </summary>
internal static class ModifierRewriter
{
    /// <summary>Inserts <paramref name="kind"/> at <paramref name="index"/> in the modifier list.</summary>
    public static TMember Insert<TMember>(TMember member, int index, SyntaxKind kind)
        where TMember : MemberDeclarationSyntax
        => Rewrite(member, modifiers => modifiers.Insert(index, SyntaxFactory.Token(kind).WithTrailingTrivia(SyntaxFactory.Space)));

    /// <summary>Removes every modifier for which <paramref name="predicate"/> holds.</summary>
    public static TMember RemoveAll<TMember>(TMember member, Func<SyntaxToken, bool> predicate)
        where TMember : MemberDeclarationSyntax
        => Rewrite(member, modifiers => SyntaxFactory.TokenList(modifiers.Where(token => !predicate(token))));

    /// <summary>Whether the declaration carries the modifier <paramref name="kind"/>.</summary>
    public static bool Has(MemberDeclarationSyntax member, SyntaxKind kind)
        => member.Modifiers.Any(kind);

    private static TMember Rewrite<TMember>(TMember member, Func<SyntaxTokenList, SyntaxTokenList> rewrite)
        where TMember : MemberDeclarationSyntax
    {
        var modifiers = member.Modifiers;

        // The token that follows the modifiers: the return type of a method, the keyword of a type.
        var next = modifiers.Count > 0
            ? modifiers.Last().GetNextToken()
            : member.AttributeLists.Count > 0 ? member.AttributeLists.Last().GetLastToken().GetNextToken() : member.GetFirstToken();

        // Whichever token starts the declaration after its attributes owns the indentation and comments.
        var first = modifiers.Count > 0 ? modifiers[0] : next;
        var leading = first.LeadingTrivia;

        if (modifiers.Count > 0)
        {
            modifiers = modifiers.Replace(modifiers[0], modifiers[0].WithLeadingTrivia());
        }

        var rewritten = rewrite(modifiers);
        var nextLeading = modifiers.Count > 0 ? next.LeadingTrivia : default;
        if (rewritten.Count > 0)
        {
            rewritten = rewritten.Replace(rewritten[0], rewritten[0].WithLeadingTrivia(leading));
        }
        else
        {
            nextLeading = leading;
        }

        var result = member.ReplaceToken(next, next.WithLeadingTrivia(nextLeading));
        return (TMember)result.WithModifiers(rewritten);
    }
}
