using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using ParallelKit.Rules;
using static ParallelKit.Gpu.Analyzers.Diagnostics.DiagnosticDescriptors;

namespace ParallelKit.Gpu.Analyzers.Kernels;

/// <summary>
/// Checks every <c>[GpuKernel]</c> method at compile time where ILGPU would fail at run time: its declaration
/// (PK3001 to PK3005) and its body, walking the <see cref="IOperation"/> tree and following calls into
/// methods with source (PK3006 to PK3019).
/// </summary>
/// <remarks>
/// The rules themselves are <c>KernelRules</c> and <c>KernelBodyRules</c>, which the generator
/// (<c>KernelModelBuilder</c>) asks too: it emits nothing for a kernel reported here.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GpuKernelAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The metadata name of the attribute that marks a kernel.</summary>
    public const string GpuKernelAttributeName = KernelRules.GpuKernelAttributeName;

    /// <summary>How many calls deep the body walk follows methods with source.</summary>
    public const int MaxCallDepth = KernelRules.MaxCallDepth;

    private static readonly Dictionary<string, DiagnosticDescriptor> s_descriptors = new DiagnosticDescriptor[]
    {
        KernelIndexFirst, KernelParameterType, KernelShape, KernelNotInPartialType, KernelWithoutView,
        KernelAllocates, KernelUsesString, KernelBoxes, KernelUsesExceptions, KernelUsesLock, KernelUsesAwait,
        KernelForeachOverNonSpan, KernelRecursion, KernelVirtualCall, KernelUsesDelegate, KernelStaticMutableField,
        KernelCallsMethodWithoutSource, KernelUsesSystemMath, GroupKernelNot1D,
    }.ToDictionary(static d => d.Id);

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = [.. s_descriptors.Values];

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static start =>
        {
            INamedTypeSymbol? attribute = start.Compilation.GetTypeByMetadataName(GpuKernelAttributeName);
            if (attribute is null)
            {
                return;
            }

            start.RegisterSymbolAction(
                context =>
                {
                    if (context.Symbol is IMethodSymbol method && IsKernel(method, attribute))
                    {
                        Report(context.ReportDiagnostic, KernelRules.CheckDeclaration(method, context.CancellationToken));
                    }
                },
                SymbolKind.Method);
            start.RegisterOperationBlockAction(context =>
            {
                if (context.OwningSymbol is IMethodSymbol method && IsKernel(method, attribute))
                {
                    var body = new KernelBodyRules(method, context.Compilation, context.CancellationToken);
                    foreach (IOperation block in context.OperationBlocks)
                    {
                        body.Walk(block);
                    }

                    body.Complete();
                    Report(context.ReportDiagnostic, body.Violations);
                }
            });
        });
    }

    private static bool IsKernel(IMethodSymbol method, INamedTypeSymbol attribute)
        => method.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, attribute));

    private static void Report(System.Action<Diagnostic> report, IReadOnlyList<RuleViolation> violations)
    {
        foreach (var violation in violations)
        {
            report(violation.ToDiagnostic(s_descriptors));
        }
    }
}
