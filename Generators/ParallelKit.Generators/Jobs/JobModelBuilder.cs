using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ParallelKit.Generators.Helpers;
using ParallelKit.Generators.Jobs.Models;

namespace ParallelKit.Generators.Jobs;

/// <summary>
/// Turns a [ParallelJob] method symbol into a <see cref="JobDeclaration"/>. Declarations the analyzers
/// reject (not static, not partial, generic, ref parameters, …) produce no model, so that a mistake gives
/// one clear diagnostic instead of a cascade of errors in generated code.
/// </summary>
/// <remarks>
/// Every rule here has an analyzer diagnostic (PK1001 to PK1015) that reports the same declarations; the
/// analyzer's <c>ParallelJobAnalyzer</c> must be kept in step when a rule changes.
/// </remarks>
internal static class JobModelBuilder
{
    private const string AttributeName = "ParallelKit.ParallelJobAttribute";

    /// <summary>The name of the nested class the generator emits; it cannot be nested in a type of that name (CS0542).</summary>
    private const string JobsClassName = "Jobs";

    // A factory's identity as C# compares signatures: tuple element names and nullable reference annotations
    // do not tell overloads apart, so neither may tell factories apart (PK1011).
    private static readonly SymbolDisplayFormat SignatureFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .WithMiscellaneousOptions(
            SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers
            | SymbolDisplayMiscellaneousOptions.ExpandValueTuple);

    private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    // Parameter types in a cref: fully qualified (a user namespace named System must not capture them),
    // and tuples spelled ValueTuple{…}, since cref syntax has no tuple types.
    private static readonly SymbolDisplayFormat CrefTypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .WithMiscellaneousOptions(
            SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers
            | SymbolDisplayMiscellaneousOptions.UseSpecialTypes
            | SymbolDisplayMiscellaneousOptions.ExpandValueTuple);

    // Namespaces as the runtime names them: no '@' escapes (they would end up in hint names and keys).
    private static readonly SymbolDisplayFormat MetadataNamespaceFormat = new(
        globalNamespaceStyle: SymbolDisplayGlobalNamespaceStyle.Omitted,
        typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces);

    public static JobDeclaration? TryBuild(IMethodSymbol method, Compilation compilation, CancellationToken cancellationToken)
    {
        // Not an ordinary method (PK1014), instance (PK1001), generic (PK1007); a static abstract or virtual
        // interface member can only be called through a type parameter (PK1014).
        if (!method.IsStatic || method.IsGenericMethod || method.MethodKind != MethodKind.Ordinary || method.IsAbstract || method.IsVirtual)
        {
            return null;
        }

        var hierarchy = new List<TypeDeclarationModel>();
        for (INamedTypeSymbol? enclosing = method.ContainingType; enclosing is not null; enclosing = enclosing.ContainingType)
        {
            // Generic (PK1008), not partial (PK1002), file-local: cannot be re-opened from the generated file,
            // and its mangled name is no valid hint name (PK1013); private or protected: the job table cannot
            // reach it, so no worker could run the job (PK1015).
            if (enclosing.IsGenericType || enclosing.IsFileLocal || !IsReachableFromAssembly(enclosing) || !IsPartial(enclosing, cancellationToken))
            {
                return null;
            }

            hierarchy.Insert(0, new TypeDeclarationModel(Keyword(enclosing), Escape(enclosing.Name)));
        }

        // A member named Jobs (PK1009), or the type itself named Jobs: its nested class Jobs would be CS0542 (PK1012).
        if (method.ContainingType!.Name == JobsClassName || method.ContainingType.GetMembers(JobsClassName).Any(m => !m.IsImplicitlyDeclared))
        {
            return null;
        }

        // dynamic, pointers, ref structs cannot be a field or a type argument of the call class (PK1003, PK1004).
        if (method.Parameters.Any(p => CannotBeGenerated(p.Type)) || CannotBeGenerated(method.ReturnType))
        {
            return null;
        }

        // A private or protected type in the signature: the factory and call class, nested in Jobs, cannot expose it (PK1016).
        if (method.Parameters.Any(p => HasUnreachableType(p.Type)) || HasUnreachableType(method.ReturnType))
        {
            return null;
        }

        INamedTypeSymbol? cancellationTokenType = compilation.GetTypeByMetadataName("System.Threading.CancellationToken");
        var parameters = new List<ParameterModel>();
        foreach (IParameterSymbol parameter in method.Parameters)
        {
            if (parameter.RefKind != RefKind.None)
            {
                return null;
            }

            bool isToken = SymbolEqualityComparer.Default.Equals(parameter.Type, cancellationTokenType);
            parameters.Add(new ParameterModel(
                Escape(parameter.Name),
                parameter.Type.ToDisplayString(TypeFormat),
                isToken,
                parameter.HasExplicitDefaultValue ? FormatDefault(parameter) : null,
                parameter.IsParams));
        }

        // Several tokens (PK1010); another job of the type whose factory would have the same signature (PK1011).
        if (parameters.Count(p => p.IsCancellationToken) > 1 || HasFactoryTwin(method, cancellationTokenType))
        {
            return null;
        }

        (JobReturnKind kind, string? resultType) = ClassifyReturn(method, compilation);
        cancellationToken.ThrowIfCancellationRequested();

        INamedTypeSymbol containing = method.ContainingType!;
        string typeMetadataName = MetadataName(containing);
        string displayName = containing.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat) + "." + method.Name;
        string signature = string.Join(",", method.Parameters.Select(p => p.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)));
        ulong key = StableHash.Fnv1a64($"{compilation.AssemblyName}|{typeMetadataName}.{method.Name}({signature})");
        string callClass = CallClassName(method);
        string accessibility = method.DeclaredAccessibility == Accessibility.Public ? "public" : "internal";
        string cref = Escape(method.Name) + "(" + string.Join(", ", method.Parameters.Select(p => p.Type.ToDisplayString(CrefTypeFormat))) + ")";

        var job = new JobModel(
            Escape(method.Name),
            callClass,
            displayName,
            accessibility,
            kind,
            resultType,
            key,
            cref.Replace('<', '{').Replace('>', '}'),
            parameters.ToEquatableArray(),
            FactoryHidesObjectMember(method, compilation, cancellationTokenType),
            Retry: ReadNamedArgument(method, "Retry", true),
            Requires: ReadNamedArgument<string?>(method, "Requires", null));
        var type = new JobTypeModel(
            containing.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
            containing.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            typeMetadataName,
            HintName: string.Empty,
            hierarchy.ToEquatableArray(),
            EquatableArray<JobModel>.Empty,
            SourceBaseTypes(containing, compilation),
            HasInheritedJobsMember(containing, compilation));
        return new JobDeclaration(type, job);
    }

    /// <summary>Whether <paramref name="method"/> is what the generator considers a job: an ordinary method with <c>[ParallelJob]</c>.</summary>
    private static bool IsJobMethod(IMethodSymbol method)
        => method.MethodKind == MethodKind.Ordinary
            && method.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == AttributeName);

    /// <summary>
    /// Whether another job of the type has the same name and, once <c>CancellationToken</c> parameters are left
    /// out, the same parameter types: both would get the same factory (CS0111), so neither gets one (PK1011).
    /// </summary>
    private static bool HasFactoryTwin(IMethodSymbol method, INamedTypeSymbol? cancellationTokenType)
    {
        string signature = FactorySignature(method, cancellationTokenType);
        return method.ContainingType.GetMembers(method.Name)
            .OfType<IMethodSymbol>()
            .Any(other => !SymbolEqualityComparer.Default.Equals(other, method)
                && IsJobMethod(other)
                && FactorySignature(other, cancellationTokenType) == signature);
    }

    private static string FactorySignature(IMethodSymbol method, INamedTypeSymbol? cancellationTokenType)
        => string.Join(",", method.Parameters
            .Where(p => !SymbolEqualityComparer.Default.Equals(p.Type, cancellationTokenType))
            .Select(p => p.Type.ToDisplayString(SignatureFormat)));

    /// <summary>
    /// The job's call class: <c>{Method}Call</c>, or <c>{Method}Call2</c>, <c>{Method}Call3</c>… for overloads.
    /// The call classes share the <c>Jobs</c> class with the factories, so a name that is already a factory
    /// (a job named <c>XCall</c> beside a job <c>X</c>) or another call class is skipped. Names are handed
    /// out over every job of the type in declaration order, so each job gets the same name whichever is built first.
    /// </summary>
    private static string CallClassName(IMethodSymbol method)
    {
        IMethodSymbol[] jobs = [.. method.ContainingType.GetMembers().OfType<IMethodSymbol>().Where(IsJobMethod)];
        var taken = new HashSet<string>(jobs.Select(j => j.Name), System.StringComparer.Ordinal);
        foreach (IMethodSymbol job in jobs)
        {
            string name;
            int number = 1;
            do
            {
                name = job.Name + "Call" + (number > 1 ? number.ToString(CultureInfo.InvariantCulture) : string.Empty);
                number++;
            }
            while (!taken.Add(name));

            if (SymbolEqualityComparer.Default.Equals(job, method))
            {
                return name;
            }
        }

        // Unreachable: the method is one of its type's jobs.
        return method.Name + "Call";
    }

    /// <summary>
    /// Whether a base type of <paramref name="type"/> already has a member named <c>Jobs</c> that
    /// <paramref name="type"/> can see (the generated class of a referenced base type with jobs, or a member of
    /// the user's): the nested class <c>Jobs</c> hides it and is declared <c>new</c>, or it would warn (CS0108).
    /// Base types of this compilation get their <c>Jobs</c> class in the same run, so they are not seen here;
    /// see <see cref="SourceBaseTypes"/>.
    /// </summary>
    private static bool HasInheritedJobsMember(INamedTypeSymbol type, Compilation compilation)
    {
        for (INamedTypeSymbol? baseType = type.BaseType; baseType is not null; baseType = baseType.BaseType)
        {
            if (baseType.GetMembers(JobsClassName).Any(m => compilation.IsSymbolAccessibleWithin(m, type)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The base classes of <paramref name="type"/> declared in this compilation, fully qualified, nearest first.</summary>
    private static EquatableArray<string> SourceBaseTypes(INamedTypeSymbol type, Compilation compilation)
    {
        var names = new List<string>();
        for (INamedTypeSymbol? baseType = type.BaseType; baseType is not null; baseType = baseType.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(baseType.ContainingAssembly, compilation.Assembly))
            {
                names.Add(baseType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat));
            }
        }

        return names.ToEquatableArray();
    }

    /// <summary>
    /// Whether the factory, in the static class <c>Jobs</c>, has the name and parameter types of a method of
    /// <c>object</c> (<c>ToString()</c>, <c>GetHashCode()</c>, <c>GetType()</c>, <c>MemberwiseClone()</c>,
    /// <c>Equals(object)</c>…): it hides that method and is declared <c>new</c>, or it would warn (CS0108, CS0114).
    /// </summary>
    private static bool FactoryHidesObjectMember(IMethodSymbol method, Compilation compilation, INamedTypeSymbol? cancellationTokenType)
    {
        string signature = FactorySignature(method, cancellationTokenType);
        return compilation.GetSpecialType(SpecialType.System_Object).GetMembers(method.Name)
            .OfType<IMethodSymbol>()
            .Any(m => m.MethodKind == MethodKind.Ordinary
                && m.DeclaredAccessibility != Accessibility.Private
                && FactorySignature(m, cancellationTokenType) == signature);
    }

    /// <summary>Whether the type, a type enclosing it, a type argument or an element type is one that only its own type can name.</summary>
    private static bool HasUnreachableType(ITypeSymbol type) => type switch
    {
        IArrayTypeSymbol array => HasUnreachableType(array.ElementType),
        INamedTypeSymbol named => !IsReachableWithContainers(named) || named.TypeArguments.Any(HasUnreachableType),
        _ => false,
    };

    private static bool IsReachableWithContainers(INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? enclosing = type; enclosing is not null; enclosing = enclosing.ContainingType)
        {
            if (!IsReachableFromAssembly(enclosing))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether the job table, in the same assembly, can name the type: public, internal or protected internal.</summary>
    private static bool IsReachableFromAssembly(INamedTypeSymbol type)
        => type.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal;

    /// <summary>
    /// Whether the call class cannot hold or pass a value of <paramref name="type"/>: <c>dynamic</c> (no static
    /// shape), pointers and function pointers, ref structs, or a type built from one of those.
    /// </summary>
    private static bool CannotBeGenerated(ITypeSymbol type) => type switch
    {
        { TypeKind: TypeKind.Dynamic or TypeKind.Pointer or TypeKind.FunctionPointer } => true,
        { IsRefLikeType: true } => true,
        IArrayTypeSymbol array => CannotBeGenerated(array.ElementType),
        INamedTypeSymbol named => named.TypeArguments.Any(CannotBeGenerated) || (named.ContainingType is { } outer && CannotBeGenerated(outer)),
        _ => false,
    };

    /// <summary>
    /// A named argument of <c>[ParallelJob]</c>: <c>Retry = false</c> (the job must not run again after its worker
    /// died), <c>Requires = "gpu"</c> (the node tag it needs).
    /// </summary>
    private static T ReadNamedArgument<T>(IMethodSymbol method, string name, T fallback)
    {
        foreach (AttributeData attribute in method.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() != AttributeName)
            {
                continue;
            }

            foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
            {
                if (argument.Key == name && argument.Value.Value is T value)
                {
                    return value;
                }
            }
        }

        return fallback;
    }

    private static bool IsPartial(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax declaration
                && declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                return true;
            }
        }

        return false;
    }

    private static string Keyword(INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Struct } => "struct",
        { TypeKind: TypeKind.Interface } => "interface",
        _ => "class",
    };

    private static string MetadataName(INamedTypeSymbol type)
    {
        string name = type.MetadataName;
        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            name = outer.MetadataName + "+" + name;
        }

        return type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString(MetadataNamespaceFormat) + "." + name : name;
    }

    private static (JobReturnKind Kind, string? ResultType) ClassifyReturn(IMethodSymbol method, Compilation compilation)
    {
        if (method.ReturnsVoid)
        {
            return (JobReturnKind.Void, null);
        }

        ITypeSymbol returnType = method.ReturnType;
        INamedTypeSymbol? task = compilation.GetTypeByMetadataName("System.Threading.Tasks.Task");
        INamedTypeSymbol? valueTask = compilation.GetTypeByMetadataName("System.Threading.Tasks.ValueTask");
        INamedTypeSymbol? taskOfT = compilation.GetTypeByMetadataName("System.Threading.Tasks.Task`1");
        INamedTypeSymbol? valueTaskOfT = compilation.GetTypeByMetadataName("System.Threading.Tasks.ValueTask`1");
        if (SymbolEqualityComparer.Default.Equals(returnType, task))
        {
            return (JobReturnKind.Task, null);
        }

        if (SymbolEqualityComparer.Default.Equals(returnType, valueTask))
        {
            return (JobReturnKind.ValueTask, null);
        }

        if (returnType is INamedTypeSymbol { IsGenericType: true } generic)
        {
            if (SymbolEqualityComparer.Default.Equals(generic.OriginalDefinition, taskOfT))
            {
                return (JobReturnKind.TaskOfT, generic.TypeArguments[0].ToDisplayString(TypeFormat));
            }

            if (SymbolEqualityComparer.Default.Equals(generic.OriginalDefinition, valueTaskOfT))
            {
                return (JobReturnKind.ValueTaskOfT, generic.TypeArguments[0].ToDisplayString(TypeFormat));
            }
        }

        return (JobReturnKind.Value, returnType.ToDisplayString(TypeFormat));
    }

    private static string Escape(string name)
        => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) != SyntaxKind.None
            ? "@" + name
            : name;

    private static string FormatDefault(IParameterSymbol parameter)
    {
        object? value = parameter.ExplicitDefaultValue;
        ITypeSymbol type = parameter.Type;
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            type = nullable.TypeArguments[0];
        }

        if (value is null)
        {
            return type.IsValueType && parameter.Type.OriginalDefinition.SpecialType != SpecialType.System_Nullable_T ? "default" : "null";
        }

        if (type.TypeKind == TypeKind.Enum)
        {
            // "(E)-1" parses as a subtraction from a parenthesized name; a negative value needs its own parentheses.
            string number = SymbolDisplay.FormatPrimitive(value, quoteStrings: false, useHexadecimalNumbers: false);
            return $"({type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)}){(number.StartsWith("-", System.StringComparison.Ordinal) ? "(" + number + ")" : number)}";
        }

        string literal = SymbolDisplay.FormatPrimitive(value, quoteStrings: true, useHexadecimalNumbers: false);
        return value switch
        {
            float f when float.IsNaN(f) => "float.NaN",
            float f when float.IsPositiveInfinity(f) => "float.PositiveInfinity",
            float f when float.IsNegativeInfinity(f) => "float.NegativeInfinity",
            double d when double.IsNaN(d) => "double.NaN",
            double d when double.IsPositiveInfinity(d) => "double.PositiveInfinity",
            double d when double.IsNegativeInfinity(d) => "double.NegativeInfinity",
            float => literal + "F",
            double => literal + "D",
            decimal => literal + "M",
            long => literal + "L",
            ulong => literal + "UL",
            uint => literal + "U",
            _ => literal,
        };
    }
}
