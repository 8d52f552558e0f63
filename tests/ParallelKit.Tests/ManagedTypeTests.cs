using System;
using System.Linq;
using System.Threading.Tasks;
using ParallelKit.Tests.JobLibrary;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>
/// Custom managed types (Python's <c>BaseManager.register</c>): a <c>[ManagedType]</c> class lives in a real manager
/// process; its generated proxy runs each public method there.
/// </summary>
public sealed class ManagedTypeTests
{
    [Fact]
    public void The_object_lives_in_the_manager_process_and_keeps_its_state_between_calls()
    {
        using var manager = ProcessManager.Start();
        ManagedProxy<Account> account = manager.Account(100m, "ada");

        Assert.Equal(manager.Pid, account.ProcessId());
        Assert.NotEqual(Environment.ProcessId, account.ProcessId());
        Assert.Equal("ada", account.OwnerName());
        Assert.Equal(105m, account.Deposit(5m));
        Assert.Equal(103m, account.Withdraw(2m));
        Assert.Equal(103m, account.Balance());
        Assert.Equal(["+5"], account.History());
        Assert.Equal(new Statement(3, 103m), account.Summarize(new Statement(2, 0m)));
        account.ClearHistory();
        Assert.Empty(account.History());
    }

    [Fact]
    public void Each_constructor_creates_its_own_object()
    {
        using var manager = ProcessManager.Start();
        ManagedProxy<Account> empty = manager.Account();
        ManagedProxy<Account> funded = manager.Account(7m, "grace");
        empty.Deposit(1m);
        Assert.Equal(1m, empty.Balance());
        Assert.Equal("nobody", empty.OwnerName());
        Assert.Equal(7m, funded.Balance());
    }

    [Fact]
    public async Task Jobs_in_worker_processes_reach_the_same_object_and_no_deposit_is_lost()
    {
        using var manager = ProcessManager.Start();
        ManagedProxy<Account> account = manager.Account();
        await using var server = JobServer.Start(new JobServerOptions { Workers = 2 });

        // Each Deposit is a read-modify-write; the manager runs one call at a time, so none is lost.
        Job<decimal>[] jobs = [.. Enumerable.Range(0, 4).Select(_ => server.Submit(ManagedTypeJobs.Jobs.DepositMany(account, 50)))];
        await Task.WhenAll(jobs.Select(j => j.Completion)).WaitAsync(TimeSpan.FromSeconds(120));

        Assert.Equal(200m, account.Balance());
        Assert.Equal(200, account.History().Length);
        Assert.Equal(manager.Pid, await server.Submit(ManagedTypeJobs.Jobs.WhereIs(account)).Completion.WaitAsync(TimeSpan.FromSeconds(120)));
    }

    [Fact]
    public void A_child_process_gets_the_proxy_by_handle()
    {
        using var manager = ProcessManager.Start();
        ManagedProxy<Account> account = manager.Account(1m, "lin");
        using (var child = ParallelProcess.Start(ManagedTypeJobs.Jobs.DepositMany(account, 3)))
        {
            Assert.True(child.Join(TimeSpan.FromSeconds(120)));
            Assert.Equal(0, child.ExitCode);
        }

        Assert.Equal(4m, account.Balance());
    }

    [Fact]
    public void A_managed_type_declared_in_a_referenced_library_is_created_and_called_in_the_manager()
    {
        using var manager = ProcessManager.Start();
        ManagedProxy<LibraryTally> tally = manager.LibraryTally();
        tally.Add(2);
        Assert.Equal(5, tally.Add(3));
        Assert.Equal("ParallelKit.Tests.JobLibrary", tally.Assembly());
    }

    [Fact]
    public void What_a_method_throws_in_the_manager_comes_back_with_its_type_and_message_and_the_object_stays()
    {
        using var manager = ProcessManager.Start();
        ManagedProxy<Account> account = manager.Account(10m, "ada");

        ManagedCallException error = Assert.Throws<ManagedCallException>(() => account.Withdraw(11m));
        Assert.Equal("System.InvalidOperationException", error.RemoteType);
        Assert.Equal("insufficient funds: 10 < 11", error.RemoteMessage);
        Assert.Equal("Account.Withdraw", error.Member);
        Assert.Contains("Withdraw", error.RemoteStackTrace, StringComparison.Ordinal);

        Assert.Equal(10m, account.Balance());
        Assert.True(manager.IsAlive);
    }

    [Fact]
    public void A_throwing_constructor_creates_nothing_and_says_why()
    {
        using var manager = ProcessManager.Start();
        ManagedCallException error = Assert.Throws<ManagedCallException>(() => manager.Account(-1m, "x"));
        Assert.Equal("System.ArgumentOutOfRangeException", error.RemoteType);
        Assert.Contains("cannot open below zero", error.RemoteMessage, StringComparison.Ordinal);
        Assert.Equal(0m, manager.Account().Balance());
    }

    [Fact]
    public void A_disposed_proxy_refuses_calls_and_a_stopped_manager_fails_them_clearly()
    {
        var manager = ProcessManager.Start();
        ManagedProxy<Account> account = manager.Account();
        ManagedProxy<Account> other = manager.Account();
        account.Dispose();
        Assert.Throws<ObjectDisposedException>(() => account.Balance());

        manager.Dispose();
        Assert.ThrowsAny<InvalidOperationException>(() => other.Balance()); // ObjectDisposedException here, in the process that stopped it
    }
}
