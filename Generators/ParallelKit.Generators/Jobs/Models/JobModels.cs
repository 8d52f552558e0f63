using ParallelKit.Generators.Helpers;

namespace ParallelKit.Generators.Jobs.Models;

/// <summary>How a job method returns.</summary>
internal enum JobReturnKind
{
    Void,
    Task,
    ValueTask,
    Value,
    TaskOfT,
    ValueTaskOfT,
}

/// <summary>One parameter of a job method.</summary>
/// <param name="Name">The parameter's name, escaped with '@' where it is a keyword.</param>
/// <param name="Type">The fully qualified type, nullable annotations included.</param>
/// <param name="IsCancellationToken">Whether this is the job's <c>CancellationToken</c> (not marshaled).</param>
/// <param name="DefaultValue">The default value's C# text, or null.</param>
/// <param name="IsParams">Whether the parameter is a <c>params</c> array.</param>
internal sealed record ParameterModel(string Name, string Type, bool IsCancellationToken, string? DefaultValue, bool IsParams);

/// <summary>One [ParallelJob] method, as the generator needs it: strings, enums and equatable arrays only.</summary>
/// <param name="MethodName">The job's name, escaped with '@' where it is a keyword; also its factory's name.</param>
/// <param name="CallClassName">The call class's name, unique among the factories and call classes of the <c>Jobs</c> class.</param>
/// <param name="DisplayName">The job's name as messages show it (<c>Namespace.Type.Method</c>).</param>
/// <param name="Accessibility">The factory's accessibility: "public" or "internal".</param>
/// <param name="ReturnKind">How the job returns.</param>
/// <param name="ResultType">The fully qualified result type, or null for jobs without a result.</param>
/// <param name="Key">The job's key, the same in every process.</param>
/// <param name="DocumentationId">The job as a cref names it, relative to its type.</param>
/// <param name="Parameters">The job's parameters, in order.</param>
/// <param name="FactoryHidesObjectMember">Whether the factory has the signature of a member of <c>object</c> (a job named <c>ToString()</c>) and needs <c>new</c>.</param>
internal sealed record JobModel(
    string MethodName,
    string CallClassName,
    string DisplayName,
    string Accessibility,
    JobReturnKind ReturnKind,
    string? ResultType,
    ulong Key,
    string DocumentationId,
    EquatableArray<ParameterModel> Parameters,
    bool FactoryHidesObjectMember,
    bool Retry = true,
    string? Requires = null);

/// <summary>The jobs declared in one type, and how to re-open that type.</summary>
/// <param name="Namespace">The containing namespace as C# spells it, or null for the global namespace.</param>
/// <param name="FullyQualifiedName">The type's <c>global::</c>-qualified name.</param>
/// <param name="MetadataName">The type's runtime name (<c>Namespace.Outer+Inner</c>), part of every job key.</param>
/// <param name="HintName">The generated file's hint name, unique within the compilation; set when jobs are grouped by type.</param>
/// <param name="Hierarchy">The type and its containing types, outermost first.</param>
/// <param name="Jobs">The type's jobs, in declaration order.</param>
/// <param name="SourceBaseTypes">The type's base classes declared in this compilation, fully qualified: those that get jobs get a generated <c>Jobs</c> class too.</param>
/// <param name="HidesInheritedJobs">
/// Whether the type's <c>Jobs</c> class hides an inherited member named <c>Jobs</c>, and so is declared <c>new</c>
/// (CS0108 otherwise). The builder sets it when a base type already has such a member (a referenced base type's
/// generated class, or a member of the user's); grouping also sets it when one of <paramref name="SourceBaseTypes"/> gets jobs.
/// </param>
internal sealed record JobTypeModel(
    string? Namespace,
    string FullyQualifiedName,
    string MetadataName,
    string HintName,
    EquatableArray<TypeDeclarationModel> Hierarchy,
    EquatableArray<JobModel> Jobs,
    EquatableArray<string> SourceBaseTypes,
    bool HidesInheritedJobs);

/// <summary>A job found in the compilation, before grouping by type.</summary>
internal sealed record JobDeclaration(JobTypeModel Type, JobModel Job);

/// <summary>What the executable's worker entrypoint must register.</summary>
/// <param name="IsExecutable">Whether the compilation is an executable (only executables get an entrypoint).</param>
/// <param name="HasRuntime">Whether ParallelKit's runtime is referenced.</param>
/// <param name="AssemblyName">The compilation's assembly name.</param>
/// <param name="ReferencedJobTables">Fully qualified job tables of referenced assemblies.</param>
/// <param name="EntryType">
/// The type declaring <c>Main</c>, when workers can be served from its static constructor (see
/// <see cref="EntryTypeModel"/>); <see langword="null"/> when workers need the .NET startup hook.
/// </param>
internal sealed record EntryPointModel(bool IsExecutable, bool HasRuntime, string AssemblyName, EquatableArray<string> ReferencedJobTables, EntryTypeModel? EntryType);

/// <summary>
/// The type declaring <c>Main</c> (the <c>Program</c> of top-level statements, or a partial class), when a
/// generated static constructor can serve workers before <c>Main</c>: a worker started that way skips the
/// .NET startup hook (~7 ms of every worker's start-up). Only a partial, non-nested class with no static
/// constructor and no member but <c>Main</c> (and nested types) qualifies: while a worker serves jobs from
/// that constructor, other threads cannot enter the type, and such a type has nothing they could call.
/// </summary>
/// <param name="Namespace">The containing namespace, keywords escaped; empty for the global namespace.</param>
/// <param name="Name">The type's name, keywords escaped.</param>
internal sealed record EntryTypeModel(string Namespace, string Name);
