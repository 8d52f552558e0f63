using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace ParallelKit.Rules;

/// <summary>
/// Decides whether a type can cross a process boundary as a job argument or result: MemoryPack's rules,
/// simplified to what can be proved from the type's shape at compile time.
/// </summary>
/// <remarks>
/// One instance per compilation: it resolves the well-known types once, then answers from symbols only,
/// so it is safe to share between concurrent symbol actions.
/// </remarks>
internal sealed class MarshalabilityChecker
{
    /// <summary>The metadata name of MemoryPack's attribute for serializable types.</summary>
    public const string MemoryPackableAttributeName = "MemoryPack.MemoryPackableAttribute";

    /// <summary>The metadata name of MemoryPack's attribute for polymorphic (interface and abstract) types.</summary>
    public const string MemoryPackUnionAttributeName = "MemoryPack.MemoryPackUnionAttribute";

    /// <summary>
    /// The interface ParallelKit's handle types (queues, pipes, shared memory, locks, manager proxies)
    /// implement: they marshal by handle, not by value. Matched by name, so it need not exist yet.
    /// </summary>
    public const string MarshalByHandleInterfaceName = "ParallelKit.IMarshalByHandle";

    // Non-generic types MemoryPack has built-in formatters for and that are not unmanaged structs.
    private static readonly string[] s_builtInTypeNames =
    [
        "System.DateTimeOffset",
        "System.TimeSpan",
        "System.Guid",
        "System.Half",
        "System.Int128",
        "System.UInt128",
        "System.DateOnly",
        "System.TimeOnly",
        "System.Numerics.BigInteger",
        "System.Numerics.Complex",
        "System.Uri",
        "System.Version",
        "System.Text.StringBuilder",
        "System.Collections.BitArray",
    ];

    // Generic types MemoryPack has built-in formatters for: marshalable when every type argument is.
    private static readonly string[] s_builtInGenericTypeNames =
    [
        "System.Nullable`1",
        "System.Lazy`1",
        "System.ArraySegment`1",
        "System.Memory`1",
        "System.ReadOnlyMemory`1",
        "System.Collections.Generic.KeyValuePair`2",
        "System.Collections.Generic.List`1",
        "System.Collections.Generic.Dictionary`2",
        "System.Collections.Generic.HashSet`1",
        "System.Collections.Generic.SortedDictionary`2",
        "System.Collections.Generic.SortedList`2",
        "System.Collections.Generic.SortedSet`1",
        "System.Collections.Generic.Queue`1",
        "System.Collections.Generic.Stack`1",
        "System.Collections.Generic.LinkedList`1",
        "System.Collections.Generic.PriorityQueue`2",
        "System.Collections.Generic.IEnumerable`1",
        "System.Collections.Generic.ICollection`1",
        "System.Collections.Generic.IList`1",
        "System.Collections.Generic.IReadOnlyCollection`1",
        "System.Collections.Generic.IReadOnlyList`1",
        "System.Collections.Generic.IDictionary`2",
        "System.Collections.Generic.IReadOnlyDictionary`2",
        "System.Collections.Generic.ISet`1",
        "System.Collections.Generic.IReadOnlySet`1",
        "System.Linq.ILookup`2",
        "System.Linq.IGrouping`2",
        "System.Collections.ObjectModel.Collection`1",
        "System.Collections.ObjectModel.ReadOnlyCollection`1",
        "System.Collections.ObjectModel.ObservableCollection`1",
        "System.Collections.ObjectModel.ReadOnlyObservableCollection`1",
        "System.Collections.ObjectModel.ReadOnlyDictionary`2",
        "System.Collections.Concurrent.ConcurrentDictionary`2",
        "System.Collections.Concurrent.ConcurrentQueue`1",
        "System.Collections.Concurrent.ConcurrentStack`1",
        "System.Collections.Concurrent.ConcurrentBag`1",
        "System.Collections.Concurrent.BlockingCollection`1",
        "System.Collections.Immutable.ImmutableArray`1",
        "System.Collections.Immutable.ImmutableList`1",
        "System.Collections.Immutable.ImmutableQueue`1",
        "System.Collections.Immutable.ImmutableStack`1",
        "System.Collections.Immutable.ImmutableDictionary`2",
        "System.Collections.Immutable.ImmutableSortedDictionary`2",
        "System.Collections.Immutable.ImmutableHashSet`1",
        "System.Collections.Immutable.ImmutableSortedSet`1",
        "System.Collections.Immutable.IImmutableList`1",
        "System.Collections.Immutable.IImmutableQueue`1",
        "System.Collections.Immutable.IImmutableStack`1",
        "System.Collections.Immutable.IImmutableDictionary`2",
        "System.Collections.Immutable.IImmutableSet`1",
        "System.Tuple`1",
        "System.Tuple`2",
        "System.Tuple`3",
        "System.Tuple`4",
        "System.Tuple`5",
        "System.Tuple`6",
        "System.Tuple`7",
        "System.Tuple`8",
        "System.ValueTuple`1",
        "System.ValueTuple`2",
        "System.ValueTuple`3",
        "System.ValueTuple`4",
        "System.ValueTuple`5",
        "System.ValueTuple`6",
        "System.ValueTuple`7",
        "System.ValueTuple`8",
    ];

    private readonly ImmutableHashSet<INamedTypeSymbol> _builtInTypes;
    private readonly ImmutableHashSet<INamedTypeSymbol> _builtInGenericTypes;
    private readonly INamedTypeSymbol? _memoryPackableAttribute;
    private readonly INamedTypeSymbol? _memoryPackUnionAttribute;
    private readonly INamedTypeSymbol? _cancellationToken;
    private readonly INamedTypeSymbol? _expression;
    private readonly INamedTypeSymbol? _nonGenericEnumerable;
    private readonly System.Func<SyntaxTree, bool> _isGenerated;

    /// <summary>Resolves the well-known types of <paramref name="compilation"/>.</summary>
    /// <param name="compilation">The compilation whose types will be checked.</param>
    /// <param name="isGenerated">Whether a syntax tree holds generated code (see <see cref="SharedValueRules.CheckProperty"/>).</param>
    public MarshalabilityChecker(Compilation compilation, System.Func<SyntaxTree, bool> isGenerated)
    {
        _isGenerated = isGenerated;
        _builtInTypes = Resolve(compilation, s_builtInTypeNames);
        _builtInGenericTypes = Resolve(compilation, s_builtInGenericTypeNames);
        _memoryPackableAttribute = compilation.GetTypeByMetadataName(MemoryPackableAttributeName);
        _memoryPackUnionAttribute = compilation.GetTypeByMetadataName(MemoryPackUnionAttributeName);
        _cancellationToken = compilation.GetTypeByMetadataName("System.Threading.CancellationToken");
        _expression = compilation.GetTypeByMetadataName("System.Linq.Expressions.Expression");
        _nonGenericEnumerable = compilation.GetTypeByMetadataName("System.Collections.IEnumerable");
    }

    /// <summary>Whether <paramref name="type"/> is <see cref="System.Threading.CancellationToken"/>.</summary>
    /// <param name="type">The type to test.</param>
    /// <returns><see langword="true"/> for the cancellation token type.</returns>
    public bool IsCancellationToken(ITypeSymbol type)
        => _cancellationToken is not null && SymbolEqualityComparer.Default.Equals(type, _cancellationToken);

    /// <summary>
    /// Whether <paramref name="type"/> refers to code rather than data: a delegate type, <see cref="System.Delegate"/>
    /// itself, or an expression tree (<c>Expression&lt;TDelegate&gt;</c> and the other <c>Expression</c> types).
    /// </summary>
    /// <param name="type">The type to test.</param>
    /// <returns><see langword="true"/> for delegates and expression trees.</returns>
    public bool IsDelegateLike(ITypeSymbol type)
    {
        if (type.TypeKind == TypeKind.Delegate
            || type.SpecialType is SpecialType.System_Delegate or SpecialType.System_MulticastDelegate)
        {
            return true;
        }

        for (var current = type as INamedTypeSymbol; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, _expression))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Tells why <paramref name="type"/> cannot be marshaled, or returns <see langword="null"/> when it can.
    /// </summary>
    /// <param name="type">A parameter type, or the result type a job produces (already unwrapped from <c>Task&lt;T&gt;</c>).</param>
    /// <returns>
    /// <see langword="null"/> when MemoryPack can marshal the type; otherwise one sentence fragment naming the offending
    /// type (which may be nested in <paramref name="type"/>, as the <c>Foo</c> in <c>List&lt;Foo&gt;</c>) and what to do.
    /// </returns>
    public string? GetReasonNotMarshalable(ITypeSymbol type)
    {
        switch (type.TypeKind)
        {
            case TypeKind.Error:
                // The compiler reports the type itself; a second error would only add noise.
                return null;
            case TypeKind.Dynamic:
                return "'dynamic' has no static shape";
            case TypeKind.Pointer:
                return "pointers cannot cross processes";
            case TypeKind.FunctionPointer:
                return "function pointers cannot cross processes";
            case TypeKind.TypeParameter:
                return $"'{Display(type)}' is a type parameter; a job needs concrete types";
            case TypeKind.Array:
                return GetReasonNotMarshalable(((IArrayTypeSymbol)type).ElementType);
            case TypeKind.Delegate:
                return $"'{Display(type)}' is a delegate; a delegate and the state it captures cannot cross processes";
            case TypeKind.Enum:
                return null;
        }

        if (type is not INamedTypeSymbol named)
        {
            return $"'{Display(type)}' has no static shape";
        }

        if (IsPrimitive(named.SpecialType))
        {
            return null;
        }

        switch (named.SpecialType)
        {
            case SpecialType.System_Object:
            case SpecialType.System_ValueType:
            case SpecialType.System_Enum:
            case SpecialType.System_Array:
                return $"'{Display(type)}' has no static shape";
            case SpecialType.System_Delegate:
            case SpecialType.System_MulticastDelegate:
                return $"'{Display(type)}' is a delegate; a delegate and the state it captures cannot cross processes";
        }

        if (IsDelegateLike(named))
        {
            return $"'{Display(type)}' is an expression tree; code and the state it captures cannot cross processes";
        }

        if (IsCancellationToken(named))
        {
            return "a CancellationToken is not marshaled; take it as a parameter of its own and the job's cancellation is passed in its place";
        }

        if (named.IsRefLikeType)
        {
            return $"'{Display(type)}' is a ref struct, which lives on the stack; use an array or a collection";
        }

        var definition = named.OriginalDefinition;
        if (_builtInTypes.Contains(definition))
        {
            return null;
        }

        if (_builtInGenericTypes.Contains(definition))
        {
            return GetReasonForTypeArguments(named);
        }

        if (definition.MetadataName == "ManagedProxy`1" && definition.ContainingNamespace?.ToDisplayString() == "ParallelKit")
        {
            return null; // a [ManagedType] object stays in the manager: only the proxy's handle crosses, never a T
        }

        if (HasAttribute(definition, _memoryPackableAttribute) || HasAttribute(definition, _memoryPackUnionAttribute)
            || IsMarshaledByHandle(named)
            || SharedValueRules.IsExtendedByGenerator(named, _isGenerated, CancellationToken.None))
        {
            return GetReasonForTypeArguments(named);
        }

        if (named.TypeKind == TypeKind.Struct && named.IsUnmanagedType)
        {
            return null;
        }

        return DescribeUnsupported(named);
    }

    private string? GetReasonForTypeArguments(INamedTypeSymbol type)
    {
        for (var current = type; current is not null; current = current.ContainingType)
        {
            foreach (var typeArgument in current.TypeArguments)
            {
                if (GetReasonNotMarshalable(typeArgument) is { } reason)
                {
                    return reason;
                }
            }
        }

        return null;
    }

    private string DescribeUnsupported(INamedTypeSymbol type)
    {
        var name = Display(type);
        var fromSource = IsInSource(type);
        var markIt = fromSource
            ? "mark it [MemoryPackable] and partial"
            : "it comes from another assembly, so pass the data it holds in a marshalable type instead";

        if (type.TypeKind == TypeKind.Interface)
        {
            return _nonGenericEnumerable is not null && IsOrImplements(type, _nonGenericEnumerable)
                ? $"'{name}' is a non-generic collection of objects with no static shape; use a generic collection"
                : $"'{name}' is an interface without [MemoryPackUnion]; interfaces and abstract classes need [MemoryPackUnion] listing their implementations";
        }

        if (type.IsAbstract && type.TypeKind == TypeKind.Class)
        {
            return $"'{name}' is an abstract class without [MemoryPackUnion]; interfaces and abstract classes need [MemoryPackUnion] listing their implementations";
        }

        if (_nonGenericEnumerable is not null && IsOrImplements(type, _nonGenericEnumerable) && !type.AllInterfaces.Any(IsGenericEnumerable))
        {
            return $"'{name}' is a non-generic collection of objects with no static shape; use a generic collection";
        }

        var kind = type switch
        {
            { IsRecord: true, TypeKind: TypeKind.Struct } => "a record struct with reference-type fields",
            { IsRecord: true } => "a record",
            { TypeKind: TypeKind.Struct } => "a struct with reference-type fields",
            _ => "a class",
        };

        return $"'{name}' is {kind} without [MemoryPackable]; {markIt}";
    }

    private static bool IsMarshaledByHandle(INamedTypeSymbol type)
    {
        if (IsMarshalByHandleInterface(type))
        {
            return true;
        }

        foreach (var implemented in type.AllInterfaces)
        {
            if (IsMarshalByHandleInterface(implemented))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsMarshalByHandleInterface(INamedTypeSymbol type)
        => type.TypeKind == TypeKind.Interface
            && type.MetadataName == "IMarshalByHandle"
            && type.ContainingType is null
            && type.ContainingNamespace is { Name: "ParallelKit", ContainingNamespace.IsGlobalNamespace: true };

    private static bool IsGenericEnumerable(INamedTypeSymbol type)
        => type.OriginalDefinition.SpecialType == SpecialType.System_Collections_Generic_IEnumerable_T;

    private static bool IsOrImplements(INamedTypeSymbol type, INamedTypeSymbol @interface)
    {
        if (SymbolEqualityComparer.Default.Equals(type, @interface))
        {
            return true;
        }

        foreach (var implemented in type.AllInterfaces)
        {
            if (SymbolEqualityComparer.Default.Equals(implemented, @interface))
            {
                return true;
            }
        }

        return false;
    }

    private static bool HasAttribute(INamedTypeSymbol type, INamedTypeSymbol? attribute)
    {
        if (attribute is null)
        {
            return false;
        }

        foreach (var data in type.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(data.AttributeClass, attribute))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsInSource(ISymbol symbol)
    {
        foreach (var location in symbol.Locations)
        {
            if (location.IsInSource)
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsPrimitive(SpecialType specialType)
        => specialType is SpecialType.System_Boolean
            or SpecialType.System_Char
            or SpecialType.System_SByte
            or SpecialType.System_Byte
            or SpecialType.System_Int16
            or SpecialType.System_UInt16
            or SpecialType.System_Int32
            or SpecialType.System_UInt32
            or SpecialType.System_Int64
            or SpecialType.System_UInt64
            or SpecialType.System_IntPtr
            or SpecialType.System_UIntPtr
            or SpecialType.System_Single
            or SpecialType.System_Double
            or SpecialType.System_Decimal
            or SpecialType.System_String
            or SpecialType.System_DateTime;

    // The reason names the type, not how one declaration annotated it: 'Foo', never 'Foo?'.
    private static string Display(ITypeSymbol type)
        => type.WithNullableAnnotation(NullableAnnotation.None).ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat);

    private static ImmutableHashSet<INamedTypeSymbol> Resolve(Compilation compilation, IEnumerable<string> metadataNames)
    {
        var builder = ImmutableHashSet.CreateBuilder<INamedTypeSymbol>(SymbolEqualityComparer.Default);
        foreach (var metadataName in metadataNames)
        {
            if (compilation.GetTypeByMetadataName(metadataName) is { } type)
            {
                builder.Add(type);
            }
        }

        return builder.ToImmutable();
    }
}
