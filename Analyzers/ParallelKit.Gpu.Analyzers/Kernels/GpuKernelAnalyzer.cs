using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using static ParallelKit.Gpu.Analyzers.Diagnostics.DiagnosticDescriptors;

namespace ParallelKit.Gpu.Analyzers.Kernels;

/// <summary>
/// Checks every <c>[GpuKernel]</c> method at compile time where ILGPU would fail at run time: its declaration
/// (PK3001 to PK3005, PK3019) and its body, walking the <see cref="IOperation"/> tree and following calls into
/// methods with source (PK3006 to PK3018).
/// </summary>
/// <remarks>
/// The generator (<c>KernelModelBuilder</c>) skips the declarations reported here, so that a mistake gives one
/// diagnostic rather than errors in generated code; the two must be kept in step when a rule changes.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GpuKernelAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The metadata name of the attribute that marks a kernel.</summary>
    public const string GpuKernelAttributeName = "ParallelKit.GpuKernelAttribute";

    /// <summary>How many calls deep the body walk follows methods with source.</summary>
    public const int MaxCallDepth = 8;

    private static readonly HashSet<string> s_groupTypes = new(System.StringComparer.Ordinal)
    {
        "ILGPU.Grid", "ILGPU.Group", "ILGPU.Warp", "ILGPU.SharedMemory", "ILGPU.LocalMemory",
    };

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
    [
        KernelIndexFirst, KernelParameterType, KernelShape, KernelNotInPartialType, KernelWithoutView,
        KernelAllocates, KernelUsesString, KernelBoxes, KernelUsesExceptions, KernelUsesLock, KernelUsesAwait,
        KernelForeachOverNonSpan, KernelRecursion, KernelVirtualCall, KernelUsesDelegate, KernelStaticMutableField,
        KernelCallsMethodWithoutSource, KernelUsesSystemMath, GroupKernelNot1D,
    ];

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

            start.RegisterSymbolAction(context => AnalyzeDeclaration(context, attribute), SymbolKind.Method);
            start.RegisterOperationBlockAction(context =>
            {
                if (context.OwningSymbol is IMethodSymbol method && IsKernel(method, attribute))
                {
                    AnalyzeBody(context, method);
                }
            });
        });
    }

    private static bool IsKernel(IMethodSymbol method, INamedTypeSymbol attribute)
        => method.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, attribute));

    private static void AnalyzeDeclaration(SymbolAnalysisContext context, INamedTypeSymbol attribute)
    {
        var method = (IMethodSymbol)context.Symbol;
        if (!IsKernel(method, attribute))
        {
            return;
        }

        Location location = method.Locations.FirstOrDefault() ?? Location.None;
        string name = method.Name;
        string? shape = ShapeProblem(method, context.CancellationToken);
        if (shape is not null)
        {
            context.ReportDiagnostic(Diagnostic.Create(KernelShape, location, name, shape));
        }

        var notPartial = new List<string>();
        for (INamedTypeSymbol? type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            bool isPartial = type.DeclaringSyntaxReferences.All(r => r.GetSyntax(context.CancellationToken) is TypeDeclarationSyntax declaration && declaration.Modifiers.Any(SyntaxKind.PartialKeyword));
            if (!isPartial)
            {
                notPartial.Insert(0, "'" + type.Name + "'");
            }
        }

        if (notPartial.Count > 0)
        {
            context.ReportDiagnostic(Diagnostic.Create(KernelNotInPartialType, location, name, string.Join(", ", notPartial)));
        }

        if (method.Parameters.Length == 0 || IndexRank(method.Parameters[0].Type) == 0 || method.Parameters[0].RefKind != RefKind.None)
        {
            Location where = method.Parameters.FirstOrDefault()?.Locations.FirstOrDefault() ?? location;
            context.ReportDiagnostic(Diagnostic.Create(KernelIndexFirst, where, name, method.Parameters.FirstOrDefault()?.Type.ToDisplayString() ?? "nothing"));
        }

        bool hasView = false;
        foreach (IParameterSymbol parameter in method.Parameters.Skip(1))
        {
            string? problem = ParameterProblem(parameter, out bool isView);
            hasView |= isView && problem is null;
            if (problem is not null)
            {
                context.ReportDiagnostic(Diagnostic.Create(KernelParameterType, parameter.Locations.FirstOrDefault() ?? location, parameter.Name, name, parameter.Type.ToDisplayString(), problem));
            }
        }

        if (!hasView && method.Parameters.Skip(1).All(p => ParameterProblem(p, out _) is null))
        {
            context.ReportDiagnostic(Diagnostic.Create(KernelWithoutView, location, name));
        }
    }

    private static string? ShapeProblem(IMethodSymbol method, System.Threading.CancellationToken token)
    {
        if (method.MethodKind != MethodKind.Ordinary)
        {
            return "an ordinary method, not a local function, accessor or operator";
        }

        if (!method.IsStatic)
        {
            return "static";
        }

        if (!method.ReturnsVoid)
        {
            return "void: a kernel returns its results through its views";
        }

        if (method.IsGenericMethod)
        {
            return "non-generic";
        }

        if (method.IsAsync)
        {
            return "synchronous, not async";
        }

        for (INamedTypeSymbol? type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            if (type.IsGenericType)
            {
                return "declared in a non-generic type";
            }

            if (type.TypeKind is not (TypeKind.Class or TypeKind.Struct) || type.IsFileLocal)
            {
                return "declared in a class or struct that is not file-local";
            }
        }

        bool hasBody = method.DeclaringSyntaxReferences.Any(r => r.GetSyntax(token) is MethodDeclarationSyntax { Body: not null } or MethodDeclarationSyntax { ExpressionBody: not null });
        return hasBody ? null : "a method with a body";
    }

    private static int IndexRank(ITypeSymbol type) => type.ToDisplayString() switch
    {
        "ILGPU.Index1D" => 1,
        "ILGPU.Index2D" => 2,
        "ILGPU.Index3D" => 3,
        _ => 0,
    };

    private static string? ParameterProblem(IParameterSymbol parameter, out bool isView)
    {
        isView = false;
        if (parameter.RefKind != RefKind.None || parameter.IsParams)
        {
            return "kernel parameters are passed by value";
        }

        ITypeSymbol type = parameter.Type;
        if (type is INamedTypeSymbol { IsGenericType: true } named)
        {
            string definition = named.OriginalDefinition.ToDisplayString();
            if (definition is "ILGPU.ArrayView<T>" or "ILGPU.Runtime.ArrayView2D<T, TStride>")
            {
                isView = true;
                if (!named.TypeArguments[0].IsUnmanagedType)
                {
                    return $"the element type '{named.TypeArguments[0].ToDisplayString()}' is not unmanaged";
                }

                return definition == "ILGPU.ArrayView<T>" || named.TypeArguments[1].ToDisplayString() == "ILGPU.Stride2D.DenseY"
                    ? null
                    : "two-dimensional views must be Stride2D.DenseY, the layout of a T[,]";
            }

            if (definition.StartsWith("ILGPU.", System.StringComparison.Ordinal) || definition.StartsWith("ILGPU.Runtime.", System.StringComparison.Ordinal))
            {
                return "the generated overloads map ArrayView<T> and ArrayView2D<T, Stride2D.DenseY> only; use those";
            }
        }

        if (type.IsUnmanagedType && type.TypeKind is TypeKind.Struct or TypeKind.Enum)
        {
            return type.ToDisplayString().StartsWith("ILGPU.", System.StringComparison.Ordinal)
                ? "only the first parameter is an index; pass extents as int scalars"
                : null;
        }

        return type.IsReferenceType ? "reference types cannot be passed to a device" : "only unmanaged scalars and ArrayViews can be passed to a device";
    }

    private static void AnalyzeBody(OperationBlockAnalysisContext context, IMethodSymbol kernel)
    {
        var walker = new BodyWalker(context, kernel);
        foreach (IOperation block in context.OperationBlocks)
        {
            if (block is IAttributeOperation or IParameterInitializerOperation)
            {
                continue; // the kernel's attributes and default values are not device code
            }

            walker.Walk(block, reportAt: null, via: null, depth: 0, stack: [kernel.OriginalDefinition]);
        }

        if (walker.GroupFeature is { } feature && IndexRank(kernel.Parameters.FirstOrDefault()?.Type ?? kernel.ReturnType) is 2 or 3)
        {
            context.ReportDiagnostic(Diagnostic.Create(GroupKernelNot1D, kernel.Locations.FirstOrDefault() ?? Location.None, kernel.Name, feature));
        }
    }

    /// <summary>Walks a kernel's body, and the bodies of the methods with source it calls, reporting what device code cannot do.</summary>
    private sealed class BodyWalker(OperationBlockAnalysisContext context, IMethodSymbol kernel)
    {
        private readonly HashSet<IMethodSymbol> _walked = new(SymbolEqualityComparer.Default);
        private readonly HashSet<(string, Location)> _reported = [];

        /// <summary>The first group feature the kernel uses (shared memory, barriers…), or null.</summary>
        public string? GroupFeature { get; private set; }

        public void Walk(IOperation root, Location? reportAt, string? via, int depth, ImmutableHashSet<IMethodSymbol> stack)
        {
            foreach (IOperation operation in root.DescendantsAndSelf())
            {
                context.CancellationToken.ThrowIfCancellationRequested();
                Check(operation, reportAt, via, depth, stack);
            }
        }

        private void Check(IOperation operation, Location? reportAt, string? via, int depth, ImmutableHashSet<IMethodSymbol> stack)
        {
            switch (operation)
            {
                case IObjectCreationOperation creation when creation.Type is { IsReferenceType: true }:
                    Report(KernelAllocates, operation, reportAt, via, "a '" + creation.Type.ToDisplayString() + "'");
                    break;
                case IObjectCreationOperation creation when creation.Constructor is { } constructor && !constructor.IsImplicitlyDeclared:
                    CheckCall(operation, constructor, reportAt, via, depth, stack);
                    break;
                case IArrayCreationOperation:
                    Report(KernelAllocates, operation, reportAt, via, "an array");
                    break;
                case IAnonymousObjectCreationOperation:
                    Report(KernelAllocates, operation, reportAt, via, "an anonymous object");
                    break;
                case ICollectionExpressionOperation collection when collection.Type is { IsReferenceType: true }:
                    Report(KernelAllocates, operation, reportAt, via, "a collection");
                    break;
                case IInterpolatedStringOperation:
                    Report(KernelUsesString, operation, reportAt, via, "an interpolated string");
                    break;
                case ILiteralOperation { Type.SpecialType: SpecialType.System_String } literal when !IsIlgpuArgument(literal):
                    Report(KernelUsesString, operation, reportAt, via, "a string literal");
                    break;
                case IConversionOperation { Conversion.IsUserDefined: false, Operand.Type: { IsValueType: true } from, Type: { IsReferenceType: true } to }:
                    Report(KernelBoxes, operation, reportAt, via, from.ToDisplayString(), to.ToDisplayString());
                    break;
                case IThrowOperation:
                    Report(KernelUsesExceptions, operation, reportAt, via, "throw");
                    break;
                case ITryOperation:
                    Report(KernelUsesExceptions, operation, reportAt, via, operation.Syntax is UsingStatementSyntax or LocalDeclarationStatementSyntax ? "using (which needs finally)" : "try");
                    break;
                case IUsingOperation or IUsingDeclarationOperation:
                    Report(KernelUsesExceptions, operation, reportAt, via, "using (which needs finally)");
                    break;
                case ILockOperation:
                    Report(KernelUsesLock, operation, reportAt, via);
                    break;
                case IAwaitOperation:
                    Report(KernelUsesAwait, operation, reportAt, via);
                    break;
                case IForEachLoopOperation loop when !IsSpan(loop.Collection is IConversionOperation c ? c.Operand.Type : loop.Collection.Type):
                    ITypeSymbol? collectionType = loop.Collection is IConversionOperation conversionOperation ? conversionOperation.Operand.Type : loop.Collection.Type;
                    Report(KernelForeachOverNonSpan, operation, reportAt, via, collectionType?.ToDisplayString() ?? "?");
                    break;
                case IAnonymousFunctionOperation:
                    Report(KernelUsesDelegate, operation, reportAt, via, "a lambda or anonymous method");
                    break;
                case IDelegateCreationOperation { Target: not IAnonymousFunctionOperation }:
                    Report(KernelUsesDelegate, operation, reportAt, via, "a method group converted to a delegate");
                    break;
                case IFieldReferenceOperation { Field: { IsStatic: true, IsConst: false, IsReadOnly: false } field }:
                    Report(KernelStaticMutableField, operation, reportAt, via, field.ContainingType.Name + "." + field.Name);
                    break;
                case IFieldReferenceOperation { Field: var field } when IsGroupType(field.ContainingType):
                    GroupFeature ??= field.ContainingType.Name + "." + field.Name;
                    break;
                case IPropertyReferenceOperation property:
                    if (IsGroupType(property.Property.ContainingType))
                    {
                        GroupFeature ??= property.Property.ContainingType.Name + "." + property.Property.Name;
                    }
                    else if (!HasSource(property.Property) && !IsAllowedWithoutSource(property.Property))
                    {
                        Report(KernelCallsMethodWithoutSource, operation, reportAt, via, property.Property.ToDisplayString());
                    }

                    break;
                case IInvocationOperation invocation:
                    CheckInvocation(invocation, reportAt, via, depth, stack);
                    break;
            }
        }

        private void CheckInvocation(IInvocationOperation invocation, Location? reportAt, string? via, int depth, ImmutableHashSet<IMethodSymbol> stack)
        {
            IMethodSymbol target = invocation.TargetMethod;
            if (target.MethodKind == MethodKind.DelegateInvoke)
            {
                Report(KernelUsesDelegate, invocation, reportAt, via, "a delegate invocation");
                return;
            }

            if (invocation.Instance is { Type: { } instanceType }
                && (target.IsVirtual || target.IsAbstract || target.IsOverride || target.ContainingType.TypeKind == TypeKind.Interface)
                && (instanceType.IsReferenceType || instanceType.TypeKind is TypeKind.TypeParameter or TypeKind.Interface))
            {
                Report(KernelVirtualCall, invocation, reportAt, via, target.ToDisplayString());
                return;
            }

            if (IsGroupType(target.ContainingType))
            {
                GroupFeature ??= target.ContainingType.Name + "." + target.Name;
            }

            CheckCall(invocation, target, reportAt, via, depth, stack);
        }

        private void CheckCall(IOperation call, IMethodSymbol target, Location? reportAt, string? via, int depth, ImmutableHashSet<IMethodSymbol> stack)
        {
            IMethodSymbol definition = target.OriginalDefinition;
            string containing = definition.ContainingType?.ToDisplayString() ?? string.Empty;
            if (containing is "System.Math" or "System.MathF")
            {
                // Reported in a helper's caller, the call itself goes along as an additional location: the code fix rewrites it.
                Report(KernelUsesSystemMath, call, reportAt, via, reportAt is null ? [] : [call.Syntax.GetLocation()], containing + "." + target.Name, target.Name);
                return;
            }

            if (stack.Contains(definition))
            {
                Report(KernelRecursion, call, reportAt, via, target.ToDisplayString());
                return;
            }

            if (definition.MethodKind == MethodKind.LocalFunction)
            {
                return; // walked as part of the body that declares it
            }

            IOperation? body = HasSource(definition) ? BodyOf(definition) : null;
            if (body is null)
            {
                if (!IsAllowedWithoutSource(definition))
                {
                    Report(KernelCallsMethodWithoutSource, call, reportAt, via, target.ToDisplayString());
                }

                return;
            }

            if (depth < MaxCallDepth && _walked.Add(definition))
            {
                Walk(body, reportAt ?? call.Syntax.GetLocation(), via ?? target.Name, depth + 1, stack.Add(definition));
            }
            else if (depth < MaxCallDepth && BodyCalls(body, stack))
            {
                // Walked before through another path: still a cycle when it calls back into the current stack.
                Report(KernelRecursion, call, reportAt, via, target.ToDisplayString());
            }
        }

        private static bool BodyCalls(IOperation body, ImmutableHashSet<IMethodSymbol> stack)
            => body.Descendants().OfType<IInvocationOperation>().Any(i => stack.Contains(i.TargetMethod.OriginalDefinition));

        private IOperation? BodyOf(IMethodSymbol method)
        {
            foreach (SyntaxReference reference in method.DeclaringSyntaxReferences)
            {
                SyntaxNode node = reference.GetSyntax(context.CancellationToken);
                if (!context.Compilation.ContainsSyntaxTree(node.SyntaxTree))
                {
                    continue;
                }

#pragma warning disable RS1030 // Following calls into methods declared in other files needs their semantic models, as ILGPU's own KernelAnalyzer does.
                SemanticModel model = context.Compilation.GetSemanticModel(node.SyntaxTree);
#pragma warning restore RS1030
                if (model.GetOperation(node, context.CancellationToken) is { } operation)
                {
                    return operation;
                }
            }

            return null;
        }

        private bool HasSource(ISymbol symbol)
            => symbol.DeclaringSyntaxReferences.Any(r => context.Compilation.ContainsSyntaxTree(r.SyntaxTree));

        private void Report(DiagnosticDescriptor descriptor, IOperation operation, Location? reportAt, string? via, params object[] details)
            => Report(descriptor, operation, reportAt, via, [], details);

        private void Report(DiagnosticDescriptor descriptor, IOperation operation, Location? reportAt, string? via, Location[] additionalLocations, params object[] details)
        {
            Location location = reportAt ?? operation.Syntax.GetLocation();
            if (!_reported.Add((descriptor.Id, location)))
            {
                return;
            }

            // The format quotes the kernel's name: a violation in a callee reads "Kernel 'K' through 'Helper' …".
            object[] arguments = [via is null ? kernel.Name : kernel.Name + "' through '" + via, .. details];
            context.ReportDiagnostic(Diagnostic.Create(descriptor, location, additionalLocations, arguments));
        }

        private static bool IsIlgpuArgument(IOperation literal)
            => literal.Parent is IArgumentOperation { Parent: IInvocationOperation invocation }
                && invocation.TargetMethod.ContainingNamespace?.ToDisplayString() is { } ns
                && ns.StartsWith("ILGPU", System.StringComparison.Ordinal);

        private static bool IsSpan(ITypeSymbol? type)
            => type is INamedTypeSymbol named && named.OriginalDefinition.ToDisplayString() is "System.Span<T>" or "System.ReadOnlySpan<T>";

        /// <summary>ILGPU's own types and intrinsics (ILGPU, ILGPU.Algorithms, ILGPU.Runtime views) and the primitive types' members.</summary>
        private static bool IsAllowedWithoutSource(ISymbol symbol)
        {
            INamedTypeSymbol? type = symbol.ContainingType;
            if (type is null)
            {
                return false;
            }

            string ns = type.ContainingNamespace?.ToDisplayString() ?? string.Empty;
            return ns == "ILGPU" || ns.StartsWith("ILGPU.", System.StringComparison.Ordinal)
                || type.SpecialType != SpecialType.None
                || type.ToDisplayString() is "System.Half" or "System.Numerics.BitOperations";
        }

        private static bool IsGroupType(INamedTypeSymbol? type)
        {
            if (type is null)
            {
                return false;
            }

            string name = type.OriginalDefinition.ToDisplayString();
            return s_groupTypes.Contains(name)
                || (name.StartsWith("ILGPU.Algorithms.", System.StringComparison.Ordinal)
                    && (type.Name.StartsWith("Group", System.StringComparison.Ordinal) || type.Name.StartsWith("Warp", System.StringComparison.Ordinal)));
        }
    }
}
