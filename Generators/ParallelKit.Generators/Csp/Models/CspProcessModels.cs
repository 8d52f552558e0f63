using ParallelKit.Generators.Helpers;
using ParallelKit.Generators.Jobs.Models;

namespace ParallelKit.Generators.Csp.Models;

/// <summary>What a parameter of a process carries, which decides how it is marshaled, collected and forked.</summary>
internal enum CspParameterKind
{
    /// <summary>An ordinary argument, marshaled by value.</summary>
    Value,

    /// <summary>The network's <c>CancellationToken</c>, never marshaled.</summary>
    CancellationToken,

    /// <summary>A <c>ChannelIn&lt;T&gt;</c> or <c>ChannelOut&lt;T&gt;</c>.</summary>
    End,

    /// <summary>An array of ends.</summary>
    EndArray,

    /// <summary>A <c>List</c>, <c>IList</c>, <c>IReadOnlyList</c> or <c>IEnumerable</c> of ends.</summary>
    EndList,
}

/// <summary>One type declaration enclosing a process, to re-open it as a partial declaration.</summary>
/// <param name="Keyword">"class", "struct", "record", "record struct" or "interface".</param>
/// <param name="Name">The type's name.</param>
internal sealed record CspTypeDeclarationModel(string Keyword, string Name);

/// <summary>One parameter of a process method.</summary>
/// <param name="Name">The parameter's name, escaped with '@' where it is a keyword.</param>
/// <param name="FieldName">The field holding it in the process class.</param>
/// <param name="Type">The fully qualified type, nullable annotations included.</param>
/// <param name="Kind">What it carries.</param>
/// <param name="IsInput">For ends: whether they are <c>ChannelIn&lt;T&gt;</c> (else <c>ChannelOut&lt;T&gt;</c>).</param>
/// <param name="ElementType">For ends: the channel's value type, fully qualified.</param>
internal sealed record CspParameterModel(string Name, string FieldName, string Type, CspParameterKind Kind, bool IsInput, string? ElementType);

/// <summary>One [CspProcess] method: strings, enums and equatable arrays only.</summary>
/// <param name="MethodName">The method's name, escaped; also its factory's name.</param>
/// <param name="ClassName">The process class's name (<c>{Method}Process</c>, numbered for overloads).</param>
/// <param name="DisplayName">The process's name as messages show it (<c>Namespace.Type.Method</c>).</param>
/// <param name="Accessibility">The factory's accessibility: "public" or "internal".</param>
/// <param name="ReturnKind">How the method returns.</param>
/// <param name="ResultType">The fully qualified result type, or null for processes without a result.</param>
/// <param name="Key">The process's key, the same in every OS process.</param>
/// <param name="DocumentationId">The method as a cref names it, relative to its type.</param>
/// <param name="Parameters">The method's parameters, in order.</param>
/// <param name="Propagate">Whether the process retires (or poisons) its ends when it ends.</param>
internal sealed record CspProcessModel(
    string MethodName,
    string ClassName,
    string DisplayName,
    string Accessibility,
    JobReturnKind ReturnKind,
    string? ResultType,
    ulong Key,
    string DocumentationId,
    EquatableArray<CspParameterModel> Parameters,
    bool Propagate);

/// <summary>The processes declared in one type, and how to re-open that type.</summary>
/// <param name="Namespace">The containing namespace, or null for the global namespace.</param>
/// <param name="FullyQualifiedName">The type's <c>global::</c>-qualified name.</param>
/// <param name="MetadataName">The type's runtime name; part of every process key and of the hint name.</param>
/// <param name="Hierarchy">The type and its containing types, outermost first.</param>
/// <param name="Processes">The type's processes, in declaration order.</param>
internal sealed record CspTypeModel(
    string? Namespace,
    string FullyQualifiedName,
    string MetadataName,
    EquatableArray<CspTypeDeclarationModel> Hierarchy,
    EquatableArray<CspProcessModel> Processes);

/// <summary>A process found in the compilation, before grouping by type.</summary>
internal sealed record CspProcessDeclaration(CspTypeModel Type, CspProcessModel Process);
