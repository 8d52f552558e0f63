using ParallelKit.Generators.Helpers;
using ParallelKit.Generators.Jobs.Models;

namespace ParallelKit.Generators.ManagedTypes;

/// <summary>A <c>[ManagedType]</c> class: what its proxy and its manager-side dispatch need.</summary>
/// <param name="Namespace">The namespace, or null for the global one.</param>
/// <param name="FullyQualifiedName">The class, <c>global::</c>-qualified.</param>
/// <param name="MetadataName">The class's full metadata name (<c>Ns.Outer+Inner</c>): its key in the manager.</param>
/// <param name="AssemblyName">The declaring assembly, which the manager loads if it has not.</param>
/// <param name="Name">The class's simple name, for docs and errors.</param>
/// <param name="HintName">The generated file's name.</param>
/// <param name="Hierarchy">The class and the types enclosing it, outermost first.</param>
/// <param name="Constructors">The public constructors, in declaration order.</param>
/// <param name="Methods">The proxied methods, in declaration order.</param>
internal sealed record ManagedTypeModel(
    string? Namespace,
    string FullyQualifiedName,
    string MetadataName,
    string AssemblyName,
    string Name,
    string HintName,
    EquatableArray<TypeDeclarationModel> Hierarchy,
    EquatableArray<ManagedMemberModel> Constructors,
    EquatableArray<ManagedMemberModel> Methods);

/// <summary>A proxied method or a public constructor.</summary>
/// <param name="Name">The method's name, escaped where it is a keyword (empty for a constructor).</param>
/// <param name="PlainName">The name as written, for errors.</param>
/// <param name="ReturnType">The fully qualified result type, or null for <c>void</c> (and constructors).</param>
/// <param name="Parameters">The parameters.</param>
internal sealed record ManagedMemberModel(string Name, string PlainName, string? ReturnType, EquatableArray<ManagedParameterModel> Parameters);

/// <summary>A parameter of a proxied method or constructor.</summary>
/// <param name="Name">The name, escaped where it is a keyword.</param>
/// <param name="Type">The fully qualified type, nullable annotations included.</param>
/// <param name="DefaultValue">The default value's C# text, or null.</param>
/// <param name="IsParams">Whether it is a <c>params</c> array.</param>
internal sealed record ManagedParameterModel(string Name, string Type, string? DefaultValue, bool IsParams);
