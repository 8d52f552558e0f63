using Microsoft.CodeAnalysis;

namespace ParallelKit.Analyzers.Csp;

/// <summary>
/// The diagnostics of CSP processes and networks (PK4xxx), each with a page under <c>docs/diagnostics</c>.
/// Kept apart from <c>DiagnosticDescriptors</c> (jobs, shared state) so the two features evolve separately.
/// </summary>
public static class CspDiagnosticDescriptors
{
    /// <summary>The category of every CSP diagnostic.</summary>
    public const string Category = "ParallelKit.Csp";

    /// <summary>The ID of <see cref="ProcessMustBeStatic"/>.</summary>
    public const string ProcessMustBeStaticId = ParallelKit.Rules.CspRules.ProcessMustBeStaticId;

    /// <summary>The ID of <see cref="ProcessMustBeInPartialType"/>.</summary>
    public const string ProcessMustBeInPartialTypeId = ParallelKit.Rules.CspRules.ProcessMustBeInPartialTypeId;

    /// <summary>The ID of <see cref="ProcessCannotBeGenerated"/>.</summary>
    public const string ProcessCannotBeGeneratedId = ParallelKit.Rules.CspRules.ProcessCannotBeGeneratedId;

    /// <summary>The ID of <see cref="OsProcessArgumentCannotBeMarshaled"/>.</summary>
    public const string OsProcessArgumentCannotBeMarshaledId = "PK4004";

    /// <summary>The ID of <see cref="AlternationWithoutGuards"/>.</summary>
    public const string AlternationWithoutGuardsId = "PK4005";

    /// <summary>The ID of <see cref="EndSharedByProcesses"/>.</summary>
    public const string EndSharedByProcessesId = "PK4006";

    /// <summary>The ID of <see cref="EndEscapesProcess"/>.</summary>
    public const string EndEscapesProcessId = "PK4007";

    /// <summary>The ID of <see cref="PoisonSwallowedInReadLoop"/>.</summary>
    public const string PoisonSwallowedInReadLoopId = "PK4008";

    private const string HelpLinkPrefix = "https://github.com/parallelkit/parallelkit/blob/main/docs/diagnostics/";

    /// <summary>
    /// PK4001: a <c>[CspProcess]</c> method is not static.
    /// <para>Format: <c>"CSP process '{0}' must be static: the generated Processes.{0}(...) factory calls it without an instance"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor ProcessMustBeStatic = new(
        ProcessMustBeStaticId,
        title: "CSP process must be static",
        messageFormat: "CSP process '{0}' must be static: the generated Processes.{0}(...) factory calls it without an instance",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A process may run in an OS process of its own, where no instance of its type exists; its state travels in its parameters.",
        helpLinkUri: HelpLinkPrefix + ProcessMustBeStaticId + ".md");

    /// <summary>
    /// PK4002: a <c>[CspProcess]</c> method is declared in a type (or nested in one) that is not partial.
    /// <para>Format: <c>"CSP process '{0}' must be declared in partial types; make {1} partial so that the generator can add the nested class 'Processes'"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor ProcessMustBeInPartialType = new(
        ProcessMustBeInPartialTypeId,
        title: "CSP process must be declared in a partial type",
        messageFormat: "CSP process '{0}' must be declared in partial types; make {1} partial so that the generator can add the nested class 'Processes'",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The generator adds a nested static class Processes with one factory per process; that takes a partial declaration of the type and of every type enclosing it.",
        helpLinkUri: HelpLinkPrefix + ProcessMustBeInPartialTypeId + ".md");

    /// <summary>
    /// PK4003: a <c>[CspProcess]</c> method has a shape the generator cannot describe.
    /// <para>Format: <c>"No process description can be generated for '{0}': {1}"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor ProcessCannotBeGenerated = new(
        ProcessCannotBeGeneratedId,
        title: "CSP process has a shape the generator cannot describe",
        messageFormat: "No process description can be generated for '{0}': {1}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A process is an ordinary, non-generic static method of a non-generic type the assembly can reach, with by-value parameters and at most one CancellationToken; its type has no member named Processes.",
        helpLinkUri: HelpLinkPrefix + ProcessCannotBeGeneratedId + ".md");

    /// <summary>
    /// PK4004: a process run with <c>.InOsProcess()</c> takes a value that cannot cross to another OS process.
    /// <para>Format: <c>"'{0}' runs in its own OS process, but its parameter '{1}' cannot be marshaled: {2}"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor OsProcessArgumentCannotBeMarshaled = new(
        OsProcessArgumentCannotBeMarshaledId,
        title: "A process run in its own OS process takes a value that cannot be marshaled",
        messageFormat: "'{0}' runs in its own OS process, but its parameter '{1}' cannot be marshaled: {2}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Arguments of a process started with .InOsProcess() are marshaled with MemoryPack, and so are the values on its channels: each must be a type a job argument can be.",
        helpLinkUri: HelpLinkPrefix + OsProcessArgumentCannotBeMarshaledId + ".md");

    /// <summary>
    /// PK4005: an <c>Alternation</c> is created with no guards, or only with guards whose <c>Enabled</c> is only ever set to <c>false</c>.
    /// <para>Format: <c>"This Alternation {0}: a selection would have nothing to choose; pass at least one guard that can be enabled"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor AlternationWithoutGuards = new(
        AlternationWithoutGuardsId,
        title: "Alternation without guards that can be enabled",
        messageFormat: "This Alternation {0}: a selection would have nothing to choose; pass at least one guard that can be enabled",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "An alternation chooses between its guards; with none it throws at run time. Guards disabled at run time make a selection throw too (not hang).",
        helpLinkUri: HelpLinkPrefix + AlternationWithoutGuardsId + ".md");

    /// <summary>
    /// PK4006: the same channel end is given to two processes of one <c>Csp.Parallel</c>.
    /// <para>Format: <c>"The channel end '{0}' is given to more than one process of this Parallel: retire counts an end once; give each process its own end (channel.Reader()/Writer())"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor EndSharedByProcesses = new(
        EndSharedByProcessesId,
        title: "Channel end given to two processes of one Parallel",
        messageFormat: "The channel end '{0}' is given to more than one process of this Parallel: retire counts an end once; give each process its own end (channel.Reader()/Writer())",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Each Reader()/Writer() call makes one counted end; the first process to retire a shared end would retire it for the other too, and Csp.Parallel refuses it at run time.",
        helpLinkUri: HelpLinkPrefix + EndSharedByProcessesId + ".md");

    /// <summary>
    /// PK4007: inside a process, a channel end parameter is captured by a lambda or local function, or stored in a field or property.
    /// <para>Format: <c>"The channel end '{0}' {1}: when the process ends, its ends are retired or poisoned, and code that kept it would use a dead end; pass it as an argument instead"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor EndEscapesProcess = new(
        EndEscapesProcessId,
        title: "Channel end escapes its process",
        messageFormat: "The channel end '{0}' {1}: when the process ends, its ends are retired or poisoned, and code that kept it would use a dead end; pass it as an argument instead",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Propagation knows the ends a process was given as parameters. An end kept by a lambda or a field outlives the process, and in an OS process it stops working when the process ends.",
        helpLinkUri: HelpLinkPrefix + EndEscapesProcessId + ".md");

    /// <summary>
    /// PK4008: a <c>catch</c> swallows <c>ChannelPoisonedException</c> inside a loop that reads.
    /// <para>Format: <c>"This catch swallows ChannelPoisonedException inside a loop that reads: the loop reads the poisoned channel again and fails again for ever; leave the loop (break, return, throw)"</c>.</para>
    /// </summary>
    public static readonly DiagnosticDescriptor PoisonSwallowedInReadLoop = new(
        PoisonSwallowedInReadLoopId,
        title: "ChannelPoisonedException swallowed in a reading loop",
        messageFormat: "This catch swallows ChannelPoisonedException inside a loop that reads: the loop reads the poisoned channel again and fails again for ever; leave the loop (break, return, throw)",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "Poison is final: every later operation on the channel throws again. A loop that catches it and goes on spins for ever instead of ending the process (which would pass the poison on).",
        helpLinkUri: HelpLinkPrefix + PoisonSwallowedInReadLoopId + ".md");
}
