using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using ParallelKit.Rules;

namespace ParallelKit.Analyzers.Csp;

/// <summary>
/// Checks <c>[CspProcess]</c> declarations (PK4001 to PK4003: <see cref="CspRules"/>, the cases where the generator emits nothing) and
/// their bodies (PK4007: an end escaping into a lambda or a field; PK4008: poison swallowed in a reading loop).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CspProcessAnalyzer : DiagnosticAnalyzer
{
    private const string AttributeName = CspRules.AttributeName;

    /// <summary>The descriptors of the declaration rules (<see cref="CspRules"/>), by ID.</summary>
    private static readonly Dictionary<string, DiagnosticDescriptor> s_declarationDescriptors = new[]
    {
        CspDiagnosticDescriptors.ProcessMustBeStatic,
        CspDiagnosticDescriptors.ProcessMustBeInPartialType,
        CspDiagnosticDescriptors.ProcessCannotBeGenerated,
    }.ToDictionary(static d => d.Id);

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
    [
        CspDiagnosticDescriptors.ProcessMustBeStatic,
        CspDiagnosticDescriptors.ProcessMustBeInPartialType,
        CspDiagnosticDescriptors.ProcessCannotBeGenerated,
        CspDiagnosticDescriptors.EndEscapesProcess,
        CspDiagnosticDescriptors.PoisonSwallowedInReadLoop,
    ];

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            INamedTypeSymbol? attribute = start.Compilation.GetTypeByMetadataName(AttributeName);
            if (attribute is null)
            {
                return;
            }

            var ends = new CspTypes(start.Compilation);
            start.RegisterSymbolAction(symbol => AnalyzeDeclaration(symbol, attribute), SymbolKind.Method);

            // Local functions and lambdas are no members, so no symbol action sees them.
            start.RegisterOperationAction(operation => AnalyzeFunction(operation, attribute), OperationKind.LocalFunction, OperationKind.AnonymousFunction);
            start.RegisterOperationBlockStartAction(block =>
            {
                if (block.OwningSymbol is IMethodSymbol method && HasAttribute(method, attribute))
                {
                    block.RegisterOperationAction(operation => AnalyzeEndUse(operation, method, ends), OperationKind.ParameterReference);
                }
            });
            start.RegisterSyntaxNodeAction(node => AnalyzeCatch(node, ends), SyntaxKind.CatchClause);
        });
    }

    private static bool HasAttribute(IMethodSymbol method, INamedTypeSymbol attribute)
        => method.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, attribute));

    private static void AnalyzeDeclaration(SymbolAnalysisContext context, INamedTypeSymbol attribute)
    {
        var method = (IMethodSymbol)context.Symbol;
        if (HasAttribute(method, attribute))
        {
            Report(method, context.Compilation, context.Options, context.ReportDiagnostic, context.CancellationToken);
        }
    }

    /// <summary>PK4003 for a <c>[CspProcess]</c> local function or lambda.</summary>
    private static void AnalyzeFunction(OperationAnalysisContext context, INamedTypeSymbol attribute)
    {
        IMethodSymbol? function = context.Operation switch
        {
            ILocalFunctionOperation local => local.Symbol,
            IAnonymousFunctionOperation anonymous => anonymous.Symbol,
            _ => null,
        };

        if (function is not null && HasAttribute(function, attribute))
        {
            Report(function, context.Compilation, context.Options, context.ReportDiagnostic, context.CancellationToken);
        }
    }

    /// <summary>Reports every rule of <see cref="CspRules"/> that <paramref name="method"/> breaks.</summary>
    private static void Report(IMethodSymbol method, Compilation compilation, AnalyzerOptions options, System.Action<Diagnostic> report, System.Threading.CancellationToken cancellationToken)
    {
        foreach (RuleViolation violation in CspRules.Check(method, compilation, tree => GeneratedCodeDetector.IsGenerated(tree, options, cancellationToken), cancellationToken))
        {
            report(violation.ToDiagnostic(s_declarationDescriptors));
        }
    }

    /// <summary>PK4007: an end parameter used inside a lambda or local function, or stored in a field or property.</summary>
    private static void AnalyzeEndUse(OperationAnalysisContext context, IMethodSymbol method, CspTypes types)
    {
        var reference = (IParameterReferenceOperation)context.Operation;
        if (!SymbolEqualityComparer.Default.Equals(reference.Parameter.ContainingSymbol, method) || !types.HoldsEnds(reference.Parameter.Type))
        {
            return;
        }

        for (IOperation? parent = reference.Parent; parent is not null; parent = parent.Parent)
        {
            if (parent is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                context.ReportDiagnostic(Diagnostic.Create(CspDiagnosticDescriptors.EndEscapesProcess, reference.Syntax.GetLocation(), reference.Parameter.Name, "is captured by a lambda or local function"));
                return;
            }
        }

        IOperation? user = reference.Parent;
        while (user is IConversionOperation or IParenthesizedOperation)
        {
            user = user.Parent;
        }

        if (user is ISimpleAssignmentOperation { Target: IFieldReferenceOperation or IPropertyReferenceOperation } assignment && !ReferenceEquals(assignment.Target, reference))
        {
            context.ReportDiagnostic(Diagnostic.Create(CspDiagnosticDescriptors.EndEscapesProcess, reference.Syntax.GetLocation(), reference.Parameter.Name, "is stored in a field or property"));
        }
    }

    /// <summary>PK4008: <c>catch (ChannelPoisonedException)</c> that neither leaves nor rethrows, in a loop whose try block reads.</summary>
    private static void AnalyzeCatch(SyntaxNodeAnalysisContext context, CspTypes types)
    {
        var clause = (CatchClauseSyntax)context.Node;
        if (clause.Declaration is null
            || context.SemanticModel.GetTypeInfo(clause.Declaration.Type, context.CancellationToken).Type is not { } caught
            || !SymbolEqualityComparer.Default.Equals(caught, types.Poisoned)
            || clause.Parent is not TryStatementSyntax tryStatement
            || EnclosingLoop(tryStatement) is null)
        {
            return;
        }

        bool leaves = clause.Block.DescendantNodes().Any(n => n is ThrowStatementSyntax or ThrowExpressionSyntax or ReturnStatementSyntax or BreakStatementSyntax or GotoStatementSyntax or YieldStatementSyntax { RawKind: (int)SyntaxKind.YieldBreakStatement });
        if (leaves)
        {
            return;
        }

        SyntaxNode loop = EnclosingLoop(tryStatement)!;
        bool reads = tryStatement.Block.DescendantNodes().OfType<InvocationExpressionSyntax>().Any(invocation =>
            context.SemanticModel.GetSymbolInfo(invocation, context.CancellationToken).Symbol is IMethodSymbol called
            && types.IsRead(called)
            && !ReadsAFreshEnd(invocation, loop, context.SemanticModel, context.CancellationToken));
        if (reads)
        {
            context.ReportDiagnostic(Diagnostic.Create(CspDiagnosticDescriptors.PoisonSwallowedInReadLoop, clause.CatchKeyword.GetLocation()));
        }
    }

    /// <summary>Whether the read's end (or alternation) is a local declared inside the loop: each round reads a new one.</summary>
    private static bool ReadsAFreshEnd(InvocationExpressionSyntax invocation, SyntaxNode loop, SemanticModel model, System.Threading.CancellationToken cancellationToken)
        => invocation.Expression is MemberAccessExpressionSyntax access
            && model.GetSymbolInfo(access.Expression, cancellationToken).Symbol is ILocalSymbol local
            && local.DeclaringSyntaxReferences.Any(r => loop.Span.Contains(r.Span));

    private static SyntaxNode? EnclosingLoop(SyntaxNode node)
    {
        for (SyntaxNode? parent = node.Parent; parent is not null; parent = parent.Parent)
        {
            switch (parent)
            {
                case WhileStatementSyntax or DoStatementSyntax or ForStatementSyntax or ForEachStatementSyntax:
                    return parent;
                case MemberDeclarationSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax:
                    return null;
            }
        }

        return null;
    }
}

/// <summary>The CSP types the analyzers look for, resolved once per compilation.</summary>
internal sealed class CspTypes
{
    public CspTypes(Compilation compilation)
    {
        In = compilation.GetTypeByMetadataName("ParallelKit.ChannelIn`1");
        Out = compilation.GetTypeByMetadataName("ParallelKit.ChannelOut`1");
        Poisoned = compilation.GetTypeByMetadataName("ParallelKit.ChannelPoisonedException");
        Alternation = compilation.GetTypeByMetadataName("ParallelKit.Alternation");
        ProcessCall = compilation.GetTypeByMetadataName("ParallelKit.CspProcessCall");
        Csp = compilation.GetTypeByMetadataName("ParallelKit.Csp");
    }

    public INamedTypeSymbol? In { get; }

    public INamedTypeSymbol? Out { get; }

    public INamedTypeSymbol? Poisoned { get; }

    public INamedTypeSymbol? Alternation { get; }

    public INamedTypeSymbol? ProcessCall { get; }

    public INamedTypeSymbol? Csp { get; }

    /// <summary>Whether <paramref name="type"/> is a <c>ChannelIn&lt;T&gt;</c> or <c>ChannelOut&lt;T&gt;</c>.</summary>
    public bool IsEnd(ITypeSymbol? type)
        => type is INamedTypeSymbol { IsGenericType: true } named
            && (SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, In) || SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, Out));

    /// <summary>Whether <paramref name="type"/> is an end, or an array or generic collection of ends.</summary>
    public bool HoldsEnds(ITypeSymbol? type) => type switch
    {
        IArrayTypeSymbol array => IsEnd(array.ElementType),
        INamedTypeSymbol { IsGenericType: true } named => IsEnd(named) || named.TypeArguments.Any(IsEnd),
        _ => false,
    };

    /// <summary>Whether <paramref name="method"/> reads a channel: <c>Read</c>/<c>ReadAsync</c> of an input end, or a selection of an alternation.</summary>
    public bool IsRead(IMethodSymbol method)
        => (method.Name is "Read" or "ReadAsync" && IsEnd(method.ContainingType) && SymbolEqualityComparer.Default.Equals(method.ContainingType.OriginalDefinition, In))
            || (SymbolEqualityComparer.Default.Equals(method.ContainingType, Alternation) && method.Name.Contains("Select"));
}
