using System.Threading.Tasks;
using Xunit;
using static ParallelKit.Analyzers.Diagnostics.DiagnosticDescriptors;
using MakePartial = ParallelKit.Analyzers.Tests.CodeFixVerifier<
    ParallelKit.Analyzers.Jobs.ParallelJobAnalyzer,
    ParallelKit.Analyzers.Jobs.MakeContainingTypesPartialCodeFixProvider>;
using MakeStatic = ParallelKit.Analyzers.Tests.CodeFixVerifier<
    ParallelKit.Analyzers.Jobs.ParallelJobAnalyzer,
    ParallelKit.Analyzers.Jobs.MakeJobStaticCodeFixProvider>;
using Verify = ParallelKit.Analyzers.Tests.AnalyzerVerifier<ParallelKit.Analyzers.Jobs.ParallelJobAnalyzer>;

namespace ParallelKit.Analyzers.Tests;

/// <summary>The code fixes for PK1001 (add <c>static</c>) and PK1002 (add <c>partial</c>), one by one and with Fix All.</summary>
public sealed class JobCodeFixTests
{
    [Fact]
    public async Task AddsStaticAfterAccessibility()
    {
        const string source = """
            using ParallelKit;

            public partial class Primes
            {
                /// <summary>Counts primes.</summary>
                [ParallelJob]
                public int {|#0:Count|}(int from, int to) => to - from;
            }
            """;
        const string fixedSource = """
            using ParallelKit;

            public partial class Primes
            {
                /// <summary>Counts primes.</summary>
                [ParallelJob]
                public static int Count(int from, int to) => to - from;
            }
            """;

        await MakeStatic.VerifyAsync(source, fixedSource, Verify.Diagnostic(JobMustBeStatic).WithLocation(0).WithArguments("Count"));
    }

    [Fact]
    public async Task OffersNoStaticWhereTheBodyUsesAnInstanceMember()
    {
        // Adding static would turn PK1001 into CS0120: the job needs _limit as a parameter, which is not mechanical.
        const string source = """
            using ParallelKit;

            public partial class Primes
            {
                private readonly int _limit = 100;

                [ParallelJob]
                public int {|#0:Count|}(int from) => _limit - from;

                [ParallelJob]
                public int {|#1:Describe|}(int from) => ToString()!.Length + from;

                [ParallelJob]
                public int {|#2:Lambda|}(int from)
                {
                    System.Func<int> f = () => this._limit;
                    return f() + from;
                }
            }
            """;

        await MakeStatic.VerifyAsync(
            source,
            source,
            Verify.Diagnostic(JobMustBeStatic).WithLocation(0).WithArguments("Count"),
            Verify.Diagnostic(JobMustBeStatic).WithLocation(1).WithArguments("Describe"),
            Verify.Diagnostic(JobMustBeStatic).WithLocation(2).WithArguments("Lambda"));
    }

    [Fact]
    public async Task AddsStaticWhereTheBodyUsesOnlyStaticMembersAndParameters()
    {
        const string source = """
            using ParallelKit;

            public partial class Primes
            {
                private const int Limit = 100;
                private static int s_calls;

                [ParallelJob]
                public int {|#0:Count|}(int from) => Limit - from + s_calls + Helper(from);

                private static int Helper(int x) => x;
            }
            """;
        const string fixedSource = """
            using ParallelKit;

            public partial class Primes
            {
                private const int Limit = 100;
                private static int s_calls;

                [ParallelJob]
                public static int Count(int from) => Limit - from + s_calls + Helper(from);

                private static int Helper(int x) => x;
            }
            """;

        await MakeStatic.VerifyAsync(source, fixedSource, Verify.Diagnostic(JobMustBeStatic).WithLocation(0).WithArguments("Count"));
    }

    [Fact]
    public async Task AddsStaticWhereThereIsNoModifierKeepingTrivia()
    {
        const string source = """
            using System.Threading.Tasks;
            using ParallelKit;

            public partial class Primes
            {
                [ParallelJob]
                // Why this job exists.
                int {|#0:Count|}(int to) => to;

                /// <summary>Waits.</summary>
                [ParallelJob] async Task {|#1:WaitAsync|}() => await Task.Yield();

                // Unsafe first.
                [ParallelJob]
                unsafe public virtual int {|#2:Size|}() => sizeof(int);
            }
            """;
        const string fixedSource = """
            using System.Threading.Tasks;
            using ParallelKit;

            public partial class Primes
            {
                [ParallelJob]
                // Why this job exists.
                static int Count(int to) => to;

                /// <summary>Waits.</summary>
                [ParallelJob] static async Task WaitAsync() => await Task.Yield();

                // Unsafe first.
                [ParallelJob]
                unsafe public static int Size() => sizeof(int);
            }
            """;

        await MakeStatic.VerifyAsync(
            source,
            fixedSource,
            Verify.Diagnostic(JobMustBeStatic).WithLocation(0).WithArguments("Count"),
            Verify.Diagnostic(JobMustBeStatic).WithLocation(1).WithArguments("WaitAsync"),
            Verify.Diagnostic(JobMustBeStatic).WithLocation(2).WithArguments("Size"));
    }

    [Fact]
    public async Task RemovesInstanceOnlyModifiers()
    {
        const string source = """
            using ParallelKit;

            public partial struct Counter
            {
                [ParallelJob]
                public readonly override string {|#0:ToString|}() => "counter";
            }
            """;
        const string fixedSource = """
            using ParallelKit;

            public partial struct Counter
            {
                [ParallelJob]
                public static string ToString() => "counter";
            }
            """;

        // The fixed ToString hides object.ToString (warning CS0114): the user's to judge, not the fix's.
        await MakeStatic.VerifyAsync(source, fixedSource, Verify.Diagnostic(JobMustBeStatic).WithLocation(0).WithArguments("ToString"));
    }

    [Fact]
    public async Task AddsPartialToTheContainingType()
    {
        const string source = """
            using ParallelKit;

            /// <summary>Prime jobs.</summary>
            public static class {|#1:Primes|}
            {
                [ParallelJob]
                public static int {|#0:Count|}(int from, int to) => to - from;
            }
            """;
        const string fixedSource = """
            using ParallelKit;

            /// <summary>Prime jobs.</summary>
            public static partial class Primes
            {
                [ParallelJob]
                public static int Count(int from, int to) => to - from;
            }
            """;

        await MakePartial.VerifyAsync(
            source,
            fixedSource,
            Verify.Diagnostic(JobMustBeInPartialType).WithLocation(0).WithLocation(1).WithArguments("Count", "'Primes'"));
    }

    [Fact]
    public async Task AddsPartialToEveryEnclosingTypeWithoutModifiers()
    {
        const string source = """
            using ParallelKit;

            namespace App;

            // Outer holds the jobs.
            class {|#1:Outer|}
            {
                internal partial record Middle
                {
                    record struct {|#2:Inner|}
                    {
                        [ParallelJob]
                        public static int {|#0:Count|}(int to) => to;
                    }
                }
            }
            """;
        const string fixedSource = """
            using ParallelKit;

            namespace App;

            // Outer holds the jobs.
            partial class Outer
            {
                internal partial record Middle
                {
                    partial record struct Inner
                    {
                        [ParallelJob]
                        public static int Count(int to) => to;
                    }
                }
            }
            """;

        // A nested type without modifiers is private: PK1015 stays, the fix is only about partial.
        var test = new MakePartial.Test { TestCode = source, FixedCode = fixedSource };
        test.ExpectedDiagnostics.Add(Verify.Diagnostic(JobMustBeInPartialType).WithLocation(0).WithLocation(1).WithLocation(2).WithArguments("Count", "'Outer' and 'Inner'"));
        test.ExpectedDiagnostics.Add(Verify.Diagnostic(JobInInaccessibleType).WithLocation(0).WithLocation(2).WithArguments("Count", "the private type 'Inner'"));
        test.FixedState.ExpectedDiagnostics.Add(Verify.Diagnostic(JobInInaccessibleType).WithSpan(13, 31, 13, 36).WithSpan(10, 31, 10, 36).WithArguments("Count", "the private type 'Inner'"));
        await test.RunAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task FixAllAddsPartialOnceForSeveralJobs()
    {
        const string source = """
            using ParallelKit;

            public static class {|#2:Primes|}
            {
                [ParallelJob]
                public static int {|#0:Count|}(int to) => to;

                [ParallelJob]
                public static int {|#1:Sum|}(int to) => to;
            }

            internal class {|#4:Squares|}
            {
                [ParallelJob]
                internal static int {|#3:Square|}(int x) => x * x;
            }
            """;
        const string fixedSource = """
            using ParallelKit;

            public static partial class Primes
            {
                [ParallelJob]
                public static int Count(int to) => to;

                [ParallelJob]
                public static int Sum(int to) => to;
            }

            internal partial class Squares
            {
                [ParallelJob]
                internal static int Square(int x) => x * x;
            }
            """;

        await MakePartial.VerifyAsync(
            source,
            fixedSource,
            Verify.Diagnostic(JobMustBeInPartialType).WithLocation(0).WithLocation(2).WithArguments("Count", "'Primes'"),
            Verify.Diagnostic(JobMustBeInPartialType).WithLocation(1).WithLocation(2).WithArguments("Sum", "'Primes'"),
            Verify.Diagnostic(JobMustBeInPartialType).WithLocation(3).WithLocation(4).WithArguments("Square", "'Squares'"));
    }
}
