using Microsoft.CodeAnalysis;

namespace ParallelKit.Analyzers.Diagnostics;

/// <summary>
/// Every diagnostic ParallelKit's analyzers report. IDs are <c>PK####</c>; the thousands digit names
/// the feature (1: jobs, 2: shared state, 3: GPU kernels), and each ID has a page under
/// <c>docs/diagnostics</c>.
/// </summary>
public static class DiagnosticDescriptors
{
    /// <summary>The category of every job diagnostic (PK1xxx).</summary>
    public const string JobsCategory = "ParallelKit.Jobs";

    /// <summary>The ID of <see cref="JobMustBeStatic"/>.</summary>
    public const string JobMustBeStaticId = "PK1001";

    /// <summary>The ID of <see cref="JobMustBeInPartialType"/>.</summary>
    public const string JobMustBeInPartialTypeId = "PK1002";

    /// <summary>The ID of <see cref="JobParameterCannotBeMarshaled"/>.</summary>
    public const string JobParameterCannotBeMarshaledId = "PK1003";

    /// <summary>The ID of <see cref="JobResultCannotBeMarshaled"/>.</summary>
    public const string JobResultCannotBeMarshaledId = "PK1004";

    /// <summary>The ID of <see cref="JobParameterByReference"/>.</summary>
    public const string JobParameterByReferenceId = "PK1005";

    /// <summary>The ID of <see cref="JobParameterIsDelegate"/>.</summary>
    public const string JobParameterIsDelegateId = "PK1006";

    /// <summary>The ID of <see cref="JobMustNotBeGeneric"/>.</summary>
    public const string JobMustNotBeGenericId = "PK1007";

    /// <summary>The ID of <see cref="JobInGenericType"/>.</summary>
    public const string JobInGenericTypeId = "PK1008";

    /// <summary>The ID of <see cref="JobsMemberNameConflict"/>.</summary>
    public const string JobsMemberNameConflictId = "PK1009";

    /// <summary>The ID of <see cref="JobHasSeveralCancellationTokens"/>.</summary>
    public const string JobHasSeveralCancellationTokensId = "PK1010";

    /// <summary>The ID of <see cref="JobFactoryConflict"/>.</summary>
    public const string JobFactoryConflictId = "PK1011";

    /// <summary>The ID of <see cref="JobInTypeNamedJobs"/>.</summary>
    public const string JobInTypeNamedJobsId = "PK1012";

    /// <summary>The ID of <see cref="JobInFileLocalType"/>.</summary>
    public const string JobInFileLocalTypeId = "PK1013";

    /// <summary>The ID of <see cref="JobMustBeOrdinaryMethod"/>.</summary>
    public const string JobMustBeOrdinaryMethodId = "PK1014";

    /// <summary>The ID of <see cref="JobInInaccessibleType"/>.</summary>
    public const string JobInInaccessibleTypeId = "PK1015";

    /// <summary>The ID of <see cref="JobSignatureTypeInaccessible"/>.</summary>
    public const string JobSignatureTypeInaccessibleId = "PK1016";

    /// <summary>The category of every shared-state diagnostic (PK2xxx).</summary>
    public const string SharedMemoryCategory = ParallelKit.Rules.SharedValueDescriptors.Category;

    /// <summary>The ID of <see cref="SharedValuePropertyMustBePartial"/>.</summary>
    public const string SharedValuePropertyMustBePartialId = "PK2001";

    /// <summary>The ID of <see cref="SharedValueMustBeInPartialType"/>.</summary>
    public const string SharedValueMustBeInPartialTypeId = "PK2002";

    /// <summary>The ID of <see cref="SharedValueTypeCannotBeShared"/>.</summary>
    public const string SharedValueTypeCannotBeSharedId = "PK2003";

    /// <summary>The ID of <see cref="SharedValueUnsupportedProperty"/>.</summary>
    public const string SharedValueUnsupportedPropertyId = "PK2004";

    /// <summary>The ID of <see cref="SharedValueUnsupportedType"/>.</summary>
    public const string SharedValueUnsupportedTypeId = "PK2005";

    /// <summary>The ID of <see cref="SharedValueMemberConflict"/>.</summary>
    public const string SharedValueMemberConflictId = "PK2006";

    /// <summary>The ID of <see cref="SharedValueReadModifyWrite"/>.</summary>
    public const string SharedValueReadModifyWriteId = "PK2007";

    /// <summary>The ID of <see cref="SharedValueBackingMemberAccess"/>.</summary>
    public const string SharedValueBackingMemberAccessId = "PK2008";

    /// <summary>Where the docs page of each ID lives: the prefix, then <c>PK####.md</c>.</summary>
    private const string HelpLinkPrefix = "https://github.com/parallelkit/parallelkit/blob/main/docs/diagnostics/";

    /// <summary>
    /// PK1001: a <c>[ParallelJob]</c> method is an instance method.
    /// <para>Format: <c>"Job '{0}' must be static; a worker process has no instance to call it on"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor JobMustBeStatic = new(
        JobMustBeStaticId,
        title: "Job must be static",
        messageFormat: "Job '{0}' must be static; a worker process has no instance to call it on",
        category: JobsCategory,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A [ParallelJob] method runs in another process, which has no instance of the containing type, so it must be static.",
        helpLinkUri: HelpLinkPrefix + JobMustBeStaticId + ".md");

    /// <summary>
    /// PK1002: the type that declares a job, or a type enclosing it, is not <c>partial</c>.
    /// <para>Format: <c>"Job '{0}' must be declared in partial types; make {1} partial so that the generator can add the nested class 'Jobs'"</c>,
    /// where <c>{1}</c> lists the quoted names of the types to mark, outermost first.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor JobMustBeInPartialType = new(
        JobMustBeInPartialTypeId,
        title: "Job must be declared in a partial type",
        messageFormat: "Job '{0}' must be declared in partial types; make {1} partial so that the generator can add the nested class 'Jobs'",
        category: JobsCategory,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The generator emits a nested class 'Jobs' into the type that declares a [ParallelJob] method, so that type and every type enclosing it must be partial.",
        helpLinkUri: HelpLinkPrefix + JobMustBeInPartialTypeId + ".md");

    /// <summary>
    /// PK1003: a job parameter has a type that cannot be marshaled to a worker process.
    /// <para>Format: <c>"Parameter '{0}' of job '{1}' has type '{2}', which cannot be marshaled: {3}"</c>,
    /// where <c>{3}</c> is the reason given by the marshalability rules.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor JobParameterCannotBeMarshaled = new(
        JobParameterCannotBeMarshaledId,
        title: "Job parameter type cannot be marshaled",
        messageFormat: "Parameter '{0}' of job '{1}' has type '{2}', which cannot be marshaled: {3}",
        category: JobsCategory,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Job arguments are serialized with MemoryPack to reach the worker process, so every parameter type must have a static shape MemoryPack can serialize.",
        helpLinkUri: HelpLinkPrefix + JobParameterCannotBeMarshaledId + ".md");

    /// <summary>
    /// PK1004: the result of a job (the <c>T</c> of <c>Task&lt;T&gt;</c> and <c>ValueTask&lt;T&gt;</c>) cannot be marshaled back.
    /// <para>Format: <c>"The result of job '{0}' has type '{1}', which cannot be marshaled: {2}"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor JobResultCannotBeMarshaled = new(
        JobResultCannotBeMarshaledId,
        title: "Job result type cannot be marshaled",
        messageFormat: "The result of job '{0}' has type '{1}', which cannot be marshaled: {2}",
        category: JobsCategory,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A job's result is serialized with MemoryPack to come back from the worker process, so the result type must have a static shape MemoryPack can serialize.",
        helpLinkUri: HelpLinkPrefix + JobResultCannotBeMarshaledId + ".md");

    /// <summary>
    /// PK1005: a job parameter is <c>ref</c>, <c>out</c>, <c>in</c> or <c>ref readonly</c>.
    /// <para>Format: <c>"Parameter '{0}' of job '{1}' is passed by '{2}'; a job gets a copy of its arguments in another process, so it cannot write back to or alias the caller's variables"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor JobParameterByReference = new(
        JobParameterByReferenceId,
        title: "Job parameter must be passed by value",
        messageFormat: "Parameter '{0}' of job '{1}' is passed by '{2}'; a job gets a copy of its arguments in another process, so it cannot write back to or alias the caller's variables",
        category: JobsCategory,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Job arguments are copied into the worker process; references to the caller's variables cannot cross processes, so ref, out, in and ref readonly parameters are not supported. Return the values instead.",
        helpLinkUri: HelpLinkPrefix + JobParameterByReferenceId + ".md");

    /// <summary>
    /// PK1006: a job parameter is a delegate or an expression tree.
    /// <para>Format: <c>"Parameter '{0}' of job '{1}' has the delegate type '{2}'; a delegate and the state it captures cannot cross processes, so pass the data it needs instead"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor JobParameterIsDelegate = new(
        JobParameterIsDelegateId,
        title: "Job parameter must not be a delegate",
        messageFormat: "Parameter '{0}' of job '{1}' has the delegate type '{2}'; a delegate and the state it captures cannot cross processes, so pass the data it needs instead",
        category: JobsCategory,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A delegate, a lambda or an expression tree refers to code and captured state of the calling process; neither can be marshaled to a worker process.",
        helpLinkUri: HelpLinkPrefix + JobParameterIsDelegateId + ".md");

    /// <summary>
    /// PK1007: a job method declares type parameters.
    /// <para>Format: <c>"Job '{0}' must not be generic; the generator needs concrete types to marshal its arguments and result, so declare one job per type"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor JobMustNotBeGeneric = new(
        JobMustNotBeGenericId,
        title: "Job must not be generic",
        messageFormat: "Job '{0}' must not be generic; the generator needs concrete types to marshal its arguments and result, so declare one job per type",
        category: JobsCategory,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The worker's dispatch table is emitted at compile time and calls each job with concrete types, so a [ParallelJob] method cannot have type parameters.",
        helpLinkUri: HelpLinkPrefix + JobMustNotBeGenericId + ".md");

    /// <summary>
    /// PK1008: a job is declared in a generic type, or in a type nested in one.
    /// <para>Format: <c>"Job '{0}' is declared in the generic type '{1}'; the worker's dispatch table needs a concrete type to call, so move the job to a non-generic type"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor JobInGenericType = new(
        JobInGenericTypeId,
        title: "Job must not be declared in a generic type",
        messageFormat: "Job '{0}' is declared in the generic type '{1}'; the worker's dispatch table needs a concrete type to call, so move the job to a non-generic type",
        category: JobsCategory,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The worker's dispatch table is emitted at compile time and calls each job on a concrete type, so a [ParallelJob] method cannot be declared in a generic type or in a type nested in one.",
        helpLinkUri: HelpLinkPrefix + JobInGenericTypeId + ".md");

    /// <summary>
    /// PK1009: the type that declares a job already has a member named <c>Jobs</c>.
    /// <para>Format: <c>"Type '{0}' already declares a member named 'Jobs', which conflicts with the nested class the generator emits for job '{1}'; rename the member"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor JobsMemberNameConflict = new(
        JobsMemberNameConflictId,
        title: "Type declaring jobs must not have a member named 'Jobs'",
        messageFormat: "Type '{0}' already declares a member named 'Jobs', which conflicts with the nested class the generator emits for job '{1}'; rename the member",
        category: JobsCategory,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The generator emits a nested class 'Jobs' holding one factory per job into the type that declares the jobs; another member with that name would clash with it.",
        helpLinkUri: HelpLinkPrefix + JobsMemberNameConflictId + ".md");

    /// <summary>
    /// PK1010: a job takes more than one <see cref="System.Threading.CancellationToken"/>.
    /// <para>Format: <c>"Job '{0}' takes more than one CancellationToken, and '{1}' is an extra one; a job has a single cancellation, which the worker passes to its one CancellationToken parameter"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor JobHasSeveralCancellationTokens = new(
        JobHasSeveralCancellationTokensId,
        title: "Job must take at most one CancellationToken",
        messageFormat: "Job '{0}' takes more than one CancellationToken, and '{1}' is an extra one; a job has a single cancellation, which the worker passes to its one CancellationToken parameter",
        category: JobsCategory,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A CancellationToken parameter is not marshaled: the worker passes the job's own cancellation in its place. There is only one, so a job may take at most one CancellationToken.",
        helpLinkUri: HelpLinkPrefix + JobHasSeveralCancellationTokensId + ".md");

    /// <summary>
    /// PK1011: two jobs of one type would get factories with the same signature, because they differ only in
    /// <see cref="System.Threading.CancellationToken"/> parameters, which factories leave out.
    /// <para>Format: <c>"Jobs '{0}' and '{1}' would get the same factory 'Jobs.{2}', since a factory leaves out the CancellationToken; rename one of them or change its other parameters"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor JobFactoryConflict = new(
        JobFactoryConflictId,
        title: "Jobs must not get factories with the same signature",
        messageFormat: "Jobs '{0}' and '{1}' would get the same factory 'Jobs.{2}', since a factory leaves out the CancellationToken; rename one of them or change its other parameters",
        category: JobsCategory,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Each job gets a factory in the nested class 'Jobs' with the job's name and parameters, less its CancellationToken. Two overloads that differ only in a CancellationToken would get two factories with the same signature, so neither gets one.",
        helpLinkUri: HelpLinkPrefix + JobFactoryConflictId + ".md");

    /// <summary>
    /// PK1012: the type that declares a job is itself named <c>Jobs</c>.
    /// <para>Format: <c>"Job '{0}' is declared in a type named 'Jobs', which cannot hold the nested class 'Jobs' the generator emits, since a member cannot have the name of its type; rename the type or move the job"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor JobInTypeNamedJobs = new(
        JobInTypeNamedJobsId,
        title: "Job must not be declared in a type named 'Jobs'",
        messageFormat: "Job '{0}' is declared in a type named 'Jobs', which cannot hold the nested class 'Jobs' the generator emits, since a member cannot have the name of its type; rename the type or move the job",
        category: JobsCategory,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The generator emits a nested class 'Jobs' into the type that declares the jobs; in a type itself named 'Jobs' that class would have the name of its enclosing type (CS0542).",
        helpLinkUri: HelpLinkPrefix + JobInTypeNamedJobsId + ".md");

    /// <summary>
    /// PK1013: a job is declared in a <c>file</c>-local type, or in a type nested in one.
    /// <para>Format: <c>"Job '{0}' is declared in the file-local type '{1}', which the generator cannot extend from its own file; make the type internal"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor JobInFileLocalType = new(
        JobInFileLocalTypeId,
        title: "Job must not be declared in a file-local type",
        messageFormat: "Job '{0}' is declared in the file-local type '{1}', which the generator cannot extend from its own file; make the type internal",
        category: JobsCategory,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The generator adds the nested class 'Jobs' in a file of its own, and the job table calls the job from another file; a file-local type is visible in its own file only.",
        helpLinkUri: HelpLinkPrefix + JobInFileLocalTypeId + ".md");

    /// <summary>
    /// PK1014: <c>[ParallelJob]</c> is applied to a method that is not an ordinary method of a type: a local function,
    /// a lambda, an operator, an accessor, a finalizer, an explicit interface implementation, or a static abstract or
    /// virtual interface member.
    /// <para>Format: <c>"[ParallelJob] cannot be applied to {0}; only an ordinary static method declared in a type can be a job"</c>,
    /// where <c>{0}</c> names the kind and the method, as in "the local function 'Square'".</para>
    /// </summary>
    public static readonly DiagnosticDescriptor JobMustBeOrdinaryMethod = new(
        JobMustBeOrdinaryMethodId,
        title: "Job must be an ordinary method",
        messageFormat: "[ParallelJob] cannot be applied to {0}; only an ordinary static method declared in a type can be a job",
        category: JobsCategory,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The generator calls a job by its name on its type, from a factory of the same name. Local functions, lambdas, operators, accessors, finalizers and explicit interface implementations have no such name, and a static abstract or virtual interface member can only be called through a type parameter, so none of them gets a factory.",
        helpLinkUri: HelpLinkPrefix + JobMustBeOrdinaryMethodId + ".md");

    /// <summary>
    /// PK1015: a job is declared in a private, protected or private protected type (or in a type nested in one),
    /// which the assembly's job table cannot reach.
    /// <para>Format: <c>"Job '{0}' is declared in {1}, which the assembly's job table cannot reach, so no worker could run the job; a job's containing types must be public or internal"</c>,
    /// where <c>{1}</c> lists the offending types with their accessibility, as in "the private type 'Hidden'".</para>
    /// </summary>
    public static readonly DiagnosticDescriptor JobInInaccessibleType = new(
        JobInInaccessibleTypeId,
        title: "Job must be declared in public or internal types",
        messageFormat: "Job '{0}' is declared in {1}, which the assembly's job table cannot reach, so no worker could run the job; a job's containing types must be public or internal",
        category: JobsCategory,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Worker processes find a job through the job table the generator emits into the assembly's namespace ParallelKit.Generated. That table can only name types that are public, internal or protected internal; a job in a private or protected type would fail in the worker with no job for its key.",
        helpLinkUri: HelpLinkPrefix + JobInInaccessibleTypeId + ".md");

    /// <summary>
    /// PK1016: a job takes or returns a type that is private, protected or private protected (or nested in one),
    /// which the generated factory and the assembly's job table cannot name.
    /// <para>Format: <c>"Job '{0}' takes or returns {1}, which the generated factory and the assembly's job table cannot name; make it public or internal"</c>,
    /// where <c>{1}</c> names the type with its accessibility, as in "the private type 'Step'".</para>
    /// </summary>
    public static readonly DiagnosticDescriptor JobSignatureTypeInaccessible = new(
        JobSignatureTypeInaccessibleId,
        title: "Job parameter and result types must be public or internal",
        messageFormat: "Job '{0}' takes or returns {1}, which the generated factory and the assembly's job table cannot name; make it public or internal",
        category: JobsCategory,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The generator emits a factory Type.Jobs.Method(...) and a call class for every job, reached from the assembly's job table. A nested class cannot expose a type that is private to the job's type, so a job that takes or returns such a type gets no factory.",
        helpLinkUri: HelpLinkPrefix + JobSignatureTypeInaccessibleId + ".md");

    /// <summary>
    /// PK2001: a <c>[SharedValue]</c> property is not declared <c>partial</c>.
    /// <para>Format: <c>"[SharedValue] property '{0}' must be declared 'partial', with accessors and no body or initializer, so that the generator can implement it over shared memory"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor SharedValuePropertyMustBePartial = new(
        SharedValuePropertyMustBePartialId,
        title: "[SharedValue] property must be partial",
        messageFormat: "[SharedValue] property '{0}' must be declared 'partial', with accessors and no body or initializer, so that the generator can implement it over shared memory",
        category: SharedMemoryCategory,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The generator implements a [SharedValue] property's accessors over the instance's shared-memory segment; C# lets it do so only for a partial property declaration (C# 13), as CommunityToolkit.Mvvm does for [ObservableProperty].",
        helpLinkUri: HelpLinkPrefix + SharedValuePropertyMustBePartialId + ".md");

    /// <summary>
    /// PK2002: the class that declares a <c>[SharedValue]</c> property, or a type enclosing it, is not <c>partial</c>.
    /// <para>Format: <c>"[SharedValue] property '{0}' must be declared in partial types; make {1} partial so that the generator can add the shared-memory implementation"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor SharedValueMustBeInPartialType = ParallelKit.Rules.SharedValueDescriptors.MustBeInPartialType;

    /// <summary>
    /// PK2003: a <c>[SharedValue]</c> property's type cannot live in shared memory.
    /// <para>Format: <c>"[SharedValue] property '{0}' has type '{1}', which cannot live in shared memory: {2}"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor SharedValueTypeCannotBeShared = new(
        SharedValueTypeCannotBeSharedId,
        title: "[SharedValue] property type must be unmanaged",
        messageFormat: "[SharedValue] property '{0}' has type '{1}', which cannot live in shared memory: {2}",
        category: SharedMemoryCategory,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Shared memory holds raw bytes that every process maps: only unmanaged types (numbers, bool, char, enums, and structs of those) mean the same thing in every process. Managed data (strings, arrays, collections, classes) belongs in a ProcessManager's SharedDictionary or SharedList.",
        helpLinkUri: HelpLinkPrefix + SharedValueTypeCannotBeSharedId + ".md");

    /// <summary>
    /// PK2004: <c>[SharedValue]</c> is applied to a property the generator cannot implement.
    /// <para>Format: <c>"[SharedValue] cannot be applied to {0}; a shared value is an instance property with a getter and a setter (or init), returned by value"</c>,
    /// where <c>{0}</c> names the kind, as in "the static property 'Total'".</para>
    /// </summary>
    public static readonly DiagnosticDescriptor SharedValueUnsupportedProperty = new(
        SharedValueUnsupportedPropertyId,
        title: "[SharedValue] property must be an instance property with get and set",
        messageFormat: "[SharedValue] cannot be applied to {0}; a shared value is an instance property with a getter and a setter (or init), returned by value",
        category: SharedMemoryCategory,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Each instance of the class owns one segment, so a shared value belongs to an instance; it is read and written by value through its accessors. Static properties, indexers, ref-returning properties and properties without a getter or a setter have no such implementation.",
        helpLinkUri: HelpLinkPrefix + SharedValueUnsupportedPropertyId + ".md");

    /// <summary>
    /// PK2005: a <c>[SharedValue]</c> property is declared in a type the generator cannot extend.
    /// <para>Format: <c>"[SharedValue] property '{0}' is declared in {1}; shared values need a non-generic, non-abstract, non-static class (not a struct, record or interface)"</c>,
    /// where <c>{1}</c> says what is wrong, as in "the struct 'Stats'" or "'Derived', whose base class 'Base' also has [SharedValue] properties".</para>
    /// </summary>
    public static readonly DiagnosticDescriptor SharedValueUnsupportedType = ParallelKit.Rules.SharedValueDescriptors.UnsupportedType;

    /// <summary>
    /// PK2006: a class with <c>[SharedValue]</c> properties declares a member the generator emits.
    /// <para>Format: <c>"'{0}' declares '{1}', which the generator emits for its [SharedValue] properties; {2}"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor SharedValueMemberConflict = new(
        SharedValueMemberConflictId,
        title: "Class with [SharedValue] properties must not declare Lock or Dispose",
        messageFormat: "'{0}' declares '{1}', which the generator emits for its [SharedValue] properties; {2}",
        category: SharedMemoryCategory,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The generator declares Lock() (the instance's cross-process lock) and Dispose() (which releases the segment) in every class with [SharedValue] properties. Release the class's own resources in 'partial void OnDisposing()', which the generated Dispose() calls.",
        helpLinkUri: HelpLinkPrefix + SharedValueMemberConflictId + ".md");

    /// <summary>
    /// PK2007: a read-modify-write of a <c>[SharedValue]</c> property or of <c>SharedValue&lt;T&gt;.Value</c> outside a <c>Lock()</c> scope.
    /// <para>Format: <c>"'{0}' reads and then writes the shared value '{1}' without holding its lock: an update by another thread or process in between is lost; wrap it in 'using ({2}.Lock())'{3}"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor SharedValueReadModifyWrite = new(
        SharedValueReadModifyWriteId,
        title: "Read-modify-write of a shared value outside Lock()",
        messageFormat: "'{0}' reads and then writes the shared value '{1}' without holding its lock: an update by another thread or process in between is lost; wrap it in 'using ({2}.Lock())'{3}",
        category: SharedMemoryCategory,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Each read and each write of a shared value is atomic, but '++', '+=' and 'x.P = x.P + 1' are a read and a separate write: two processes doing it at once lose one update. Hold the object's Lock() around the whole update, or call the generated atomic helper (Increment{Name}, Add{Name}).",
        helpLinkUri: HelpLinkPrefix + SharedValueReadModifyWriteId + ".md");

    /// <summary>
    /// PK2008: user code accesses a member the generator emits behind <c>[SharedValue]</c> properties.
    /// <para>Format: <c>"'{0}' is generated behind the [SharedValue] properties of '{1}'; using it directly bypasses their accessors and lock; use the properties, Lock() and the helpers instead"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor SharedValueBackingMemberAccess = new(
        SharedValueBackingMemberAccessId,
        title: "Generated shared-memory members must not be used directly",
        messageFormat: "'{0}' is generated behind the [SharedValue] properties of '{1}'; using it directly bypasses their accessors and lock; use the properties, Lock() and the helpers instead",
        category: SharedMemoryCategory,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "The segment, its offsets and the creation and opening helpers the generator emits are its implementation: writing through them skips the lock (a race with every other process), and their layout changes with the class.",
        helpLinkUri: HelpLinkPrefix + SharedValueBackingMemberAccessId + ".md");
}
