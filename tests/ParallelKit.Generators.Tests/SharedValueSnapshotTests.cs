using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ParallelKit.Generators.SharedValues;
using ParallelKit.Generators.Tests.Infrastructure;
using Xunit;

namespace ParallelKit.Generators.Tests;

/// <summary>
/// What the <c>[SharedValue]</c> generator emits: the segment layout (offsets, alignment, type tag), the accessors,
/// <c>Lock()</c>, the helpers, <c>Dispose()</c> and the handle formatter, compared with the snapshots in
/// <c>Snapshots/</c>. Every input uses the generated members and compiles with them with no warning at all.
/// </summary>
public sealed class SharedValueSnapshotTests
{
    [Fact]
    public void The_design_example_progress()
    {
        GeneratorRunResult result = Run("""
            using ParallelKit;

            namespace Demo;

            /// <summary>Progress shared by workers.</summary>
            public partial class Progress
            {
                /// <summary>Items done.</summary>
                [SharedValue] public partial long Done { get; set; }

                /// <summary>The best score so far.</summary>
                [SharedValue] public partial double Best { get; set; }
            }

            internal static class Usage
            {
                public static long Use()
                {
                    using var progress = new Progress();
                    using (progress.Lock())
                    {
                        progress.Done++;
                        progress.Best = System.Math.Max(progress.Best, 1.5);
                    }

                    IMarshalByHandle handle = progress;
                    progress.AddBest(0.5);
                    return progress.IncrementDone() + progress.DecrementDone() + progress.AddDone(2) + handle.HandleName.Length;
                }
            }
            """);

        Snapshot.Verify(result);
    }

    [Fact]
    public void Property_types_alignment_and_accessors()
    {
        GeneratorRunResult result = Run("""
            using System;
            using ParallelKit;

            namespace Demo;

            /// <summary>A color.</summary>
            public enum Color : byte
            {
                /// <summary>Red.</summary>
                Red,

                /// <summary>Green.</summary>
                Green,
            }

            /// <summary>A point.</summary>
            /// <param name="X">X.</param>
            /// <param name="Y">Y.</param>
            public readonly record struct Point(int X, int Y);

            /// <summary>Three bytes.</summary>
            public struct Rgb
            {
                /// <summary>Red.</summary>
                public byte R;

                /// <summary>Green.</summary>
                public byte G;

                /// <summary>Blue.</summary>
                public byte B;
            }

            /// <summary>Every kind of shared value.</summary>
            public partial class Mixed
            {
                private readonly string _name;

                /// <summary>Creates it with a name (the class declares a constructor, so none is generated).</summary>
                /// <param name="name">The name.</param>
                public Mixed(string name)
                {
                    _name = name;
                    Count = 1;
                }

                /// <summary>A flag.</summary>
                [SharedValue] public partial bool Flag { get; set; }

                /// <summary>A counter, aligned to 8 after the flag.</summary>
                [SharedValue] public partial long Count { get; private set; }

                /// <summary>A small number.</summary>
                [SharedValue] internal partial short Small { get; set; }

                /// <summary>A color.</summary>
                [SharedValue] public partial Color Color { get; set; }

                /// <summary>Money: 16 bytes, read under the lock.</summary>
                [SharedValue] public partial decimal Money { get; set; }

                /// <summary>An identifier.</summary>
                [SharedValue] public partial Guid Id { get; set; }

                /// <summary>A user struct of 8 bytes: read atomically.</summary>
                [SharedValue] public partial Point Where { get; set; }

                /// <summary>A user struct of 3 bytes, aligned to 4.</summary>
                [SharedValue] public partial Rgb Tint { get; set; }

                /// <summary>A 16-byte integer, aligned to 16.</summary>
                [SharedValue] public partial Int128 Huge { get; set; }

                /// <summary>A byte whose Add helper name is taken by the user.</summary>
                [SharedValue] public partial byte Level { get; set; }

                /// <summary>A name that is a keyword.</summary>
                [SharedValue] public partial uint @event { get; set; }

                /// <summary>The user's own member named like a helper.</summary>
                /// <returns>Nothing useful.</returns>
                public int AddLevel() => _name.Length;

                /// <summary>Uses the private helpers of <see cref="Count"/>, whose setter is private.</summary>
                /// <returns>The count.</returns>
                public long Bump() => AddCount(5) + IncrementCount() + DecrementCount();

                partial void OnDisposing() => Flag = false;
            }

            internal static class Usage
            {
                public static long Use()
                {
                    using var mixed = new Mixed("m");
                    mixed.Where = new Point(1, 2);
                    mixed.Tint = new Rgb { R = 1 };
                    mixed.Small = mixed.AddSmall(1);
                    mixed.@event = mixed.IncrementLevel();
                    return mixed.Bump() + (long)mixed.AddMoney(1m) + mixed.AddLevel() + (int)mixed.Color + mixed.Where.X + (long)mixed.Huge + mixed.Id.ToByteArray()[0] + mixed.Tint.R + mixed.Decrementevent();
                }
            }
            """);

        Snapshot.Verify(result);
    }

    [Fact]
    public void Nested_partial_types_and_the_global_namespace()
    {
        GeneratorRunResult result = Run(
            """
            using ParallelKit;

            namespace Demo;

            /// <summary>Outer.</summary>
            public static partial class Outer
            {
                /// <summary>Middle.</summary>
                internal partial struct Middle
                {
                    /// <summary>Inner.</summary>
                    internal sealed partial class Counter
                    {
                        /// <summary>The count.</summary>
                        [SharedValue] internal partial int Count { get; set; }
                    }
                }
            }

            internal static class Usage
            {
                public static int Use()
                {
                    using var counter = new Outer.Middle.Counter();
                    return counter.IncrementCount();
                }
            }
            """,
            """
            using ParallelKit;

            /// <summary>A class in the global namespace.</summary>
            public partial class GlobalStats
            {
                /// <summary>The best.</summary>
                [SharedValue] public partial float Best { get; set; }
            }
            """);

        Snapshot.Verify(result);
    }

    [Fact]
    public void Declarations_the_analyzers_reject_get_a_throwing_stand_in_not_an_implementation()
    {
        // Each is reported by an analyzer (PK2001 to PK2006). The generator implements none of them; a partial one gets
        // a stand-in whose accessors throw, so that the compiler does not stop at CS9248 before the analyzers run.
        CSharpCompilation input = TestCompilations.Library("""
            using System.Collections.Generic;
            using ParallelKit;

            namespace Demo;

            public class NotPartialClass
            {
                [SharedValue] public partial int A { get; set; }
            }

            public partial class ManagedType
            {
                [SharedValue] public partial string Name { get; set; }

                [SharedValue] public partial List<int> Items { get; set; }

                [SharedValue] public partial int? Maybe { get; set; }
            }

            public partial class NotPartialProperty
            {
                [SharedValue] public int B { get; set; }

                [SharedValue] public static partial int C { get; set; }

                [SharedValue] public partial int D { get; }
            }

            public partial class Generic<T>
            {
                [SharedValue] public partial int E { get; set; }
            }

            public partial class DeclaresLock
            {
                [SharedValue] public partial int F { get; set; }

                public void Lock() { }
            }

            public partial record Record
            {
                [SharedValue] public partial int G { get; set; }
            }

            public abstract partial class Abstract
            {
                [SharedValue] public partial int H { get; set; }
            }

            public partial class HidesDispose : System.IO.MemoryStream
            {
                [SharedValue] public partial int I { get; set; }
            }
            """);

        GeneratorDriver driver = GeneratorHarness.CreateDriver(new SharedValueGenerator()).RunGeneratorsAndUpdateCompilation(input, out Compilation output, out _);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();

        Assert.Null(result.Exception);
        Assert.All(result.GeneratedSources, s => Assert.EndsWith(".SharedValueStubs.g.cs", s.HintName, StringComparison.Ordinal));
        Assert.DoesNotContain(result.GeneratedSources, s => s.SourceText.ToString().Contains("SharedSegment", StringComparison.Ordinal));

        // A class that is not partial cannot get a stand-in: the compiler's CS0751 is unavoidable, and the generator
        // reports PK2002 beside it (the analyzers do not run after a declaration error).
        Diagnostic reported = Assert.Single(result.Diagnostics);
        Assert.Equal("PK2002", reported.Id);
        Assert.Contains("make 'NotPartialClass' partial", reported.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Equal(["CS0751: A", "CS9248: A"], output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.Id + ": " + d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan)).Distinct().Order(StringComparer.Ordinal));

        Snapshot.Verify(result);
    }

    [Fact]
    public void A_SharedValue_in_a_file_local_type_is_reported_by_the_generator()
    {
        CSharpCompilation input = TestCompilations.Library("""
            using ParallelKit;

            namespace Demo;

            file partial class Hidden
            {
                [SharedValue] public partial int A { get; set; }
            }
            """);

        GeneratorRunResult result = GeneratorHarness.CreateDriver(new SharedValueGenerator()).RunGenerators(input).GetRunResult().Results.Single();

        Assert.Empty(result.GeneratedSources);
        Diagnostic reported = Assert.Single(result.Diagnostics);
        Assert.Equal("PK2005", reported.Id);
        Assert.Contains("the file-local type 'Hidden'", reported.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void Classes_named_alike_but_for_case_get_distinct_files()
    {
        GeneratorRunResult result = Run("""
            using ParallelKit;

            namespace Demo
            {
                /// <summary>Upper.</summary>
                public partial class Stats
                {
                    /// <summary>A.</summary>
                    [SharedValue] public partial int A { get; set; }
                }

                /// <summary>Lower.</summary>
                public partial class STATS
                {
                    /// <summary>B.</summary>
                    [SharedValue] public partial int B { get; set; }
                }
            }
            """);

        Assert.Equal(2, result.GeneratedSources.Select(s => s.HintName.ToUpperInvariant()).Distinct().Count());
    }

    private static GeneratorRunResult Run(params string[] sources)
        => GeneratorHarness.RunAndCompile(TestCompilations.Library(sources), new SharedValueGenerator(), out _);
}
