using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ParallelKit.Generators.Helpers;
using ParallelKit.Generators.Jobs.Models;
using ParallelKit.Rules;

namespace ParallelKit.Generators.Jobs;

/// <summary>
/// Generates, for every <c>[ParallelJob]</c> method, a factory in the nested <c>Jobs</c> class returning a
/// marshalable <c>JobCall</c>; for every assembly with jobs, a job table (the workers' dispatch table);
/// and for every executable, the worker entrypoint that registers the tables of the executable and of
/// the libraries it references.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class ParallelJobGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names of the pipeline steps, for incrementality tests.</summary>
    public static class TrackingNames
    {
        /// <summary>The per-method transform.</summary>
        public const string Execute = nameof(Execute);

        /// <summary>Jobs grouped by their declaring type.</summary>
        public const string Types = nameof(Types);

        /// <summary>The job table input.</summary>
        public const string Table = nameof(Table);

        /// <summary>The entrypoint input.</summary>
        public const string EntryPoint = nameof(EntryPoint);
    }

    private const string AttributeName = JobRules.ParallelJobAttributeName;
    private const string JobAssemblyAttributeName = "ParallelKit.ParallelJobAssemblyAttribute";
    private const string WorkerHostName = "ParallelKit.WorkerHost";

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<JobDeclaration> jobs = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                AttributeName,
                static (node, _) => node is MethodDeclarationSyntax,
                static (context, token) => context.TargetSymbol is IMethodSymbol method
                    ? JobModelBuilder.TryBuild(method, context.SemanticModel.Compilation, token)
                    : null)
            .Where(static job => job is not null)
            .Select(static (job, _) => job!)
            .WithTrackingName(TrackingNames.Execute);

        IncrementalValueProvider<EquatableArray<JobTypeModel>> types = jobs
            .Collect()
            .Select(static (all, _) => WithHintNames(WithHiddenBaseJobs(all
                .GroupBy(static j => j.Type.FullyQualifiedName)
                .OrderBy(static g => g.Key, System.StringComparer.Ordinal)
                .Select(static g => g.First().Type with { Jobs = g.Select(static j => j.Job).ToEquatableArray() }))))
            .WithTrackingName(TrackingNames.Types);

        context.RegisterSourceOutput(types.SelectMany(static (all, _) => all.AsImmutableArray()), static (output, type) =>
            output.AddSource(type.HintName, JobSourceWriter.WriteJobsClass(type)));

        IncrementalValueProvider<string> assemblyName = context.CompilationProvider
            .Select(static (compilation, _) => compilation.AssemblyName ?? "Assembly");

        IncrementalValueProvider<(EquatableArray<JobTypeModel> Types, string Assembly)> table = types
            .Combine(assemblyName)
            .WithTrackingName(TrackingNames.Table);

        context.RegisterSourceOutput(table, static (output, input) =>
        {
            // Every job is reachable from here: jobs of private or protected types get no model (PK1015).
            List<(JobTypeModel, JobModel)> registered = [.. input.Types.SelectMany(static t => t.Jobs.Select(j => (t, j)))];
            if (registered.Count == 0)
            {
                return;
            }

            output.AddSource("ParallelKit.JobTable.g.cs", JobSourceWriter.WriteJobTable(JobSourceWriter.JobTableName(input.Assembly), registered));
        });

        IncrementalValueProvider<EntryPointModel> entry = context.CompilationProvider
            .Select(static (compilation, token) => BuildEntryPoint(compilation, token))
            .WithTrackingName(TrackingNames.EntryPoint);

        context.RegisterSourceOutput(entry.Combine(types), static (output, input) =>
        {
            (EntryPointModel model, EquatableArray<JobTypeModel> ownTypes) = input;
            if (!model.IsExecutable || !model.HasRuntime)
            {
                return;
            }

            var tables = new List<string>();
            if (!ownTypes.IsEmpty)
            {
                tables.Add("global::ParallelKit.Generated." + JobSourceWriter.JobTableName(model.AssemblyName));
            }

            tables.AddRange(model.ReferencedJobTables);
            output.AddSource("ParallelKit.WorkerEntryPoint.g.cs", JobSourceWriter.WriteEntryPoint(tables, model.EntryType is not null));
            if (model.EntryType is { } entryType)
            {
                output.AddSource("ParallelKit.EntryTypeConstructor.g.cs", JobSourceWriter.WriteEntryTypeConstructor(entryType));
            }
        });
    }

    /// <summary>
    /// Marks the types whose base class gets jobs in this run: the base's generated <c>Jobs</c> class is
    /// inherited, and the derived type's own <c>Jobs</c> class must hide it with <c>new</c> (CS0108 otherwise).
    /// </summary>
    private static IEnumerable<JobTypeModel> WithHiddenBaseJobs(IEnumerable<JobTypeModel> types)
    {
        JobTypeModel[] all = [.. types];
        var withJobs = new HashSet<string>(all.Select(static t => t.FullyQualifiedName), System.StringComparer.Ordinal);
        return all.Select(t => !t.HidesInheritedJobs && t.SourceBaseTypes.Any(withJobs.Contains) ? t with { HidesInheritedJobs = true } : t);
    }

    /// <summary>
    /// Names each type's file <c>{Namespace}.{Outer}.{Type}.Jobs.g.cs</c>. Roslyn compares hint names ignoring
    /// case (they become file names), so types whose names differ only in case (<c>Demo.Worker</c> and
    /// <c>Demo.worker</c>, or a namespace <c>Demo.a</c> beside a type <c>Demo.A</c>) would collide and fail the
    /// whole generator: those get a suffix hashed from their exact metadata name, stable across runs.
    /// </summary>
    private static EquatableArray<JobTypeModel> WithHintNames(IEnumerable<JobTypeModel> types)
    {
        JobTypeModel[] all = [.. types];
        string[] names = HintNames.Unique([.. all.Select(static t => HintNames.Stem(t.MetadataName))], [.. all.Select(static t => t.MetadataName)], ".Jobs.g.cs");
        for (int i = 0; i < all.Length; i++)
        {
            all[i] = all[i] with { HintName = names[i] };
        }

        return all.ToEquatableArray();
    }

    private static EntryPointModel BuildEntryPoint(Compilation compilation, System.Threading.CancellationToken token)
    {
        bool isExecutable = compilation.Options.OutputKind is OutputKind.ConsoleApplication or OutputKind.WindowsApplication;
        bool hasRuntime = compilation.GetTypeByMetadataName(WorkerHostName) is not null;
        var tables = new List<string>();
        if (isExecutable && hasRuntime)
        {
            foreach (IAssemblySymbol assembly in compilation.SourceModule.ReferencedAssemblySymbols)
            {
                token.ThrowIfCancellationRequested();
                foreach (AttributeData attribute in assembly.GetAttributes())
                {
                    if (attribute.AttributeClass?.ToDisplayString() == JobAssemblyAttributeName
                        && attribute.ConstructorArguments.Length == 1
                        && attribute.ConstructorArguments[0].Value is INamedTypeSymbol table
                        && table.DeclaredAccessibility == Accessibility.Public)
                    {
                        tables.Add(table.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat));
                    }
                }
            }

            tables.Sort(System.StringComparer.Ordinal);
        }

        EntryTypeModel? entryType = isExecutable && hasRuntime ? DescribeEntryType(compilation, token) : null;
        return new EntryPointModel(isExecutable, hasRuntime, compilation.AssemblyName ?? "Assembly", tables.ToEquatableArray(), entryType);
    }

    /// <summary>
    /// A member of <c>Main</c>'s type that no other thread can enter through that type: the implicit default
    /// constructor, or a nested type declared by name (its members do not wait for the outer type's static
    /// constructor). Anything compiler-made beyond that (an extension block, say) does not qualify.
    /// </summary>
    private static bool IsHarmlessEntryTypeMember(ISymbol member) => member switch
    {
        IMethodSymbol { IsImplicitlyDeclared: true, MethodKind: MethodKind.Constructor, Parameters.Length: 0 } => true,
        INamedTypeSymbol { IsImplicitlyDeclared: false, CanBeReferencedByName: true } nested
            => nested.TypeKind is TypeKind.Class or TypeKind.Struct or TypeKind.Interface or TypeKind.Enum or TypeKind.Delegate,
        _ => false,
    };

    /// <summary>The type declaring <c>Main</c>, when a generated static constructor may serve workers (see <see cref="EntryTypeModel"/>).</summary>
    private static EntryTypeModel? DescribeEntryType(Compilation compilation, System.Threading.CancellationToken token)
    {
        IMethodSymbol? main = compilation.GetEntryPoint(token);
        // A file-local type: the generated 'partial class' would be another type, and nothing would serve workers.
        if (main?.ContainingType is not { TypeKind: TypeKind.Class, ContainingType: null, IsGenericType: false, IsRecord: false, IsFileLocal: false } type)
        {
            return null;
        }

        foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
        {
            // Top-level statements declare Program implicitly (a compilation unit, not a type declaration): partial by definition.
            if (reference.GetSyntax(token) is TypeDeclarationSyntax declaration
                && !declaration.Modifiers.Any(static m => m.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.PartialKeyword)))
            {
                return null;
            }
        }

        foreach (ISymbol member in type.GetMembers())
        {
            if (SymbolEqualityComparer.Default.Equals(member, main) || IsHarmlessEntryTypeMember(member))
            {
                continue;
            }

            // A static constructor of its own, a field, a helper method, a job, an extension block (its methods
            // are compiled into this type): something another thread might enter while a worker serves from the
            // static constructor (it would wait for ever), or a clash.
            return null;
        }

        string ns = type.ContainingNamespace.IsGlobalNamespace
            ? string.Empty
            : type.ContainingNamespace.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Substring("global::".Length);
        return new EntryTypeModel(ns, Identifiers.Escape(type.Name));
    }
}
