using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ParallelKit.Generators.Helpers;
using ParallelKit.Generators.Jobs.Models;
using ParallelKit.Rules;

namespace ParallelKit.Generators.Jobs;

/// <summary>
/// Turns a [ParallelJob] method symbol into a <see cref="JobDeclaration"/>. A method that breaks a rule of
/// <see cref="JobRules"/> (which <c>ParallelJobAnalyzer</c> reports) produces no model, so that a mistake gives
/// one clear diagnostic instead of a cascade of errors in generated code.
/// </summary>
internal static class JobModelBuilder
{
    private const string AttributeName = JobRules.ParallelJobAttributeName;

    /// <summary>The name of the nested class the generator emits.</summary>
    private const string JobsClassName = JobRules.JobsClassName;

    // Parameter types in a cref: fully qualified (a user namespace named System must not capture them),
    // and tuples spelled ValueTuple{…}, since cref syntax has no tuple types.
    private static readonly SymbolDisplayFormat CrefTypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .WithMiscellaneousOptions(
            SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers
            | SymbolDisplayMiscellaneousOptions.UseSpecialTypes
            | SymbolDisplayMiscellaneousOptions.ExpandValueTuple);

    /// <summary>The model of <paramref name="method"/>, or null where it breaks a rule of <see cref="JobRules"/>.</summary>
    public static JobDeclaration? TryBuild(IMethodSymbol method, Compilation compilation, CancellationToken cancellationToken)
    {
        // The generator never sees its own output: only the file's name and header tell generated code here.
        if (JobRules.For(compilation, tree => GeneratedCodeDetector.IsGenerated(tree, null, cancellationToken)) is not { } rules
            || rules.Check(method, cancellationToken).Count > 0)
        {
            return null;
        }

        INamedTypeSymbol? cancellationTokenType = compilation.GetTypeByMetadataName("System.Threading.CancellationToken");
        var parameters = new List<ParameterModel>();
        foreach (IParameterSymbol parameter in method.Parameters)
        {
            bool isToken = SymbolEqualityComparer.Default.Equals(parameter.Type, cancellationTokenType);
            parameters.Add(new ParameterModel(
                Identifiers.Escape(parameter.Name),
                parameter.Type.ToDisplayString(Identifiers.TypeFormat),
                isToken,
                parameter.HasExplicitDefaultValue ? FormatDefault(parameter) : null,
                parameter.IsParams));
        }

        (JobReturnKind kind, string? resultType) = ClassifyReturn(method, compilation);
        cancellationToken.ThrowIfCancellationRequested();

        INamedTypeSymbol containing = method.ContainingType!;
        string typeMetadataName = Identifiers.MetadataName(containing);
        string displayName = containing.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat) + "." + method.Name;
        string signature = string.Join(",", method.Parameters.Select(p => p.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)));
        ulong key = StableHash.Fnv1a64($"{compilation.AssemblyName}|{typeMetadataName}.{method.Name}({signature})");
        string callClass = CallClassName(method, rules);
        string accessibility = method.DeclaredAccessibility == Accessibility.Public ? "public" : "internal";
        string cref = Identifiers.Escape(method.Name) + "(" + string.Join(", ", method.Parameters.Select(p => p.Type.ToDisplayString(CrefTypeFormat))) + ")";

        var job = new JobModel(
            Identifiers.Escape(method.Name),
            callClass,
            displayName,
            accessibility,
            kind,
            resultType,
            key,
            cref.Replace('<', '{').Replace('>', '}'),
            parameters.ToEquatableArray(),
            FactoryHidesObjectMember(method, compilation, rules),
            Retry: ReadNamedArgument(method, "Retry", true),
            Requires: ReadNamedArgument<string?>(method, "Requires", null));
        var type = new JobTypeModel(
            TypeHierarchy.NamespaceOf(containing),
            containing.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            typeMetadataName,
            HintName: string.Empty,
            TypeHierarchy.From(containing),
            EquatableArray<JobModel>.Empty,
            SourceBaseTypes(containing, compilation),
            HasInheritedJobsMember(containing, compilation));
        return new JobDeclaration(type, job);
    }

    /// <summary>
    /// The job's call class: <c>{Method}Call</c>, or <c>{Method}Call2</c>, <c>{Method}Call3</c>… for overloads.
    /// The call classes share the <c>Jobs</c> class with the factories, so a name that is already a factory
    /// (a job named <c>XCall</c> beside a job <c>X</c>) or another call class is skipped. Names are handed
    /// out over every job of the type in declaration order, so each job gets the same name whichever is built first.
    /// </summary>
    private static string CallClassName(IMethodSymbol method, JobRules rules) => Identifiers.NestedClassName(method, rules.IsJob, "Call");

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
    private static bool FactoryHidesObjectMember(IMethodSymbol method, Compilation compilation, JobRules rules)
    {
        string signature = rules.FactorySignature(method);
        return compilation.GetSpecialType(SpecialType.System_Object).GetMembers(method.Name)
            .OfType<IMethodSymbol>()
            .Any(m => m.MethodKind == MethodKind.Ordinary
                && m.DeclaredAccessibility != Accessibility.Private
                && rules.FactorySignature(m) == signature);
    }

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

    /// <summary>How <paramref name="method"/> returns (also for CSP processes), and its result type where it has one.</summary>
    internal static (JobReturnKind Kind, string? ResultType) ClassifyReturn(IMethodSymbol method, Compilation compilation)
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
                return (JobReturnKind.TaskOfT, generic.TypeArguments[0].ToDisplayString(Identifiers.TypeFormat));
            }

            if (SymbolEqualityComparer.Default.Equals(generic.OriginalDefinition, valueTaskOfT))
            {
                return (JobReturnKind.ValueTaskOfT, generic.TypeArguments[0].ToDisplayString(Identifiers.TypeFormat));
            }
        }

        return (JobReturnKind.Value, returnType.ToDisplayString(Identifiers.TypeFormat));
    }

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
