using System;
using System.Collections.Generic;
using MemoryPack;

namespace ParallelKit.Tests;

/// <summary>A user type shared through a manager: its methods run in the manager process.</summary>
[ManagedType]
public partial class Account
{
    private readonly List<string> _history = [];
    private readonly int _processId = Environment.ProcessId;
    private decimal _balance;

    /// <summary>An empty account owned by nobody.</summary>
    public Account()
        : this(0m, "nobody")
    {
    }

    /// <summary>An account with an opening balance.</summary>
    public Account(decimal opening, string owner)
    {
        if (opening < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(opening), opening, "An account cannot open below zero.");
        }

        _balance = opening;
        Owner = owner;
    }

    /// <summary>Not proxied: a property (Python's proxies expose methods too).</summary>
    public string Owner { get; }

    /// <summary>Adds to the balance (a read-modify-write that needs no lock: the manager runs one call at a time).</summary>
    public decimal Deposit(decimal amount, string? note = null)
    {
        _balance += amount;
        _history.Add(note ?? $"+{amount}");
        return _balance;
    }

    /// <summary>Takes from the balance, or throws when it would go below zero.</summary>
    public decimal Withdraw(decimal amount)
    {
        if (amount > _balance)
        {
            throw new InvalidOperationException($"insufficient funds: {_balance} < {amount}");
        }

        _balance -= amount;
        return _balance;
    }

    /// <summary>The balance.</summary>
    public decimal Balance() => _balance;

    /// <summary>The owner (a method, so the proxy has it).</summary>
    public string OwnerName() => Owner;

    /// <summary>Where the object lives.</summary>
    public int ProcessId() => _processId;

    /// <summary>Every note so far.</summary>
    public string[] History() => [.. _history];

    /// <summary>A MemoryPack record in and out.</summary>
    public Statement Summarize(Statement previous) => new(previous.Deposits + _history.Count, _balance);

    /// <summary>Forgets the history.</summary>
    public void ClearHistory() => _history.Clear();
}

/// <summary>A record that crosses with MemoryPack.</summary>
[MemoryPackable]
public partial record Statement(int Deposits, decimal Balance);

/// <summary>Jobs that use an <see cref="Account"/> proxy passed to them by handle.</summary>
public static partial class ManagedTypeJobs
{
    /// <summary>Deposits 1 <paramref name="times"/> times.</summary>
    [ParallelJob]
    public static decimal DepositMany(ManagedProxy<Account> account, int times)
    {
        decimal last = 0;
        for (int i = 0; i < times; i++)
        {
            last = account.Deposit(1m, "job");
        }

        return last;
    }

    /// <summary>Where the object the proxy reaches lives, asked from a job.</summary>
    [ParallelJob]
    public static int WhereIs(ManagedProxy<Account> account) => account.ProcessId();
}
