using Microsoft.CodeAnalysis;

namespace ParallelKit.Rules;

/// <summary>
/// The descriptors of the two shared-value rules that the generator reports too (where the compiler's own declaration
/// error, CS0751 or CS9248, stops the analyzers): one definition, compiled into the analyzer, which owns them, and into
/// the generator.
/// </summary>
internal static class SharedValueDescriptors
{
    /// <summary>The category of the shared-memory diagnostics (PK2xxx).</summary>
    public const string Category = "ParallelKit.SharedMemory";

    private const string HelpLinkPrefix = "https://github.com/parallelkit/parallelkit/blob/main/docs/diagnostics/";

    /// <summary>PK2002: the class that declares a <c>[SharedValue]</c> property, or a type enclosing it, is not <c>partial</c>.</summary>
    public static readonly DiagnosticDescriptor MustBeInPartialType = new(
        "PK2002",
        title: "[SharedValue] property must be declared in a partial type",
        messageFormat: "[SharedValue] property '{0}' must be declared in partial types; make {1} partial so that the generator can add the shared-memory implementation",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The generator adds the segment, Lock(), Dispose() and the handle marshaling to the class from another file, which takes a partial declaration of the class and of every type enclosing it.",
        helpLinkUri: HelpLinkPrefix + "PK2002.md");

    /// <summary>PK2005: a <c>[SharedValue]</c> property is declared in a type the generator cannot extend.</summary>
    public static readonly DiagnosticDescriptor UnsupportedType = new(
        "PK2005",
        title: "[SharedValue] property must be declared in a supported class",
        messageFormat: "[SharedValue] property '{0}' is declared in {1}; shared values need a non-generic, non-abstract, non-static class (not a struct, record or interface)",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The generated class owns a segment, marshals by handle and is re-created from a handle in other processes: that takes a concrete, non-generic class (a copied struct or record would share or lose the segment), in a type the generator can name from its own file, whose base class can be constructed without arguments and has no segment of its own.",
        helpLinkUri: HelpLinkPrefix + "PK2005.md");
}
