using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace ParallelKit.Rules;

/// <summary>
/// The rules of a kernel's body (PK3006 to PK3019): walks its <see cref="IOperation"/> tree, and the bodies of the
/// methods with source it calls (up to <see cref="KernelRules.MaxCallDepth"/> deep), for what device code cannot do.
/// One instance per kernel: feed it the kernel's operation blocks, then read <see cref="Violations"/>.
/// </summary>
/// <param name="kernel">The kernel.</param>
/// <param name="compilation">The compilation, to follow calls into other files.</param>
/// <param name="cancellationToken">Cancellation.</param>
internal sealed class KernelBodyRules(IMethodSymbol kernel, Compilation compilation, CancellationToken cancellationToken)
{
    private readonly HashSet<IMethodSymbol> _walked = new(SymbolEqualityComparer.Default);
    private readonly HashSet<(string, Location)> _reported = [];
    private readonly List<RuleViolation> _violations = [];

    /// <summary>The first group feature the kernel uses (shared memory, barriers…), or null: such a kernel runs with explicit groups.</summary>
    public string? GroupFeature { get; private set; }

    /// <summary>Every rule the walked body breaks, PK3019 included once the walk is <see cref="Complete"/>.</summary>
    public IReadOnlyList<RuleViolation> Violations => _violations;

    /// <summary>Walks the whole body of <paramref name="kernel"/> (its declaration's operation) and returns the rules it breaks.</summary>
    public static KernelBodyRules Check(IMethodSymbol kernel, IOperation body, Compilation compilation, CancellationToken cancellationToken)
    {
        var rules = new KernelBodyRules(kernel, compilation, cancellationToken);
        rules.Walk(body);
        rules.Complete();
        return rules;
    }

    /// <summary>Walks one operation block of the kernel (the analyzer gets its body in blocks).</summary>
    public void Walk(IOperation block)
    {
        if (block is IAttributeOperation or IParameterInitializerOperation)
        {
            return; // the kernel's attributes and default values are not device code
        }

        Walk(block, reportAt: null, via: null, depth: 0, stack: [kernel.OriginalDefinition]);
    }

    /// <summary>After the last block: PK3019 when a kernel with group semantics is not one-dimensional.</summary>
    public void Complete()
    {
        if (GroupFeature is { } feature && KernelRules.IndexRank(kernel.Parameters.FirstOrDefault()?.Type ?? kernel.ReturnType) is 2 or 3)
        {
            _violations.Add(new RuleViolation("PK3019", RuleText.LocationOf(kernel), kernel.Name, feature));
        }
    }

    private void Walk(IOperation root, Location? reportAt, string? via, int depth, ImmutableHashSet<IMethodSymbol> stack)
    {
        foreach (var operation in root.DescendantsAndSelf())
        {
            cancellationToken.ThrowIfCancellationRequested();
            Check(operation, reportAt, via, depth, stack);
        }
    }

    private void Check(IOperation operation, Location? reportAt, string? via, int depth, ImmutableHashSet<IMethodSymbol> stack)
    {
        switch (operation)
        {
            case IObjectCreationOperation creation when creation.Type is { IsReferenceType: true }:
                Report("PK3006", operation, reportAt, via, "a '" + creation.Type.ToDisplayString() + "'");
                break;
            case IObjectCreationOperation creation when creation.Constructor is { } constructor && !constructor.IsImplicitlyDeclared:
                CheckCall(operation, constructor, reportAt, via, depth, stack);
                break;
            case IArrayCreationOperation:
                Report("PK3006", operation, reportAt, via, "an array");
                break;
            case IAnonymousObjectCreationOperation:
                Report("PK3006", operation, reportAt, via, "an anonymous object");
                break;
            case ICollectionExpressionOperation collection when collection.Type is { IsReferenceType: true }:
                Report("PK3006", operation, reportAt, via, "a collection");
                break;
            case IInterpolatedStringOperation:
                Report("PK3007", operation, reportAt, via, "an interpolated string");
                break;
            case ILiteralOperation { Type.SpecialType: SpecialType.System_String } literal when !IsIlgpuArgument(literal):
                Report("PK3007", operation, reportAt, via, "a string literal");
                break;
            case IConversionOperation { Conversion.IsUserDefined: false, Operand.Type: { IsValueType: true } from, Type: { IsReferenceType: true } to }:
                Report("PK3008", operation, reportAt, via, from.ToDisplayString(), to.ToDisplayString());
                break;
            case IThrowOperation:
                Report("PK3009", operation, reportAt, via, "throw");
                break;
            case ITryOperation:
                Report("PK3009", operation, reportAt, via, operation.Syntax is UsingStatementSyntax or LocalDeclarationStatementSyntax ? "using (which needs finally)" : "try");
                break;
            case IUsingOperation or IUsingDeclarationOperation:
                Report("PK3009", operation, reportAt, via, "using (which needs finally)");
                break;
            case ILockOperation:
                Report("PK3010", operation, reportAt, via);
                break;
            case IAwaitOperation:
                Report("PK3011", operation, reportAt, via);
                break;
            case IForEachLoopOperation loop when !IsSpan(CollectionType(loop)):
                Report("PK3012", operation, reportAt, via, CollectionType(loop)?.ToDisplayString() ?? "?");
                break;
            case IAnonymousFunctionOperation:
                Report("PK3015", operation, reportAt, via, "a lambda or anonymous method");
                break;
            case IDelegateCreationOperation { Target: not IAnonymousFunctionOperation }:
                Report("PK3015", operation, reportAt, via, "a method group converted to a delegate");
                break;
            case IFieldReferenceOperation { Field: { IsStatic: true, IsConst: false, IsReadOnly: false } field }:
                Report("PK3016", operation, reportAt, via, field.ContainingType.Name + "." + field.Name);
                break;
            case IFieldReferenceOperation { Field: var field } when KernelRules.IsGroupType(field.ContainingType):
                GroupFeature ??= field.ContainingType.Name + "." + field.Name;
                break;
            case IPropertyReferenceOperation property:
                if (KernelRules.IsGroupType(property.Property.ContainingType))
                {
                    GroupFeature ??= property.Property.ContainingType.Name + "." + property.Property.Name;
                }
                else if (!HasSource(property.Property) && !IsAllowedWithoutSource(property.Property))
                {
                    Report("PK3017", operation, reportAt, via, property.Property.ToDisplayString());
                }

                break;
            case IInvocationOperation invocation:
                CheckInvocation(invocation, reportAt, via, depth, stack);
                break;
        }
    }

    private void CheckInvocation(IInvocationOperation invocation, Location? reportAt, string? via, int depth, ImmutableHashSet<IMethodSymbol> stack)
    {
        var target = invocation.TargetMethod;
        if (target.MethodKind == MethodKind.DelegateInvoke)
        {
            Report("PK3015", invocation, reportAt, via, "a delegate invocation");
            return;
        }

        if (invocation.Instance is { Type: { } instanceType }
            && (target.IsVirtual || target.IsAbstract || target.IsOverride || target.ContainingType.TypeKind == TypeKind.Interface)
            && (instanceType.IsReferenceType || instanceType.TypeKind is TypeKind.TypeParameter or TypeKind.Interface))
        {
            Report("PK3014", invocation, reportAt, via, target.ToDisplayString());
            return;
        }

        if (KernelRules.IsGroupType(target.ContainingType))
        {
            GroupFeature ??= target.ContainingType.Name + "." + target.Name;
        }

        CheckCall(invocation, target, reportAt, via, depth, stack);
    }

    private void CheckCall(IOperation call, IMethodSymbol target, Location? reportAt, string? via, int depth, ImmutableHashSet<IMethodSymbol> stack)
    {
        var definition = target.OriginalDefinition;
        var containing = definition.ContainingType?.ToDisplayString() ?? string.Empty;
        if (containing is "System.Math" or "System.MathF")
        {
            // Reported in a helper's caller, the call itself goes along as an additional location: the code fix rewrites it.
            Report("PK3018", call, reportAt, via, reportAt is null ? [] : [call.Syntax.GetLocation()], containing + "." + target.Name, target.Name);
            return;
        }

        if (stack.Contains(definition))
        {
            Report("PK3013", call, reportAt, via, target.ToDisplayString());
            return;
        }

        if (definition.MethodKind == MethodKind.LocalFunction)
        {
            return; // walked as part of the body that declares it
        }

        var body = HasSource(definition) ? KernelRules.BodyOf(definition, compilation, cancellationToken) : null;
        if (body is null)
        {
            if (!IsAllowedWithoutSource(definition))
            {
                Report("PK3017", call, reportAt, via, target.ToDisplayString());
            }

            return;
        }

        if (depth < KernelRules.MaxCallDepth && _walked.Add(definition))
        {
            Walk(body, reportAt ?? call.Syntax.GetLocation(), via ?? target.Name, depth + 1, stack.Add(definition));
        }
        else if (depth < KernelRules.MaxCallDepth && BodyCalls(body, stack))
        {
            // Walked before through another path: still a cycle when it calls back into the current stack.
            Report("PK3013", call, reportAt, via, target.ToDisplayString());
        }
    }

    private static bool BodyCalls(IOperation body, ImmutableHashSet<IMethodSymbol> stack)
        => body.Descendants().OfType<IInvocationOperation>().Any(i => stack.Contains(i.TargetMethod.OriginalDefinition));

    private bool HasSource(ISymbol symbol)
        => symbol.DeclaringSyntaxReferences.Any(r => compilation.ContainsSyntaxTree(r.SyntaxTree));

    private void Report(string id, IOperation operation, Location? reportAt, string? via, params object[] details)
        => Report(id, operation, reportAt, via, [], details);

    private void Report(string id, IOperation operation, Location? reportAt, string? via, Location[] additionalLocations, params object[] details)
    {
        var location = reportAt ?? operation.Syntax.GetLocation();
        if (!_reported.Add((id, location)))
        {
            return;
        }

        // The format quotes the kernel's name: a violation in a callee reads "Kernel 'K' through 'Helper' …".
        object[] arguments = [via is null ? kernel.Name : kernel.Name + "' through '" + via, .. details];
        _violations.Add(new RuleViolation(id, location, additionalLocations, arguments));
    }

    private static ITypeSymbol? CollectionType(IForEachLoopOperation loop)
        => loop.Collection is IConversionOperation conversion ? conversion.Operand.Type : loop.Collection.Type;

    private static bool IsIlgpuArgument(IOperation literal)
        => literal.Parent is IArgumentOperation { Parent: IInvocationOperation invocation }
            && invocation.TargetMethod.ContainingNamespace?.ToDisplayString() is { } ns
            && ns.StartsWith("ILGPU", System.StringComparison.Ordinal);

    private static bool IsSpan(ITypeSymbol? type)
        => type is INamedTypeSymbol named && named.OriginalDefinition.ToDisplayString() is "System.Span<T>" or "System.ReadOnlySpan<T>";

    /// <summary>ILGPU's own types and intrinsics (ILGPU, ILGPU.Algorithms, ILGPU.Runtime views) and the primitive types' members.</summary>
    private static bool IsAllowedWithoutSource(ISymbol symbol)
    {
        var type = symbol.ContainingType;
        if (type is null)
        {
            return false;
        }

        var ns = type.ContainingNamespace?.ToDisplayString() ?? string.Empty;
        return ns == "ILGPU" || ns.StartsWith("ILGPU.", System.StringComparison.Ordinal)
            || type.SpecialType != SpecialType.None
            || type.ToDisplayString() is "System.Half" or "System.Numerics.BitOperations";
    }
}
