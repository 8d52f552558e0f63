using System.Reflection;

namespace ParallelKit.Generators.Helpers;

/// <summary>
/// The attributes every generated member carries. <c>[GeneratedCode]</c> names the generator assembly this file is
/// compiled into and its version (the repository's <c>Version</c>), read from the assembly rather than written twice.
/// </summary>
internal static class GeneratedCodeAttributes
{
    private static readonly AssemblyName Generator = typeof(GeneratedCodeAttributes).Assembly.GetName();

    /// <summary>The generator's version, three parts (<c>0.1.0</c>).</summary>
    public static readonly string Version = Generator.Version?.ToString(3) ?? "0.0.0";

    /// <summary>The attribute's arguments: <c>"ParallelKit.Generators", "0.1.0"</c>.</summary>
    public static readonly string GeneratedCodeArguments = $"global::System.CodeDom.Compiler.GeneratedCode(\"{Generator.Name}\", \"{Version}\")";

    /// <summary><c>[GeneratedCode(…)]</c> alone.</summary>
    public static readonly string GeneratedCode = "[" + GeneratedCodeArguments + "]";

    /// <summary><c>[DebuggerNonUserCode]</c>.</summary>
    public const string NonUserCode = "[global::System.Diagnostics.DebuggerNonUserCode]";

    /// <summary><c>[ExcludeFromCodeCoverage]</c>.</summary>
    public const string ExcludeFromCoverage = "[global::System.Diagnostics.CodeAnalysis.ExcludeFromCodeCoverage]";

    /// <summary><c>[EditorBrowsable(Never)]</c>.</summary>
    public const string HiddenFromEditor = "[global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]";
}
