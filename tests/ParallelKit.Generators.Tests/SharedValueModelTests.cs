using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ParallelKit.Generators.Helpers;
using ParallelKit.Generators.Jobs.Models;
using ParallelKit.Generators.SharedValues;
using ParallelKit.Generators.SharedValues.Models;
using ParallelKit.Generators.Tests.Infrastructure;
using Xunit;

namespace ParallelKit.Generators.Tests;

/// <summary>The <c>[SharedValue]</c> models compare by value, hold nothing from the compilation, and let old compilations go.</summary>
public sealed class SharedValueModelTests
{
    private const string Source = """
        using ParallelKit;

        namespace Demo;

        public partial class Progress
        {
            [SharedValue] public partial long Done { get; set; }

            [SharedValue] public partial double Best { get; private set; }
        }
        """;

    [Fact]
    public void Building_the_same_input_twice_gives_equal_models()
    {
        SharedClassModel first = Build(TestCompilations.Library(Source));
        SharedClassModel second = Build(TestCompilations.Library(Source));

        Assert.NotSame(first, second);
        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
    }

    [Fact]
    public void The_type_tag_changes_with_the_layout_and_the_class_name()
    {
        SharedClassModel original = Build(TestCompilations.Library(Source));
        SharedClassModel reordered = Build(TestCompilations.Library(Source.Replace("partial long Done", "partial int Done", StringComparison.Ordinal)));
        SharedClassModel renamed = Build(TestCompilations.Library(Source.Replace("class Progress", "class Progress2", StringComparison.Ordinal)));

        Assert.NotEqual(original.TypeTag, reordered.TypeTag);
        Assert.NotEqual(original.TypeTag, renamed.TypeTag);
        Assert.Equal([0, 8], original.Properties.Select(p => p.Offset));
        Assert.Equal("private", original.Properties[1].HelperAccessibility);
    }

    [Fact]
    public void Models_hold_only_values_never_symbols_syntax_or_compilations()
    {
        var visited = new HashSet<Type>();
        AssertValueOnly(typeof(SharedClassModel), visited);
        Assert.Contains(typeof(SharedPropertyModel), visited);
        Assert.Contains(typeof(TypeDeclarationModel), visited);
    }

    [Fact]
    public void The_driver_does_not_keep_a_previous_compilation_alive()
    {
        GeneratorDriver driver = CSharpGeneratorDriver.Create([new SharedValueGenerator().AsSourceGenerator()], parseOptions: TestCompilations.ParseOptions);
        WeakReference first = RunOnFirstCompilation(ref driver);
        RunOnNextCompilation(ref driver, first);
        for (int attempt = 0; attempt < 10 && first.IsAlive; attempt++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        Assert.False(first.IsAlive, "The first compilation is still reachable after the driver moved on to the next one.");
        GC.KeepAlive(driver);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference RunOnFirstCompilation(ref GeneratorDriver driver)
    {
        CSharpCompilation compilation = TestCompilations.Library(Source);
        driver = driver.RunGenerators(compilation);
        Assert.NotEmpty(driver.GetRunResult().GeneratedTrees);
        return new WeakReference(compilation);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RunOnNextCompilation(ref GeneratorDriver driver, WeakReference first)
    {
        var previous = (CSharpCompilation)first.Target!;
        driver = driver.RunGenerators(previous.AddSyntaxTrees(TestCompilations.Parse("namespace Demo; internal static class Unrelated { }", "Unrelated.cs")));
        Assert.NotEmpty(driver.GetRunResult().GeneratedTrees);
    }

    private static SharedClassModel Build(CSharpCompilation compilation)
    {
        SyntaxTree tree = compilation.SyntaxTrees.Single();
        ClassDeclarationSyntax declaration = tree.GetRoot().DescendantNodes().OfType<ClassDeclarationSyntax>().First();
        INamedTypeSymbol type = compilation.GetSemanticModel(tree).GetDeclaredSymbol(declaration)!;
        return Assert.IsType<SharedClassModel>(SharedValueModelBuilder.TryBuild(type, TestContext.Current.CancellationToken));
    }

    private static void AssertValueOnly(Type type, HashSet<Type> visited)
    {
        if (type == typeof(string) || type.IsPrimitive || type.IsEnum || !visited.Add(type))
        {
            return;
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(EquatableArray<>))
        {
            AssertValueOnly(type.GetGenericArguments()[0], visited);
            return;
        }

        Assert.True(
            type.Namespace == typeof(SharedClassModel).Namespace || type.Namespace == typeof(TypeDeclarationModel).Namespace,
            $"A model holds a {type.FullName}, which is neither a value nor a model.");
        Assert.True(type.GetMethod("Equals", [type]) is not null, $"{type.Name} has no value equality.");
        foreach (PropertyInfo property in type.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            if (property.Name != "EqualityContract")
            {
                AssertValueOnly(Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType, visited);
            }
        }
    }
}
