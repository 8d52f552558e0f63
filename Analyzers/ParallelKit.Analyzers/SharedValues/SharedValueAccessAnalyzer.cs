using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using static ParallelKit.Analyzers.Diagnostics.DiagnosticDescriptors;

namespace ParallelKit.Analyzers.SharedValues;

/// <summary>
/// Finds likely races on shared values (PK2007): <c>++</c>, <c>--</c>, compound assignments and
/// <c>x.P = x.P + 1</c> on a <c>[SharedValue]</c> property or on <c>SharedValue&lt;T&gt;.Value</c> outside a
/// <c>Lock()</c> scope of the same object; and uses of the members the generator emits behind the properties (PK2008).
/// <c>SharedArray</c> element updates are not reported.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class SharedValueAccessAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: the receiver's text as written (<c>this</c> when implicit), for the code fix.</summary>
    public const string ReceiverProperty = "Receiver";

    /// <summary>Diagnostic property: the generated helper that does the whole update atomically, when there is one.</summary>
    public const string HelperProperty = "Helper";

    /// <summary>Diagnostic property: the helper's argument (the right side of <c>+=</c>), or empty for none.</summary>
    public const string HelperArgumentProperty = "HelperArgument";

    /// <summary>The prefix of the members the generator emits behind <c>[SharedValue]</c> properties.</summary>
    public const string GeneratedMemberPrefix = "__shared";

    private const string SharedValueTypeName = "ParallelKit.SharedValue`1";

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = [SharedValueReadModifyWrite, SharedValueBackingMemberAccess];

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static start =>
        {
            var attribute = start.Compilation.GetTypeByMetadataName(SharedValueDeclarationAnalyzer.SharedValueAttributeName);
            var sharedValueType = start.Compilation.GetTypeByMetadataName(SharedValueTypeName);
            if (attribute is null && sharedValueType is null)
            {
                return;
            }

            start.RegisterOperationAction(
                context => AnalyzeUpdate(context, attribute, sharedValueType),
                OperationKind.Increment,
                OperationKind.Decrement,
                OperationKind.CompoundAssignment,
                OperationKind.SimpleAssignment);

            if (attribute is not null)
            {
                start.RegisterOperationAction(
                    context => AnalyzeMemberReference(context, attribute),
                    OperationKind.FieldReference,
                    OperationKind.PropertyReference,
                    OperationKind.MethodReference,
                    OperationKind.Invocation);
            }
        });
    }

    private static void AnalyzeUpdate(OperationAnalysisContext context, INamedTypeSymbol? attribute, INamedTypeSymbol? sharedValueType)
    {
        IOperation target;
        switch (context.Operation)
        {
            case IIncrementOrDecrementOperation increment:
                target = increment.Target;
                break;
            case ICompoundAssignmentOperation compound:
                target = compound.Target;
                break;
            case ISimpleAssignmentOperation simple:
                target = simple.Target;
                break;
            default:
                return;
        }

        if (target is not IPropertyReferenceOperation reference || !IsSharedProperty(reference.Property, attribute, sharedValueType))
        {
            return;
        }

        var receiver = ReceiverText(reference.Instance);
        if (receiver is null)
        {
            return;
        }

        // x.P = <expression reading x.P>: a read and a write, like x.P++.
        if (context.Operation is ISimpleAssignmentOperation assignment
            && !assignment.Value.DescendantsAndSelf().OfType<IPropertyReferenceOperation>().Any(read =>
                SymbolEqualityComparer.Default.Equals(read.Property.OriginalDefinition, reference.Property.OriginalDefinition)
                && ReceiverText(read.Instance) == receiver))
        {
            return;
        }

        if (IsInsideLockOf(context.Operation.Syntax, receiver))
        {
            return;
        }

        var properties = ImmutableDictionary.CreateBuilder<string, string?>();
        properties.Add(ReceiverProperty, receiver);
        var helper = Helper(context, reference);
        string suggestion = string.Empty;
        if (helper is { } found)
        {
            properties.Add(HelperProperty, found.Name);
            properties.Add(HelperArgumentProperty, found.Argument);
            suggestion = $", or call '{found.Name}({found.Argument})'";
        }

        var name = reference.Property.ContainingType.Name + "." + reference.Property.Name;
        context.ReportDiagnostic(Diagnostic.Create(
            SharedValueReadModifyWrite,
            context.Operation.Syntax.GetLocation(),
            properties.ToImmutable(),
            context.Operation.Syntax.ToString(),
            name,
            receiver,
            suggestion));
    }

    private static void AnalyzeMemberReference(OperationAnalysisContext context, INamedTypeSymbol attribute)
    {
        ISymbol? member = context.Operation switch
        {
            IFieldReferenceOperation field => field.Field,
            IPropertyReferenceOperation property => property.Property,
            IMethodReferenceOperation method => method.Method,
            IInvocationOperation invocation => invocation.TargetMethod,
            _ => null,
        };

        if (member is null
            || !member.Name.StartsWith(GeneratedMemberPrefix, StringComparison.OrdinalIgnoreCase)
            || member.ContainingType is not { } type
            || !type.GetMembers().OfType<IPropertySymbol>().Any(p => SharedValueDeclarationAnalyzer.IsSharedValue(p, attribute)))
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(SharedValueBackingMemberAccess, context.Operation.Syntax.GetLocation(), member.Name, type.Name));
    }

    private static bool IsSharedProperty(IPropertySymbol property, INamedTypeSymbol? attribute, INamedTypeSymbol? sharedValueType)
        => (attribute is not null && SharedValueDeclarationAnalyzer.IsSharedValue(property, attribute))
            || (sharedValueType is not null && property.Name == "Value" && SymbolEqualityComparer.Default.Equals(property.ContainingType.OriginalDefinition, sharedValueType));

    /// <summary>
    /// The generated helper that does the whole update atomically: <c>Increment{P}()</c> for a statement <c>x.P++</c>,
    /// <c>Decrement{P}()</c> for <c>x.P--</c>, <c>Add{P}(d)</c> for <c>x.P += d</c>, when the class has it and the
    /// result of the expression is unused (the helpers return the new value, not the old one).
    /// </summary>
    private static (string Name, string Argument)? Helper(OperationAnalysisContext context, IPropertyReferenceOperation reference)
    {
        if (context.Operation.Parent is not IExpressionStatementOperation)
        {
            return null;
        }

        (string Name, string Argument)? candidate = context.Operation switch
        {
            IIncrementOrDecrementOperation { Kind: OperationKind.Increment } => ("Increment" + reference.Property.Name, string.Empty),
            IIncrementOrDecrementOperation { Kind: OperationKind.Decrement } => ("Decrement" + reference.Property.Name, string.Empty),
            ICompoundAssignmentOperation { OperatorKind: BinaryOperatorKind.Add, IsChecked: false } compound
                when compound.Value.Syntax is ExpressionSyntax value => ("Add" + reference.Property.Name, value.ToString()),
            _ => null,
        };

        if (candidate is not { } helper)
        {
            return null;
        }

        var position = context.Operation.Syntax.SpanStart;
        var model = context.Operation.SemanticModel;
        bool exists = reference.Property.ContainingType.GetMembers(helper.Name).OfType<IMethodSymbol>().Any(m =>
            m.Parameters.Length == (helper.Argument.Length == 0 ? 0 : 1)
            && SymbolEqualityComparer.Default.Equals(m.ReturnType, reference.Property.Type)
            && (model is null || model.IsAccessible(position, m)));
        return exists ? helper : null;
    }

    /// <summary>The receiver as the lock must name it: <c>this</c> for an implicit or explicit this, else its text; null for none.</summary>
    private static string? ReceiverText(IOperation? instance) => instance switch
    {
        null => null,
        IInstanceReferenceOperation => "this",
        _ => Normalize(instance.Syntax.ToString()),
    };

    private static string Normalize(string text) => new(text.Where(c => !char.IsWhiteSpace(c)).ToArray());

    /// <summary>
    /// Whether <paramref name="node"/> runs inside <c>using (R.Lock())</c> or after <c>using var s = R.Lock();</c>
    /// in an enclosing block, where R is <paramref name="receiver"/>. A lambda or local function body ends the
    /// search: a lock held where it is declared is not held where it runs.
    /// </summary>
    private static bool IsInsideLockOf(SyntaxNode node, string receiver)
    {
        SyntaxNode? child = node;
        for (var current = node.Parent; current is not null; child = current, current = current.Parent)
        {
            switch (current)
            {
                case AnonymousFunctionExpressionSyntax:
                case LocalFunctionStatementSyntax:
                case MemberDeclarationSyntax:
                    return false;
                case UsingStatementSyntax usingStatement when child == usingStatement.Statement:
                    if (IsLockOf(usingStatement.Expression, receiver)
                        || usingStatement.Declaration?.Variables.Any(v => IsLockOf(v.Initializer?.Value, receiver)) == true)
                    {
                        return true;
                    }

                    break;
                case BlockSyntax block:
                    foreach (var statement in block.Statements)
                    {
                        if (statement == child)
                        {
                            break;
                        }

                        if (statement is LocalDeclarationStatementSyntax { UsingKeyword.RawKind: (int)SyntaxKind.UsingKeyword } declaration
                            && declaration.Declaration.Variables.Any(v => IsLockOf(v.Initializer?.Value, receiver)))
                        {
                            return true;
                        }
                    }

                    break;
            }
        }

        return false;
    }

    private static bool IsLockOf(ExpressionSyntax? expression, string receiver) => expression switch
    {
        InvocationExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.ValueText: "Lock" } } => receiver == "this",
        InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Lock" } access } =>
            Normalize(access.Expression.ToString()) == receiver || (receiver == "this" && access.Expression is ThisExpressionSyntax),
        _ => false,
    };
}
