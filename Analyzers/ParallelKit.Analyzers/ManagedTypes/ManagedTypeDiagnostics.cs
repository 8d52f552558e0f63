using Microsoft.CodeAnalysis;

namespace ParallelKit.Analyzers.ManagedTypes;

/// <summary>
/// The diagnostics of <c>[ManagedType]</c> classes (PK2009 to PK2011, shared state: the objects live in a
/// ProcessManager's process). Each ID has a page under <c>docs/diagnostics</c>.
/// </summary>
public static class ManagedTypeDiagnostics
{
    /// <summary>The category of the managed type diagnostics.</summary>
    public const string Category = "ParallelKit.Manager";

    /// <summary>The ID of <see cref="InvalidManagedType"/>.</summary>
    public const string InvalidManagedTypeId = "PK2009";

    /// <summary>The ID of <see cref="ManagedMemberCannotBeMarshaled"/>.</summary>
    public const string ManagedMemberCannotBeMarshaledId = "PK2010";

    /// <summary>The ID of <see cref="ManagedMethodNotProxied"/>.</summary>
    public const string ManagedMethodNotProxiedId = "PK2011";

    private const string HelpLinkPrefix = "https://github.com/parallelkit/parallelkit/blob/main/docs/diagnostics/";

    /// <summary>
    /// PK2009: a <c>[ManagedType]</c> class the generator cannot extend or the manager cannot create.
    /// <para>Format: <c>"'{0}' cannot be a [ManagedType]: {1}"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor InvalidManagedType = new(
        InvalidManagedTypeId,
        title: "Class cannot be a managed type",
        messageFormat: "'{0}' cannot be a [ManagedType]: {1}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A [ManagedType] class is created by name in a ProcessManager's process and extended by the generator: it must be a partial, concrete, non-generic class with a public constructor, reachable from its whole assembly, and not named like a member of ProcessManager.",
        helpLinkUri: HelpLinkPrefix + InvalidManagedTypeId + ".md");

    /// <summary>
    /// PK2010: a parameter or result of a proxied method or public constructor cannot be marshaled.
    /// <para>Format: <c>"The {0} of '{1}' has type '{2}', which cannot cross to the manager process: {3}"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor ManagedMemberCannotBeMarshaled = new(
        ManagedMemberCannotBeMarshaledId,
        title: "Managed type member's parameter or result cannot be marshaled",
        messageFormat: "The {0} of '{1}' has type '{2}', which cannot cross to the manager process: {3}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A proxy call sends its arguments to the manager process and brings the result back, marshaled with MemoryPack as a job's are (ParallelKit's handle types by handle). Delegates, CancellationTokens and types without [MemoryPackable] cannot cross.",
        helpLinkUri: HelpLinkPrefix + ManagedMemberCannotBeMarshaledId + ".md");

    /// <summary>
    /// PK2011: a public method of a <c>[ManagedType]</c> class that the proxy leaves out.
    /// <para>Format: <c>"'{0}' is not proxied: {1}"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor ManagedMethodNotProxied = new(
        ManagedMethodNotProxiedId,
        title: "Public method of a managed type is not proxied",
        messageFormat: "'{0}' is not proxied: {1}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Proxies expose the public instance methods of a [ManagedType] class that can run as one synchronous call in the manager: not generic, no ref/out/in parameters or ref returns, not asynchronous, and not named like a member of ManagedProxy<T>. Make such a method non-public, or change it.",
        helpLinkUri: HelpLinkPrefix + ManagedMethodNotProxiedId + ".md");
}
