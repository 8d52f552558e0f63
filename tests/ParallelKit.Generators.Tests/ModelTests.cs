using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ParallelKit.Generators.Helpers;
using ParallelKit.Generators.Jobs;
using ParallelKit.Generators.Jobs.Models;
using ParallelKit.Generators.Tests.Infrastructure;
using Xunit;

namespace ParallelKit.Generators.Tests;

/// <summary>
/// The pipeline models compare by value and hold nothing from the compilation, so that the generator's
/// caches work and old compilations can be collected.
/// </summary>
public sealed class ModelTests
{
    private const string Source = """
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using ParallelKit;

        namespace Demo;

        public static partial class Primes
        {
            [ParallelJob]
            public static int CountPrimes(int from, int to = 100) => to - from;

            [ParallelJob]
            public static Task<List<string>?> NamesAsync(string?[] names, CancellationToken cancellationToken, params int[] ids) => Task.FromResult<List<string>?>(null);

            [ParallelJob]
            public static void Touch()
            {
            }
        }

        public static partial class Outer
        {
            internal partial struct Inner
            {
                [ParallelJob]
                internal static long Twice(long x) => 2 * x;
            }
        }
        """;

    [Fact]
    public void Building_the_same_input_twice_gives_equal_models()
    {
        JobDeclaration[] first = BuildModels(TestCompilations.Library(Source));
        JobDeclaration[] second = BuildModels(TestCompilations.Library(Source));

        Assert.Equal(4, first.Length);
        Assert.Equal(first, second);
        for (int i = 0; i < first.Length; i++)
        {
            Assert.NotSame(first[i], second[i]);
            Assert.Equal(first[i].GetHashCode(), second[i].GetHashCode());
        }
    }

    [Fact]
    public void A_changed_job_gives_a_different_model()
    {
        JobDeclaration[] first = BuildModels(TestCompilations.Library(Source));
        JobDeclaration[] second = BuildModels(TestCompilations.Library(Source.Replace("int to = 100", "int to = 101", StringComparison.Ordinal)));

        Assert.NotEqual(first[0], second[0]);
        Assert.Equal(first[1..], second[1..]);
    }

    [Fact]
    public void Grouped_models_of_two_separate_runs_are_equal()
    {
        object first = TypesStepOutput(TestCompilations.Library(Source));
        object second = TypesStepOutput(TestCompilations.Library(Source));

        Assert.IsType<EquatableArray<JobTypeModel>>(first);
        Assert.Equal(first, second);
    }

    [Fact]
    public void Models_hold_only_values_never_symbols_syntax_or_compilations()
    {
        var visited = new HashSet<Type>();
        AssertValueOnly(typeof(JobDeclaration), visited);
        AssertValueOnly(typeof(EntryPointModel), visited);
        Assert.Contains(typeof(ParameterModel), visited);
    }

    [Fact]
    public void Job_keys_depend_on_assembly_type_name_and_parameter_types_only()
    {
        JobDeclaration[] original = BuildModels(TestCompilations.Library(Source));
        JobDeclaration[] renamedParameters = BuildModels(TestCompilations.Library(Source
            .Replace("int from, int to = 100) => to - from", "int start, int end = 7) => end - start", StringComparison.Ordinal)
            .Replace("string?[] names", "string[] names", StringComparison.Ordinal)));
        JobDeclaration[] otherAssembly = BuildModels(TestCompilations.Create("Other", OutputKind.DynamicallyLinkedLibrary, [], Source));

        Assert.Equal(original.Select(j => j.Job.Key), renamedParameters.Select(j => j.Job.Key));
        Assert.All(original.Zip(otherAssembly), pair => Assert.NotEqual(pair.First.Job.Key, pair.Second.Job.Key));
        Assert.Equal(original.Length, original.Select(j => j.Job.Key).Distinct().Count());
    }

    /// <summary>Runs the per-method transform on every <c>[ParallelJob]</c> method, in declaration order.</summary>
    private static JobDeclaration[] BuildModels(CSharpCompilation compilation)
    {
        var declarations = new List<JobDeclaration>();
        foreach (SyntaxTree tree in compilation.SyntaxTrees)
        {
            SemanticModel model = compilation.GetSemanticModel(tree);
            foreach (MethodDeclarationSyntax method in tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>())
            {
                IMethodSymbol symbol = model.GetDeclaredSymbol(method)!;
                if (symbol.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "ParallelKit.ParallelJobAttribute"))
                {
                    declarations.Add(Assert.IsType<JobDeclaration>(JobModelBuilder.TryBuild(symbol, compilation, TestContext.Current.CancellationToken)));
                }
            }
        }

        return [.. declarations];
    }

    private static object TypesStepOutput(Compilation compilation)
    {
        GeneratorRunResult result = GeneratorHarness.CreateDriver().RunGenerators(compilation).GetRunResult().Results.Single();
        return Assert.Single(Assert.Single(result.TrackedSteps[ParallelJobGenerator.TrackingNames.Types]).Outputs).Value;
    }

    /// <summary>
    /// Every property of a model is a string, a primitive, an enum, another model or an
    /// <see cref="EquatableArray{T}"/> of those: nothing that compares by reference or roots a compilation.
    /// </summary>
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

        Assert.True(type.Namespace == typeof(JobDeclaration).Namespace || type == typeof(TypeDeclarationModel), $"A model holds a {type.FullName}, which is neither a value nor a model.");
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
