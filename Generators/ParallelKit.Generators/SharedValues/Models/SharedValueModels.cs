using ParallelKit.Generators.Helpers;

namespace ParallelKit.Generators.SharedValues.Models;

/// <summary>What arithmetic helpers a <c>[SharedValue]</c> property gets.</summary>
internal enum SharedNumericKind
{
    /// <summary>None: not a number (bool, char, enums, structs).</summary>
    None,

    /// <summary>An integer: <c>Add{Name}</c>, <c>Increment{Name}</c> and <c>Decrement{Name}</c>.</summary>
    Integral,

    /// <summary>A floating-point number or decimal: <c>Add{Name}</c>.</summary>
    Floating,
}

/// <summary>One accessor of a <c>[SharedValue]</c> property as declared: its keyword and modifiers.</summary>
/// <param name="Keyword">"get", "set" or "init".</param>
/// <param name="Modifiers">The accessor's modifiers as written ("private", "protected internal"), or an empty string.</param>
internal sealed record SharedAccessorModel(string Keyword, string Modifiers);

/// <summary>One <c>[SharedValue]</c> property and where it lives in the segment.</summary>
/// <param name="Name">The property's name, escaped with '@' where it is a keyword.</param>
/// <param name="PlainName">The property's name without '@', for helper names and messages.</param>
/// <param name="Type">The fully qualified type.</param>
/// <param name="Modifiers">The property's modifiers as declared, without <c>partial</c>.</param>
/// <param name="Accessors">The accessors as declared, in order.</param>
/// <param name="Offset">The offset from the segment's data, aligned to <see cref="Alignment"/>.</param>
/// <param name="Size">The bytes the value takes, as computed at compile time.</param>
/// <param name="Alignment">The offset's alignment: the size rounded up to a power of two, at most 16.</param>
/// <param name="SizeIsChecked">Whether <see cref="Size"/> was computed from fields (not known for certain), so that the generated code checks it at run time.</param>
/// <param name="Numeric">Which arithmetic helpers the property gets.</param>
/// <param name="HelperAccessibility">The helpers' accessibility: the setter's ("public", "internal", "protected internal"…).</param>
/// <param name="AddHelper">The name of the <c>Add</c> helper, or null when there is none (not a number, or the name is taken).</param>
/// <param name="IncrementHelper">The name of the <c>Increment</c> helper, or null.</param>
/// <param name="DecrementHelper">The name of the <c>Decrement</c> helper, or null.</param>
internal sealed record SharedPropertyModel(
    string Name,
    string PlainName,
    string Type,
    string Modifiers,
    EquatableArray<SharedAccessorModel> Accessors,
    int Offset,
    int Size,
    int Alignment,
    bool SizeIsChecked,
    SharedNumericKind Numeric,
    string HelperAccessibility,
    string? AddHelper,
    string? IncrementHelper,
    string? DecrementHelper);

/// <summary>A class with <c>[SharedValue]</c> properties, and the segment layout of one instance.</summary>
/// <param name="Namespace">The containing namespace as C# spells it, or null for the global namespace.</param>
/// <param name="FullyQualifiedName">The class's <c>global::</c>-qualified name.</param>
/// <param name="MetadataName">The class's runtime name (<c>Namespace.Outer+Inner</c>), part of the type tag.</param>
/// <param name="DisplayName">The class's name as messages show it.</param>
/// <param name="ClassName">The class's simple name, escaped, for its constructors.</param>
/// <param name="HintName">The generated file's hint name, unique within the compilation; set when classes are collected.</param>
/// <param name="Hierarchy">The class and its containing types, outermost first.</param>
/// <param name="DeclaresConstructor">Whether the user declared an instance constructor (else the generator declares the public parameterless one that adding a constructor would remove).</param>
/// <param name="DataSize">The bytes of data one instance's segment holds.</param>
/// <param name="TypeTag">A hash of the class's name and layout, checked when another process opens a handle.</param>
/// <param name="Properties">The <c>[SharedValue]</c> properties in declaration order.</param>
internal sealed record SharedClassModel(
    string? Namespace,
    string FullyQualifiedName,
    string MetadataName,
    string DisplayName,
    string ClassName,
    string HintName,
    EquatableArray<TypeDeclarationModel> Hierarchy,
    bool DeclaresConstructor,
    long DataSize,
    ulong TypeTag,
    EquatableArray<SharedPropertyModel> Properties);

/// <summary>
/// What a rejected <c>[SharedValue]</c> partial property gets: a stand-in implementation that compiles and throws
/// (so that the analyzer's error, not CS9248, is what the build reports), or, where no stand-in can be declared,
/// the diagnostic the generator reports itself.
/// </summary>
/// <param name="Namespace">The containing namespace as C# spells it, or null for the global namespace.</param>
/// <param name="FullyQualifiedName">The containing type's <c>global::</c>-qualified name, for grouping; empty with a diagnostic.</param>
/// <param name="Hierarchy">The containing type and the types enclosing it, outermost first, with their type parameters.</param>
/// <param name="Declaration">The stand-in property's declaration up to its accessors ("public partial string Name"); empty with a diagnostic.</param>
/// <param name="Accessors">The accessors as declared, keyword and modifiers ("get", "private set").</param>
/// <param name="DisplayName">"Type.Property", for the exception's message.</param>
/// <param name="Diagnostic">The diagnostic to report instead of a stand-in, or null.</param>
internal sealed record SharedValueStubModel(
    string? Namespace,
    string FullyQualifiedName,
    EquatableArray<TypeDeclarationModel> Hierarchy,
    string Declaration,
    EquatableArray<string> Accessors,
    string DisplayName,
    ParallelKit.Generators.Diagnostics.DiagnosticModel? Diagnostic);
