using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace ParallelKit.Generators.Helpers;

/// <summary>One type declaration enclosing generated members, to re-open it as a partial declaration.</summary>
/// <param name="Keyword">"class", "struct", "record", "record struct" or "interface".</param>
/// <param name="Name">The type's name, escaped with '@' where it is a keyword, with its type parameters where asked for.</param>
internal sealed record TypeDeclarationModel(string Keyword, string Name);

/// <summary>
/// The namespace and the nested partial declarations generated members go into, and the one writer that opens and
/// closes them (after ComputeSharp's <c>HierarchyInfo</c>).
/// </summary>
internal static class TypeHierarchy
{
    /// <summary>The declarations from the outermost type to <paramref name="type"/> itself.</summary>
    /// <param name="type">The innermost type.</param>
    /// <param name="withTypeParameters">Whether each name carries its type parameters (<c>Outer&lt;T&gt;</c>).</param>
    public static EquatableArray<TypeDeclarationModel> From(INamedTypeSymbol type, bool withTypeParameters = false)
    {
        var hierarchy = new List<TypeDeclarationModel>();
        for (INamedTypeSymbol? enclosing = type; enclosing is not null; enclosing = enclosing.ContainingType)
        {
            string name = Identifiers.Escape(enclosing.Name) + (withTypeParameters ? TypeParameters(enclosing) : string.Empty);
            hierarchy.Insert(0, new TypeDeclarationModel(Keyword(enclosing), name));
        }

        return hierarchy.ToEquatableArray();
    }

    /// <summary>The namespace of <paramref name="type"/> as a <c>namespace</c> declaration names it, or null for the global namespace.</summary>
    public static string? NamespaceOf(INamedTypeSymbol type)
        => type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null;

    /// <summary>
    /// Writes <c>namespace N {</c> and one <c>partial … {</c> per declaration, outermost first; disposing the result
    /// closes them all again.
    /// </summary>
    /// <param name="writer">The writer.</param>
    /// <param name="ns">The namespace, or null for the global namespace.</param>
    /// <param name="hierarchy">The declarations, outermost first.</param>
    /// <param name="innermostBaseList">What the innermost declaration adds after its name (a base list), or null.</param>
    public static IDisposable Open(IndentedTextWriter writer, string? ns, EquatableArray<TypeDeclarationModel> hierarchy, string? innermostBaseList = null)
    {
        var blocks = new Stack<IDisposable>();
        if (ns is not null)
        {
            blocks.Push(writer.Block($"namespace {ns}"));
        }

        for (int i = 0; i < hierarchy.Length; i++)
        {
            string header = $"partial {hierarchy[i].Keyword} {hierarchy[i].Name}";
            if (i == hierarchy.Length - 1 && innermostBaseList is not null)
            {
                header += " : " + innermostBaseList;
            }

            blocks.Push(writer.Block(header));
        }

        return new Closer(blocks);
    }

    private static string Keyword(INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Struct } => "struct",
        { TypeKind: TypeKind.Interface } => "interface",
        _ => "class",
    };

    private static string TypeParameters(INamedTypeSymbol type)
        => type.TypeParameters.IsEmpty
            ? string.Empty
            : "<" + string.Join(", ", type.TypeParameters.Select(static p => p.Variance switch
            {
                VarianceKind.In => "in ",
                VarianceKind.Out => "out ",
                _ => string.Empty,
            } + Identifiers.Escape(p.Name))) + ">";

    private sealed class Closer(Stack<IDisposable> blocks) : IDisposable
    {
        public void Dispose()
        {
            while (blocks.Count > 0)
            {
                blocks.Pop().Dispose();
            }
        }
    }
}
