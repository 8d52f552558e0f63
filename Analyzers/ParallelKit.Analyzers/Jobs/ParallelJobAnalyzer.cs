using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using ParallelKit.Rules;
using static ParallelKit.Analyzers.Diagnostics.DiagnosticDescriptors;

namespace ParallelKit.Analyzers.Jobs;

/// <summary>
/// Checks every <c>[ParallelJob]</c> method against what the generator and the worker processes need:
/// an ordinary static method of partial, non-generic, public or internal types, whose parameters and result
/// MemoryPack can marshal and whose factory is unique (PK1001 to PK1016).
/// </summary>
/// <remarks>
/// The rules themselves are <c>JobRules</c>, which the generator (<c>JobModelBuilder</c>) asks too: it emits
/// nothing for a method reported here.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ParallelJobAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The metadata name of the attribute that marks a job.</summary>
    public const string ParallelJobAttributeName = JobRules.ParallelJobAttributeName;

    /// <summary>The name of the nested class the generator emits into a type that declares jobs.</summary>
    public const string JobsClassName = JobRules.JobsClassName;

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = [.. s_descriptors.Values];

    private static readonly Dictionary<string, DiagnosticDescriptor> s_descriptors = ById(
    [
        JobMustBeStatic,
        JobMustBeInPartialType,
        JobParameterCannotBeMarshaled,
        JobResultCannotBeMarshaled,
        JobParameterByReference,
        JobParameterIsDelegate,
        JobMustNotBeGeneric,
        JobInGenericType,
        JobsMemberNameConflict,
        JobHasSeveralCancellationTokens,
        JobFactoryConflict,
        JobInTypeNamedJobs,
        JobInFileLocalType,
        JobMustBeOrdinaryMethod,
        JobInInaccessibleType,
        JobSignatureTypeInaccessible,
    ]);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static start =>
        {
            var options = start.Options;
            var cancellationToken = start.CancellationToken;

            // Without the runtime there is no [ParallelJob] to check.
            if (JobRules.For(start.Compilation, tree => GeneratedCodeDetector.IsGenerated(tree, options, cancellationToken)) is not { } rules)
            {
                return;
            }

            start.RegisterSymbolAction(context => AnalyzeMethod(context, rules), SymbolKind.Method);

            // Local functions and lambdas are no members, so no symbol action sees them.
            start.RegisterOperationAction(
                context => AnalyzeFunction(context, rules),
                OperationKind.LocalFunction,
                OperationKind.AnonymousFunction);
        });
    }

    private static void AnalyzeFunction(OperationAnalysisContext context, JobRules rules)
    {
        var function = context.Operation switch
        {
            ILocalFunctionOperation local => local.Symbol,
            IAnonymousFunctionOperation anonymous => anonymous.Symbol,
            _ => null,
        };

        if (function is not null && rules.FindAttribute(function) is { } data)
        {
            context.ReportDiagnostic(JobRules.NotOrdinary(function, data, context.CancellationToken).ToDiagnostic(s_descriptors));
        }
    }

    private static void AnalyzeMethod(SymbolAnalysisContext context, JobRules rules)
    {
        var method = (IMethodSymbol)context.Symbol;
        if (rules.FindAttribute(method) is null)
        {
            return;
        }

        foreach (var violation in rules.Check(method, context.CancellationToken))
        {
            context.ReportDiagnostic(violation.ToDiagnostic(s_descriptors));
        }
    }

    private static Dictionary<string, DiagnosticDescriptor> ById(DiagnosticDescriptor[] descriptors)
        => descriptors.ToDictionary(static d => d.Id);
}
