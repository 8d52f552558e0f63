using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using ParallelKit.Rules;

namespace ParallelKit.Analyzers.Csp;

/// <summary>
/// Checks how networks are put together: a process run <c>.InOsProcess()</c> whose arguments or channel values
/// cannot be marshaled (PK4004), an <c>Alternation</c> without guards (PK4005), and one end given to two
/// processes of one <c>Csp.Parallel</c> (PK4006).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CspNetworkAnalyzer : DiagnosticAnalyzer
{
    private const string AttributeName = "ParallelKit.CspProcessAttribute";

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
    [
        CspDiagnosticDescriptors.OsProcessArgumentCannotBeMarshaled,
        CspDiagnosticDescriptors.AlternationWithoutGuards,
        CspDiagnosticDescriptors.EndSharedByProcesses,
    ];

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var types = new CspTypes(start.Compilation);
            if (types.ProcessCall is null)
            {
                return;
            }

            var marshaling = new MarshalabilityChecker(start.Compilation, tree => GeneratedCodeDetector.IsGenerated(tree, start.Options, start.CancellationToken));
            start.RegisterOperationAction(operation => AnalyzeInvocation(operation, types, marshaling), OperationKind.Invocation);
            start.RegisterOperationAction(operation => AnalyzeCreation(operation, types), OperationKind.ObjectCreation);
        });
    }

    private static void AnalyzeCreation(OperationAnalysisContext context, CspTypes types)
    {
        var creation = (IObjectCreationOperation)context.Operation;
        if (!SymbolEqualityComparer.Default.Equals(creation.Type, types.Alternation))
        {
            return;
        }

        // The guards written out; null stands for an array passed whole (its guards are not known here).
        var guards = new List<IOperation?>();
        foreach (IArgumentOperation argument in creation.Arguments)
        {
            if (argument.ArgumentKind == ArgumentKind.ParamArray && argument.Value is IArrayCreationOperation array)
            {
                guards.AddRange(array.Initializer?.ElementValues ?? ImmutableArray<IOperation>.Empty);
            }
            else
            {
                guards.Add(argument.Value.Type is IArrayTypeSymbol ? null : argument.Value);
            }
        }

        if (guards.Count == 0)
        {
            context.ReportDiagnostic(Diagnostic.Create(CspDiagnosticDescriptors.AlternationWithoutGuards, creation.Syntax.GetLocation(), "has no guards"));
        }
        else if (guards.All(g => g is not null && IsAlwaysDisabled(g, creation)))
        {
            context.ReportDiagnostic(Diagnostic.Create(CspDiagnosticDescriptors.AlternationWithoutGuards, creation.Syntax.GetLocation(), "has only guards whose Enabled is always false"));
        }
    }

    /// <summary>
    /// Whether <paramref name="guard"/> is a local whose <c>Enabled</c> the method sets only ever to the constant
    /// <see langword="false"/>, once before the alternation is created (a condition computed at run time is never flagged).
    /// </summary>
    private static bool IsAlwaysDisabled(IOperation guard, IOperation creation)
    {
        while (guard is IConversionOperation conversion)
        {
            guard = conversion.Operand;
        }

        if (guard is not ILocalReferenceOperation { Local: { } local })
        {
            return false;
        }

        IOperation root = creation;
        while (root.Parent is { } parent)
        {
            root = parent;
        }

        bool assigned = false;
        foreach (IOperation operation in root.DescendantsAndSelf())
        {
            if (operation is IAssignmentOperation { Target: IPropertyReferenceOperation { Property.Name: "Enabled", Instance: ILocalReferenceOperation target } } assignment
                && SymbolEqualityComparer.Default.Equals(target.Local, local))
            {
                if (assignment is not ISimpleAssignmentOperation { Value.ConstantValue: { HasValue: true, Value: false } })
                {
                    return false;
                }

                // Only a disabling written before the alternation: before it, the guard is still enabled (the default).
                assigned |= assignment.Syntax.SpanStart < creation.Syntax.SpanStart;
            }
        }

        return assigned;
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context, CspTypes types, MarshalabilityChecker marshaling)
    {
        var invocation = (IInvocationOperation)context.Operation;
        IMethodSymbol target = invocation.TargetMethod;
        if (target.Name == "InOsProcess" && IsProcessCall(target.ContainingType, types))
        {
            CheckOsProcess(context, invocation, types, marshaling);
        }
        else if (target.Name == "Parallel" && SymbolEqualityComparer.Default.Equals(target.ContainingType, types.Csp))
        {
            CheckSharedEnds(context, invocation, types);
        }
    }

    private static bool IsProcessCall(INamedTypeSymbol? type, CspTypes types)
    {
        for (INamedTypeSymbol? t = type; t is not null; t = t.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(t, types.ProcessCall))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// PK4004: the process behind <c>X.Processes.M(...).InOsProcess()</c> (through <c>Replicate</c>, and through locals
    /// initialized once with such a description) takes or carries an unmarshalable type.
    /// </summary>
    private static void CheckOsProcess(OperationAnalysisContext context, IInvocationOperation invocation, CspTypes types, MarshalabilityChecker marshaling)
    {
        IOperation? receiver = invocation.Instance;
        for (int hops = 0; hops < 8; hops++)
        {
            while (receiver is IInvocationOperation { TargetMethod.Name: "Replicate" or "InOsProcess", Instance: { } inner })
            {
                receiver = inner;
            }

            IOperation? initializer = InitializerOfLocal(receiver, context.CancellationToken);
            if (initializer is null)
            {
                break;
            }

            receiver = initializer;
        }

        if (receiver is not IInvocationOperation { TargetMethod: { IsStatic: true, ContainingType: { Name: "Processes", ContainingType: { } declaring } } factory })
        {
            return;
        }

        IMethodSymbol? process = declaring.GetMembers(factory.Name).OfType<IMethodSymbol>().FirstOrDefault(m =>
            m.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == AttributeName)
            && m.Parameters.Where(p => !marshaling.IsCancellationToken(p.Type)).Select(p => p.Type)
                .SequenceEqual(factory.Parameters.Select(p => p.Type), SymbolEqualityComparer.Default));
        if (process is null)
        {
            return;
        }

        foreach (IParameterSymbol parameter in process.Parameters)
        {
            if (marshaling.IsCancellationToken(parameter.Type))
            {
                continue;
            }

            ITypeSymbol? carried = CarriedType(parameter.Type, types);
            string? reason = carried is not null
                ? (marshaling.GetReasonNotMarshalable(carried) is { } why ? $"its channel carries '{carried.ToDisplayString()}', and {why}" : null)
                : types.HoldsEnds(parameter.Type) ? null : marshaling.GetReasonNotMarshalable(parameter.Type);
            if (reason is not null)
            {
                Location location = invocation.Syntax is Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax { Expression: Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax access }
                    ? access.Name.GetLocation()
                    : invocation.Syntax.GetLocation();
                context.ReportDiagnostic(Diagnostic.Create(CspDiagnosticDescriptors.OsProcessArgumentCannotBeMarshaled, location, process.Name, parameter.Name, reason));
            }
        }
    }

    /// <summary>
    /// What a local was initialized with (conversions looked through), when <paramref name="operation"/> reads a local
    /// declared with an initializer and never assigned again; else null.
    /// </summary>
    private static IOperation? InitializerOfLocal(IOperation? operation, System.Threading.CancellationToken cancellationToken)
    {
        if (operation is not ILocalReferenceOperation { Local: { } local, SemanticModel: { } model }
            || local.DeclaringSyntaxReferences.Length != 1
            || local.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not VariableDeclaratorSyntax { Initializer.Value: { } value } declarator
            || declarator.SyntaxTree != model.SyntaxTree)
        {
            return null;
        }

        SyntaxNode scope = declarator.FirstAncestorOrSelf<BlockSyntax>() ?? declarator.SyntaxTree.GetRoot(cancellationToken);
        foreach (SyntaxNode node in scope.DescendantNodes())
        {
            ExpressionSyntax? written = node switch
            {
                AssignmentExpressionSyntax assignment => assignment.Left,
                ArgumentSyntax { RefKindKeyword.RawKind: not 0 } argument => argument.Expression,
                _ => null,
            };
            if (written is IdentifierNameSyntax name
                && name.Identifier.ValueText == local.Name
                && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(name, cancellationToken).Symbol, local))
            {
                return null;
            }
        }

        IOperation? initializer = model.GetOperation(value, cancellationToken);
        while (initializer is IConversionOperation { Operand: { } operand })
        {
            initializer = operand;
        }

        return initializer;
    }

    /// <summary>The value type of an end parameter (or of an array or collection of ends); null for other parameters.</summary>
    private static ITypeSymbol? CarriedType(ITypeSymbol type, CspTypes types) => type switch
    {
        INamedTypeSymbol named when types.IsEnd(named) => named.TypeArguments[0],
        IArrayTypeSymbol { ElementType: INamedTypeSymbol element } when types.IsEnd(element) => element.TypeArguments[0],
        INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } list when list.TypeArguments[0] is INamedTypeSymbol element && types.IsEnd(element) => element.TypeArguments[0],
        _ => null,
    };

    /// <summary>PK4006: an end (a local, parameter or field) passed to two of the processes of one <c>Csp.Parallel</c>.</summary>
    private static void CheckSharedEnds(OperationAnalysisContext context, IInvocationOperation invocation, CspTypes types)
    {
        var processes = new List<IOperation>();
        foreach (IArgumentOperation argument in invocation.Arguments)
        {
            if (argument.Value is IArrayCreationOperation { Initializer: { } initializer })
            {
                processes.AddRange(initializer.ElementValues);
            }
            else if (argument.Value is ICollectionExpressionOperation collection)
            {
                processes.AddRange(collection.Elements);
            }
        }

        var owner = new Dictionary<ISymbol, int>(SymbolEqualityComparer.Default);
        for (int i = 0; i < processes.Count; i++)
        {
            var seenHere = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
            foreach (IOperation operation in processes[i].DescendantsAndSelf())
            {
                if (operation.Parent is not IArgumentOperation || !types.IsEnd(operation.Type))
                {
                    continue;
                }

                ISymbol? symbol = operation switch
                {
                    ILocalReferenceOperation local => local.Local,
                    IParameterReferenceOperation parameter => parameter.Parameter,
                    IFieldReferenceOperation field => field.Field,
                    _ => null,
                };
                if (symbol is null || !seenHere.Add(symbol))
                {
                    continue;
                }

                if (owner.TryGetValue(symbol, out int first) && first != i)
                {
                    context.ReportDiagnostic(Diagnostic.Create(CspDiagnosticDescriptors.EndSharedByProcesses, operation.Syntax.GetLocation(), symbol.Name));
                }
                else
                {
                    owner[symbol] = i;
                }
            }
        }
    }
}
