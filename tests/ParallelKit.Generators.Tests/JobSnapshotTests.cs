using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using ParallelKit.Generators.Tests.Infrastructure;
using Xunit;

namespace ParallelKit.Generators.Tests;

/// <summary>
/// What the job generator emits for each kind of <c>[ParallelJob]</c> declaration, compared with the
/// snapshots in <c>Snapshots/</c>. Every case also compiles its input with the generated sources under
/// strict settings (nullable, every warning wave, documentation checked) and requires no warning at all.
/// The inputs call the generated factories, so the snapshots are known to be usable, not only valid.
/// </summary>
public sealed class JobSnapshotTests
{
    [Fact]
    public void Simple_int_job()
    {
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Library("""
            using ParallelKit;

            namespace Demo;

            public static partial class Primes
            {
                [ParallelJob]
                public static int CountPrimes(int from, int to) => to - from;
            }

            internal static class Usage
            {
                public static JobCall<int> Call() => Primes.Jobs.CountPrimes(0, 100);
            }
            """));

        Snapshot.Verify(result);
    }

    [Fact]
    public void A_job_that_must_not_be_retried_says_so()
    {
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Library("""
            using ParallelKit;

            namespace Demo;

            public static partial class Payments
            {
                [ParallelJob(Retry = false)]
                public static bool Charge(string account, decimal amount) => amount > 0;
            }
            """));

        Snapshot.Verify(result);
    }

    [Fact]
    public void A_job_that_needs_a_node_tag_declares_it()
    {
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Library("""
            using ParallelKit;

            namespace Demo;

            public static partial class Render
            {
                [ParallelJob(Requires = "gpu", Retry = false)]
                public static int Frame(int index) => index;
            }
            """));

        Snapshot.Verify(result);
    }

    [Fact]
    public void Void_job()
    {
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Library("""
            using ParallelKit;

            namespace Demo;

            public static partial class Logger
            {
                [ParallelJob]
                public static void Log(string message) => System.Console.WriteLine(message);

                [ParallelJob]
                public static void Tick()
                {
                }
            }

            internal static class Usage
            {
                public static JobCall Call() => Logger.Jobs.Log("hello");

                public static JobCall Tick() => Logger.Jobs.Tick();
            }
            """));

        Snapshot.Verify(result);
    }

    [Fact]
    public void Async_jobs()
    {
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Library("""
            using System.Threading.Tasks;
            using ParallelKit;

            namespace Demo;

            public static partial class Fetcher
            {
                [ParallelJob]
                public static async Task<int> DelayedAsync(int value)
                {
                    await Task.Yield();
                    return value;
                }

                [ParallelJob]
                public static ValueTask<string?> EchoAsync(string? text) => new(text);

                [ParallelJob]
                public static Task FlushAsync() => Task.CompletedTask;

                [ParallelJob]
                public static ValueTask PingAsync(int times) => default;
            }

            internal static class Usage
            {
                public static JobCall<int> Delayed() => Fetcher.Jobs.DelayedAsync(1);

                public static JobCall<string?> Echo() => Fetcher.Jobs.EchoAsync(null);

                public static JobCall Flush() => Fetcher.Jobs.FlushAsync();

                public static JobCall Ping() => Fetcher.Jobs.PingAsync(3);
            }
            """));

        Snapshot.Verify(result);
    }

    [Fact]
    public void Cancellation_token_is_passed_to_the_job_not_taken_by_the_factory()
    {
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Library("""
            using System;
            using System.Threading;
            using System.Threading.Tasks;
            using ParallelKit;

            namespace Demo;

            public static partial class Waiter
            {
                [ParallelJob]
                public static async Task<int> WaitAsync(int seconds, CancellationToken cancellationToken)
                {
                    await Task.Delay(TimeSpan.FromSeconds(seconds), cancellationToken);
                    return seconds;
                }

                [ParallelJob]
                public static void Spin(CancellationToken token, int rounds)
                {
                    for (int i = 0; i < rounds && !token.IsCancellationRequested; i++)
                    {
                        Thread.SpinWait(1);
                    }
                }

                [ParallelJob]
                public static Task IdleAsync(CancellationToken ct = default) => Task.Delay(1, ct);
            }

            internal static class Usage
            {
                public static JobCall<int> Wait() => Waiter.Jobs.WaitAsync(5);

                public static JobCall Spin() => Waiter.Jobs.Spin(10);

                public static JobCall Idle() => Waiter.Jobs.IdleAsync();
            }
            """));

        Snapshot.Verify(result);
    }

    [Fact]
    public void Nested_partial_types()
    {
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Library("""
            using ParallelKit;

            namespace Demo;

            public static partial class Outer
            {
                public static partial class Inner
                {
                    [ParallelJob]
                    public static string Where() => nameof(Inner);
                }
            }

            internal partial struct Container
            {
                internal partial record Deep
                {
                    [ParallelJob]
                    internal static int Depth(int level) => level + 1;
                }
            }

            internal static class Usage
            {
                public static JobCall<string> Where() => Outer.Inner.Jobs.Where();

                public static JobCall<int> Depth() => Container.Deep.Jobs.Depth(2);
            }
            """));

        Snapshot.Verify(result);
    }

    [Fact]
    public void Many_parameters_params_array_and_default_values()
    {
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Library("""
            using System;
            using System.Collections.Generic;
            using ParallelKit;

            namespace Demo;

            public enum Mode
            {
                Unknown = -1,
                Fast = 1,
                Slow = 2,
            }

            public static partial class Kitchen
            {
                [ParallelJob]
                public static int Sink(int a, long b, double c, string d, bool e, byte[] f, Guid g, DateTime h, char i, decimal j)
                    => a + (int)b + (int)c + d.Length + (e ? 1 : 0) + f.Length + (g == Guid.Empty ? 0 : 1) + h.Day + i + (int)j;

                [ParallelJob]
                public static int Sum(string label, params int[] values) => label.Length + values.Length;

                [ParallelJob]
                public static string Defaults(
                    List<string>? names,
                    string? label = null,
                    int count = -3,
                    long big = long.MaxValue,
                    uint small = 7,
                    float ratio = 0.5f,
                    double scale = 1e-9,
                    decimal price = 9.99m,
                    bool enabled = true,
                    Mode mode = Mode.Fast,
                    int? maybe = 4,
                    Mode? maybeMode = null,
                    Guid id = default,
                    double nan = double.NaN)
                    => $"{names?.Count}{label}{count}{big}{small}{ratio}{scale}{price}{enabled}{mode}{maybe}{maybeMode}{id}{nan}";
            }

            internal static class Usage
            {
                public static JobCall<int> Sink() => Kitchen.Jobs.Sink(1, 2, 3, "4", true, [6], Guid.Empty, DateTime.UnixEpoch, 'i', 10m);

                public static JobCall<int> Sum() => Kitchen.Jobs.Sum("label", 1, 2, 3);

                public static JobCall<int> SumNone() => Kitchen.Jobs.Sum("label");

                public static JobCall<string> Defaults() => Kitchen.Jobs.Defaults(null);

                public static JobCall<string> Named() => Kitchen.Jobs.Defaults(["a"], mode: Mode.Slow, nan: 1);
            }
            """));

        Snapshot.Verify(result);
    }

    [Fact]
    public void Names_and_default_values_that_need_care()
    {
        // Regressions: each of these once produced generated code that did not compile (or warned).
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Library("""
            using ParallelKit;

            namespace Demo;

            public enum Mode
            {
                Unknown = -1,
                Fast = 1,
            }

            public static partial class Edges
            {
                // "(Mode)-1" is a subtraction; infinities have no literal; strings and chars need escapes.
                [ParallelJob]
                public static int Defaults(
                    Mode mode = Mode.Unknown,
                    Mode? maybe = Mode.Unknown,
                    double high = double.PositiveInfinity,
                    float low = float.NegativeInfinity,
                    string text = "a\n\"b\"\t",
                    char quote = '\'') => 0;

                // Parameters named like the call class's own members must not become clashing fields.
                [ParallelJob]
                public static int Members(int Key, string JobName, long JobKey, int ToString, int Key_, int MembersCall) => 0;

                // Keywords as names; a tuple parameter, which a cref can only name as ValueTuple{...}.
                [ParallelJob]
                public static int @int(int @class, int @event, (int A, string B) pair) => @class + @event + pair.A;
            }

            internal static class Usage
            {
                public static JobCall<int> Defaults() => Edges.Jobs.Defaults();

                public static JobCall<int> Members() => Edges.Jobs.Members(1, "name", 2, 3, 4, 5);

                public static JobCall<int> Keywords() => Edges.Jobs.@int(1, 2, (3, "b"));
            }
            """));

        Snapshot.Verify(result);
    }

    [Fact]
    public void MemoryPackable_record_parameter_and_result()
    {
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Library("""
            using System.Threading.Tasks;
            using MemoryPack;
            using ParallelKit;

            namespace Demo;

            [MemoryPackable]
            public partial record Range(int From, int To);

            [MemoryPackable]
            public partial record Summary(int Count, long Sum);

            public static partial class Ranges
            {
                [ParallelJob]
                public static Summary Summarize(Range range) => new(range.To - range.From, 0);

                [ParallelJob]
                public static Task<Summary?> MaybeSummarizeAsync(Range? range)
                    => Task.FromResult(range is null ? null : Summarize(range));
            }

            internal static class Usage
            {
                public static JobCall<Summary> Summarize() => Ranges.Jobs.Summarize(new Range(0, 10));

                public static JobCall<Summary?> Maybe() => Ranges.Jobs.MaybeSummarizeAsync(null);
            }
            """));

        Snapshot.Verify(result);
    }

    [Fact]
    public void Overloaded_jobs_with_the_same_name()
    {
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Library("""
            using System.Linq;
            using ParallelKit;

            namespace Demo;

            public static partial class Calculator
            {
                [ParallelJob]
                public static int Add(int a, int b) => a + b;

                public static int Add(string a, string b) => a.Length + b.Length;

                [ParallelJob]
                public static long Add(long a, long b, long c) => a + b + c;

                [ParallelJob]
                public static double Add(double[] values) => values.Sum();
            }

            internal static class Usage
            {
                public static JobCall<int> Two() => Calculator.Jobs.Add(1, 2);

                public static JobCall<long> Three() => Calculator.Jobs.Add(1L, 2L, 3L);

                public static JobCall<double> Many() => Calculator.Jobs.Add([1.0, 2.0]);
            }
            """));

        Assert.Equal(3, result.GeneratedSources.Single(s => s.HintName == "Demo.Calculator.Jobs.g.cs").SourceText.ToString().Split("internal const ulong Key").Length - 1);
        Snapshot.Verify(result);
    }

    [Fact]
    public void Job_in_the_global_namespace()
    {
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Library("""
            using ParallelKit;

            public static partial class GlobalJobs
            {
                [ParallelJob]
                public static int Square(int x) => x * x;
            }

            internal static class Usage
            {
                public static JobCall<int> Call() => GlobalJobs.Jobs.Square(3);
            }
            """));

        Snapshot.Verify(result);
    }

    [Fact]
    public void Library_gets_a_job_table_but_no_entrypoint()
    {
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Library("""
            using ParallelKit;

            namespace Demo;

            public static partial class Alpha
            {
                [ParallelJob]
                public static int One() => 1;
            }

            internal static partial class Beta
            {
                [ParallelJob]
                internal static int Two() => 2;
            }
            """));

        Assert.Equal(
            ["Demo.Alpha.Jobs.g.cs", "Demo.Beta.Jobs.g.cs", "ParallelKit.JobTable.g.cs"],
            result.GeneratedSources.Select(s => s.HintName).Order(System.StringComparer.Ordinal));
        Snapshot.Verify(result);
    }

    [Fact]
    public void Executable_without_jobs_still_gets_the_entrypoint()
    {
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Executable("""
            namespace Demo;

            internal static class Program
            {
                private static int Main() => 0;
            }
            """));

        Assert.Equal(["ParallelKit.WorkerEntryPoint.g.cs"], result.GeneratedSources.Select(s => s.HintName));
        Snapshot.Verify(result);
    }

    [Fact]
    public void Executable_with_jobs_and_top_level_statements()
    {
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Executable("""
            using System;
            using Demo;
            using ParallelKit;

            JobCall<int> call = Tools.Jobs.Twice(21);
            Console.WriteLine(call);

            namespace Demo
            {
                public static partial class Tools
                {
                    [ParallelJob]
                    public static int Twice(int x) => 2 * x;
                }
            }
            """));

        Snapshot.Verify(result);
    }

    [Fact]
    public void A_partial_program_class_serves_workers_from_its_static_constructor()
    {
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Executable("""
            using ParallelKit;

            namespace Demo.App
            {
                public static partial class Program
                {
                    public static void Main() => System.Console.WriteLine(Tools.Jobs.Twice(21));

                    // Nested types are fine: they are not closed while a worker serves from Program's constructor.
                    private static class Nested
                    {
                        public static int Value => 1;
                    }
                }

                public static partial class Tools
                {
                    [ParallelJob]
                    public static int Twice(int x) => 2 * x;
                }
            }
            """));

        Assert.Contains("namespace Demo.App", SourceNamed(result, "ParallelKit.EntryTypeConstructor.g.cs"), StringComparison.Ordinal);
        Assert.Contains("servesBeforeMain: true", SourceNamed(result, "ParallelKit.WorkerEntryPoint.g.cs"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("public static class Program { public static void Main() { } }")]
    [InlineData("public static partial class Program { public static void Main() { } static Program() { } }")]
    [InlineData("public static partial class Program { public static void Main() => Helper(); public static void Helper() { } }")]
    [InlineData("public static partial class Program { public static readonly int Count = 3; public static void Main() { } }")]
    [InlineData("public static partial class Outer { public static partial class Program { public static void Main() { } } }")]
    [InlineData("public partial record Program { public static void Main() { } }")]
    [InlineData("file static partial class Program { public static void Main() { } }")]
    public void Workers_use_the_startup_hook_when_the_entry_type_cannot_take_a_static_constructor(string program)
    {
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Executable($$"""
            using ParallelKit;

            namespace Demo.App
            {
                {{program}}

                public static partial class Tools
                {
                    [ParallelJob]
                    public static int Twice(int x) => 2 * x;
                }
            }
            """));

        Assert.DoesNotContain(result.GeneratedSources, s => s.HintName == "ParallelKit.EntryTypeConstructor.g.cs");
        Assert.DoesNotContain("servesBeforeMain", SourceNamed(result, "ParallelKit.WorkerEntryPoint.g.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void An_async_main_in_a_partial_program_class_serves_workers_from_its_static_constructor()
    {
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Executable("""
            using ParallelKit;

            namespace Demo.App
            {
                public static partial class Program
                {
                    public static async System.Threading.Tasks.Task<int> Main() => await System.Threading.Tasks.Task.FromResult(Tools.Jobs.Twice(21) is null ? 1 : 0);
                }

                public static partial class Tools
                {
                    [ParallelJob]
                    public static int Twice(int x) => 2 * x;
                }
            }
            """));

        Assert.Contains("static Program()", SourceNamed(result, "ParallelKit.EntryTypeConstructor.g.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void Jobs_declared_in_the_program_class_keep_the_startup_hook()
    {
        // A job in Program would be closed to other threads (its async continuations, say) while workers serve from Program's constructor.
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Executable("""
            using ParallelKit;

            System.Console.WriteLine(Program.Jobs.Twice(21));

            public static partial class Program
            {
                [ParallelJob]
                public static int Twice(int x) => 2 * x;
            }
            """));

        Assert.DoesNotContain(result.GeneratedSources, s => s.HintName == "ParallelKit.EntryTypeConstructor.g.cs");
    }

    [Fact]
    public void A_job_taking_a_private_type_gets_no_factory_instead_of_code_that_does_not_compile()
    {
        // PK1016 says why; the generated code must not add CS0051 (inconsistent accessibility) on top.
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Library("""
            using ParallelKit;

            namespace Demo
            {
                public static partial class Pipeline
                {
                    private sealed class Step
                    {
                        public int Value { get; set; }
                    }

                    [ParallelJob]
                    private static int Run(Step step) => step.Value * 2;

                    [ParallelJob]
                    public static int Twice(int x) => 2 * x;
                }
            }
            """));

        string jobs = SourceNamed(result, "Demo.Pipeline.Jobs.g.cs");
        Assert.Contains("Twice(", jobs, StringComparison.Ordinal);
        Assert.DoesNotContain("Run(", jobs, StringComparison.Ordinal);
    }

    private static string SourceNamed(GeneratorRunResult result, string hintName)
        => Assert.Single(result.GeneratedSources, s => s.HintName == hintName).SourceText.ToString();

    [Fact]
    public void Executable_registers_the_job_tables_of_referenced_libraries()
    {
        MetadataReference first = GeneratedLibrary("Demo.Jobs.First", "public static int Forty() => 40;");
        MetadataReference second = GeneratedLibrary("Demo.Jobs.Second", "public static int Two() => 2;");

        // Referenced out of order: the entrypoint sorts the tables, so its text does not depend on reference order.
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Create("Demo.App", OutputKind.ConsoleApplication, [second, first], """
            using System;
            using ParallelKit;

            namespace Demo.App;

            internal static partial class Program
            {
                [ParallelJob]
                internal static int Own() => 0;

                private static void Main()
                {
                    JobCall<int> a = Demo.Jobs.First.Library.Jobs.Forty();
                    JobCall<int> b = Demo.Jobs.Second.Library.Jobs.Two();
                    JobCall<int> c = Jobs.Own();
                    Console.WriteLine($"{a} {b} {c}");
                }
            }
            """));

        string entryPoint = result.GeneratedSources.Single(s => s.HintName == "ParallelKit.WorkerEntryPoint.g.cs").SourceText.ToString();
        string[] registered = [.. entryPoint.Split('\n').Select(l => l.Trim()).Where(l => l.EndsWith(".Register();", System.StringComparison.Ordinal))];
        Assert.Equal(3, registered.Length);
        Assert.StartsWith("global::ParallelKit.Generated.JobTable_Demo_App_", registered[0], System.StringComparison.Ordinal);
        Assert.StartsWith("global::ParallelKit.Generated.JobTable_Demo_Jobs_First_", registered[1], System.StringComparison.Ordinal);
        Assert.StartsWith("global::ParallelKit.Generated.JobTable_Demo_Jobs_Second_", registered[2], System.StringComparison.Ordinal);
        Snapshot.Verify(result);
    }

    [Fact]
    public void Jobs_of_a_protected_internal_nested_type_are_registered()
    {
        // The job table, in the same assembly, can name a protected internal type (jobs of private and
        // protected types get nothing: PK1015).
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Library("""
            using ParallelKit;

            namespace Demo;

            public partial class Host
            {
                protected internal static partial class Family
                {
                    [ParallelJob]
                    internal static int Shared() => 42;
                }
            }

            internal static class Usage
            {
                public static JobCall<int> Call() => Host.Family.Jobs.Shared();
            }
            """));

        Assert.Equal(["Demo.Host.Family.Jobs.g.cs", "ParallelKit.JobTable.g.cs"], result.GeneratedSources.Select(s => s.HintName).Order(System.StringComparer.Ordinal));
        Snapshot.Verify(result);
    }

    [Fact]
    public void Call_class_names_never_take_a_factory_name()
    {
        // The call classes share the Jobs class with the factories: XCall, XCall2 are factories here, so
        // X's call classes take the next free names.
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Library("""
            using ParallelKit;

            namespace Demo;

            public static partial class Names
            {
                [ParallelJob]
                public static int X() => 0;

                [ParallelJob]
                public static int XCall() => 1;

                [ParallelJob]
                public static int X(int value) => value;

                [ParallelJob]
                public static int XCall2(int value) => value;

                [ParallelJob]
                public static int XCall3Call() => 3;
            }

            internal static class Usage
            {
                public static JobCall<int> X() => Names.Jobs.X();

                public static JobCall<int> XCall() => Names.Jobs.XCall();

                public static JobCall<int> XOverload() => Names.Jobs.X(2);

                public static JobCall<int> XCall2() => Names.Jobs.XCall2(2);

                public static JobCall<int> XCall3Call() => Names.Jobs.XCall3Call();
            }
            """));

        string[] callClasses = [.. result.GeneratedSources.Single(s => s.HintName == "Demo.Names.Jobs.g.cs").SourceText.ToString()
            .Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.StartsWith("internal sealed class ", System.StringComparison.Ordinal))
            .Select(l => l.Split(' ')[3])];
        Assert.Equal(["XCall3", "XCallCall", "XCall4", "XCall2Call", "XCall3CallCall"], callClasses);
        Snapshot.Verify(result);
    }

    [Fact]
    public void Factories_named_like_members_of_object_hide_them()
    {
        // The Jobs class is a class: a factory ToString() would hide object.ToString() and warn (CS0114) without 'new'.
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Library("""
            using ParallelKit;

            namespace Demo;

            public static partial class Objects
            {
                [ParallelJob]
                public static new string ToString() => "job";

                [ParallelJob]
                public static new int GetHashCode() => 0;

                [ParallelJob]
                public static new int GetType() => 0;

                [ParallelJob]
                public static new int MemberwiseClone() => 0;

                [ParallelJob]
                public static bool Equals(int value) => value == 0;
            }

            internal static class Usage
            {
                public static JobCall<string> Text() => Objects.Jobs.ToString();

                public static JobCall<int> Hash() => Objects.Jobs.GetHashCode();

                public static JobCall<int> Type() => Objects.Jobs.GetType();

                public static JobCall<int> Clone() => Objects.Jobs.MemberwiseClone();

                public static JobCall<bool> Equal() => Objects.Jobs.Equals(0);
            }
            """));

        Snapshot.Verify(result);
    }

    [Fact]
    public void Jobs_class_hides_the_one_a_base_type_inherits()
    {
        GeneratorHarness.RunAndCompile(
            TestCompilations.Create("Demo.Bases", OutputKind.DynamicallyLinkedLibrary, [], """
                using ParallelKit;

                namespace Demo.Bases;

                public partial class Library
                {
                    [ParallelJob]
                    public static int FromLibrary() => 1;
                }
                """),
            out Compilation bases);
        MetadataReference library = bases.ToMetadataReference();

        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Create("Demo.Library", OutputKind.DynamicallyLinkedLibrary, [library], """
            using ParallelKit;

            namespace Demo;

            public partial class Base
            {
                [ParallelJob]
                public static int FromBase() => 1;
            }

            public partial class Middle : Base;

            // Base's generated Jobs class is inherited through Middle.
            public partial class Derived : Middle
            {
                [ParallelJob]
                public static int FromDerived() => 2;
            }

            // A referenced library's type with jobs already has its Jobs class.
            public partial class FromReference : Demo.Bases.Library
            {
                [ParallelJob]
                public static int Own() => 3;
            }

            // A user's member named Jobs in a base type is hidden too.
            public class WithJobsProperty
            {
                public int Jobs => 0;
            }

            public partial class OverProperty : WithJobsProperty
            {
                [ParallelJob]
                public static int Own() => 4;
            }

            // No 'new' where nothing is hidden: the base's only job is invalid (PK1001), so it gets no Jobs class,
            // and a private member is not inherited visibly.
            public partial class InvalidBase
            {
                [ParallelJob]
                public int Instance() => 0;
            }

            public partial class OverInvalid : InvalidBase
            {
                [ParallelJob]
                public static int Own() => 5;
            }

            public class WithPrivateJobs
            {
                private int Jobs => 0;

                public int Count() => Jobs;
            }

            public partial class OverPrivate : WithPrivateJobs
            {
                [ParallelJob]
                public static int Own() => 6;
            }

            internal static class Usage
            {
                public static JobCall<int> Derived() => Demo.Derived.Jobs.FromDerived();

                public static JobCall<int> Inherited() => Demo.Middle.Jobs.FromBase();
            }
            """));

        string[] hiding = [.. result.GeneratedSources
            .Where(s => s.SourceText.ToString().Contains("public static new class Jobs", System.StringComparison.Ordinal))
            .Select(s => s.HintName)
            .Order(System.StringComparer.Ordinal)];
        Assert.Equal(["Demo.Derived.Jobs.g.cs", "Demo.FromReference.Jobs.g.cs", "Demo.OverProperty.Jobs.g.cs"], hiding);
        Snapshot.Verify(result);
    }

    [Fact]
    public void Valid_jobs_beside_invalid_ones_are_still_generated()
    {
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Library("""
            using System.Threading;
            using ParallelKit;

            namespace Demo;

            public static partial class Mixed
            {
                // Same factory Jobs.Twice(int) for both (PK1011): neither gets one.
                [ParallelJob]
                public static int Twice(int x) => 2 * x;

                [ParallelJob]
                public static int Twice(int x, CancellationToken cancellationToken) => 2 * x;

                // dynamic (PK1003): skipped.
                [ParallelJob]
                public static int Dynamic(dynamic value) => 0;

                // Valid: generated.
                [ParallelJob]
                public static int Twice(long x) => (int)(2 * x);

                [ParallelJob]
                public static int Square(int x, CancellationToken cancellationToken) => x * x;
            }

            internal static class Usage
            {
                public static JobCall<int> Twice() => Mixed.Jobs.Twice(2L);

                public static JobCall<int> Square() => Mixed.Jobs.Square(3);
            }
            """));

        string jobs = result.GeneratedSources.Single(s => s.HintName == "Demo.Mixed.Jobs.g.cs").SourceText.ToString();
        Assert.Equal(2, jobs.Split("internal const ulong Key").Length - 1);
        Snapshot.Verify(result);
    }

    [Fact]
    public void Invalid_declarations_generate_nothing()
    {
        // Each of these is reported by the analyzers (PK1xxx); the generator stays silent rather than
        // emitting code that would bury the one clear diagnostic under compile errors.
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(TestCompilations.Library("""
            using System.Collections.Generic;
            using ParallelKit;

            namespace Demo;

            public partial class NotStatic
            {
                [ParallelJob]
                public int Instance(int x) => x;
            }

            public static class NotPartial
            {
                [ParallelJob]
                public static int Job(int x) => x;
            }

            public static partial class Outer
            {
                public static class NotPartialInner
                {
                    [ParallelJob]
                    public static int Job(int x) => x;
                }
            }

            public static partial class GenericJob
            {
                [ParallelJob]
                public static T Echo<T>(T value) => value;
            }

            public static partial class GenericType<T>
            {
                [ParallelJob]
                public static int Count(List<T> items) => items.Count;
            }

            public static partial class RefParameters
            {
                [ParallelJob]
                public static void Increment(ref int x) => x++;

                [ParallelJob]
                public static void Produce(out int x) => x = 1;

                [ParallelJob]
                public static int Read(in int x) => x;
            }

            public static partial class TwoTokens
            {
                [ParallelJob]
                public static int Wait(System.Threading.CancellationToken a, System.Threading.CancellationToken b) => 0;
            }

            file static partial class FileLocal
            {
                [ParallelJob]
                public static int Job(int x) => x;
            }

            public static partial class HasJobsMember
            {
                public const int Jobs = 3;

                [ParallelJob]
                public static int Job(int x) => x;
            }

            // Its nested class Jobs would have the name of its type (CS0542): PK1012.
            public static partial class Jobs
            {
                [ParallelJob]
                public static int Job(int x) => x;
            }

            // Both would get the factory Jobs.Twice(int) (CS0111): PK1011.
            public static partial class SameFactory
            {
                [ParallelJob]
                public static int Twice(int x) => 2 * x;

                [ParallelJob]
                public static int Twice(int x, System.Threading.CancellationToken cancellationToken) => 2 * x;

                [ParallelJob]
                public static void Ping(System.Threading.CancellationToken cancellationToken) { }

                [ParallelJob]
                public static void Ping() { }
            }

            // dynamic, ref structs: no field or type argument can hold them (PK1003, PK1004).
            public static partial class Unrepresentable
            {
                [ParallelJob]
                public static int Dynamic(dynamic value) => 0;

                [ParallelJob]
                public static dynamic DynamicResult(int x) => x;

                [ParallelJob]
                public static System.Threading.Tasks.Task<dynamic> DynamicTask(int x) => System.Threading.Tasks.Task.FromResult<dynamic>(x);

                [ParallelJob]
                public static int DynamicList(List<dynamic> values) => values.Count;

                [ParallelJob]
                public static int Span(System.Span<int> values) => values.Length;

                [ParallelJob]
                public static System.ReadOnlySpan<char> SpanResult(int x) => default;
            }

            // The job table cannot reach them (PK1015).
            public partial class Host
            {
                private static partial class Private
                {
                    [ParallelJob]
                    internal static int Job(int x) => x;
                }

                protected static partial class Protected
                {
                    [ParallelJob]
                    internal static int Job(int x) => x;
                }

                private protected static partial class PrivateProtected
                {
                    [ParallelJob]
                    internal static int Job(int x) => x;
                }

                internal static int Use() => Private.Job(1);
            }

            // Not ordinary methods (PK1014).
            public partial interface ICounter
            {
                [ParallelJob]
                static abstract int Count(int x);

                [ParallelJob]
                static virtual int Twice(int x) => 2 * x;
            }

            public partial class NotOrdinary : ICounter
            {
                [ParallelJob]
                static int ICounter.Count(int x) => x;

                [ParallelJob]
                public static NotOrdinary operator +(NotOrdinary a, NotOrdinary b) => a;

                public static int Property { [ParallelJob] get => 0; }

                public static int Use()
                {
                    System.Func<int, int> lambda = [ParallelJob] (int x) => x;
                    return Local(lambda(1));

                    [ParallelJob]
                    static int Local(int x) => x;
                }
            }
            """));

        Assert.Empty(result.GeneratedSources);
    }

    /// <summary>A library with one job type, compiled with the generator's output, as a reference for an executable.</summary>
    private static CompilationReference GeneratedLibrary(string assemblyName, string job)
    {
        var library = TestCompilations.Create(assemblyName, OutputKind.DynamicallyLinkedLibrary, [], $$"""
            using ParallelKit;

            namespace {{assemblyName}};

            public static partial class Library
            {
                [ParallelJob]
                {{job}}
            }
            """);
        GeneratorRunResult result = GeneratorHarness.RunAndCompile(library, out Compilation output);
        Assert.Contains(result.GeneratedSources, s => s.HintName == "ParallelKit.JobTable.g.cs");
        return output.ToMetadataReference();
    }
}
