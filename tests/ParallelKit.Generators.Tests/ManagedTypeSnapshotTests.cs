using Microsoft.CodeAnalysis;
using ParallelKit.Generators.ManagedTypes;
using ParallelKit.Generators.Tests.Infrastructure;
using Xunit;

namespace ParallelKit.Generators.Tests;

/// <summary>
/// What the <c>[ManagedType]</c> generator emits: the manager side inside the class (factory, invoker, registration)
/// and the extension methods beside it (<c>manager.T(…)</c> per public constructor, one per proxied method on
/// <c>ManagedProxy&lt;T&gt;</c>), compared with the snapshots in <c>Snapshots/</c>. Every input uses the generated
/// members and compiles with them with no warning at all.
/// </summary>
public sealed class ManagedTypeSnapshotTests
{
    [Fact]
    public void An_account_with_two_constructors_defaults_and_a_void_method()
    {
        GeneratorRunResult result = Run("""
            using System.Collections.Generic;
            using ParallelKit;

            namespace Demo;

            /// <summary>Kinds of entries.</summary>
            public enum Kind
            {
                /// <summary>Money in.</summary>
                Credit = 1,

                /// <summary>Money out.</summary>
                Debit = 2,
            }

            /// <summary>An account shared through a manager.</summary>
            [ManagedType]
            public partial class Account
            {
                private readonly List<string> _notes = new();
                private decimal _balance;

                /// <summary>Empty.</summary>
                public Account()
                {
                }

                /// <summary>With an opening balance.</summary>
                public Account(decimal opening, string owner = "nobody")
                {
                    _balance = opening;
                    _notes.Add(owner);
                }

                /// <summary>Adds.</summary>
                public decimal Deposit(decimal amount, Kind kind = Kind.Credit, double rate = 1.5, string? note = null, long @event = 3)
                {
                    _notes.Add(note ?? kind.ToString());
                    return _balance += amount * (decimal)rate + @event;
                }

                /// <summary>Forgets.</summary>
                public void Clear() => _notes.Clear();

                /// <summary>Not proxied: a property.</summary>
                public int Count => _notes.Count;

                /// <summary>Not proxied: static.</summary>
                public static Account Empty() => new();

                /// <summary>Not proxied: an override.</summary>
                public override string ToString() => _balance.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            internal static class Usage
            {
                public static decimal Use(ProcessManager manager)
                {
                    ManagedProxy<Account> account = manager.Account(10m, "ada");
                    ManagedProxy<Account> empty = manager.Account();
                    empty.Clear();
                    return account.Deposit(5m) + account.Deposit(1m, Kind.Debit, 2.0, "x", 4);
                }
            }
            """);

        Snapshot.Verify(result);
    }

    [Fact]
    public void A_nested_type_in_the_global_namespace()
    {
        GeneratorRunResult result = Run("""
            using ParallelKit;

            /// <summary>Outer.</summary>
            public static partial class Services
            {
                /// <summary>A counter.</summary>
                [ManagedType]
                public partial class Counter(int start)
                {
                    private int _value = start;

                    /// <summary>Adds one.</summary>
                    public int Next() => ++_value;

                    /// <summary>Takes a parameter named like the extension's own.</summary>
                    public int Add(int proxy) => _value += proxy;
                }
            }

            internal static class Usage
            {
                public static int Use(ProcessManager manager) => manager.Counter(1).Next() + manager.Counter(2).Add(3);
            }
            """);

        Snapshot.Verify(result);
    }

    [Fact]
    public void A_class_the_manager_cannot_create_gets_nothing()
    {
        GeneratorRunResult result = GeneratorHarness.CreateDriver(new ManagedTypeGenerator())
            .RunGenerators(TestCompilations.Library("""
                using ParallelKit;

                [ManagedType]
                public class NotPartial { }

                [ManagedType]
                public partial class Generic<T> { }
                """))
            .GetRunResult().Results[0];

        Assert.Empty(result.GeneratedSources);
    }

    private static GeneratorRunResult Run(params string[] sources)
        => GeneratorHarness.RunAndCompile(TestCompilations.Library(sources), new ManagedTypeGenerator(), out _);
}
