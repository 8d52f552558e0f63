using System;
using System.Diagnostics;
using ParallelKit.Workers;
using Xunit;

namespace ParallelKit.Internals.Tests;

/// <summary>The environment a worker process is launched with: its runtime settings, and what it passes on.</summary>
[Collection(nameof(ProcessEnvironment))]
public sealed class WorkerLauncherTests
{
    private const string Pgo = "DOTNET_TieredPGO";
    private const string Delay = "DOTNET_TC_CallCountingDelayMs";

    [Fact]
    public void A_server_worker_starts_without_the_instrumented_tier_and_the_call_counting_delay()
    {
        using var scope = new EnvironmentScope(Pgo, Delay, WorkerEnvironment.JitSettingsSet);
        ProcessStartInfo start = WorkerLauncher.CreateStartInfo("endpoint", "token", 1, WorkerEnvironment.ServerMode);

        Assert.Equal("0", start.Environment[Pgo]);
        Assert.Equal("0", start.Environment[Delay]);
        Assert.Equal($"{Pgo};{Delay}", start.Environment[WorkerEnvironment.JitSettingsSet]);
    }

    [Fact]
    public void A_setting_the_user_made_is_kept_and_not_marked_as_ours()
    {
        using var scope = new EnvironmentScope(Pgo, Delay, WorkerEnvironment.JitSettingsSet);
        Environment.SetEnvironmentVariable(Pgo, "1");
        ProcessStartInfo start = WorkerLauncher.CreateStartInfo("endpoint", "token", 1, WorkerEnvironment.ServerMode);

        Assert.Equal("1", start.Environment[Pgo]);
        Assert.Equal("0", start.Environment[Delay]);
        Assert.Equal(Delay, start.Environment[WorkerEnvironment.JitSettingsSet]);
    }

    [Fact]
    public void A_single_job_process_starts_with_the_runtime_defaults()
    {
        using var scope = new EnvironmentScope(Pgo, Delay, WorkerEnvironment.JitSettingsSet);
        ProcessStartInfo start = WorkerLauncher.CreateStartInfo("endpoint", "token", 0, WorkerEnvironment.ProcessMode);

        Assert.False(start.Environment.ContainsKey(Pgo));
        Assert.False(start.Environment.ContainsKey(Delay));
        Assert.False(start.Environment.ContainsKey(WorkerEnvironment.JitSettingsSet));
    }

    [Fact]
    public void A_worker_removes_the_settings_it_was_given_so_processes_its_jobs_start_do_not_inherit_them()
    {
        using var scope = new EnvironmentScope(Pgo, Delay, WorkerEnvironment.JitSettingsSet);

        // As a worker whose parent set the delay and whose user set PGO sees its environment.
        Environment.SetEnvironmentVariable(Pgo, "1");
        Environment.SetEnvironmentVariable(Delay, "0");
        Environment.SetEnvironmentVariable(WorkerEnvironment.JitSettingsSet, Delay);

        WorkerEnvironment.Clear();

        Assert.Equal("1", Environment.GetEnvironmentVariable(Pgo));
        Assert.Null(Environment.GetEnvironmentVariable(Delay));
        Assert.Null(Environment.GetEnvironmentVariable(WorkerEnvironment.JitSettingsSet));
    }

    /// <summary>Clears the named variables for a test and puts their values back after it.</summary>
    private sealed class EnvironmentScope : IDisposable
    {
        private readonly (string Name, string? Value)[] _saved;

        public EnvironmentScope(params string[] names)
        {
            _saved = new (string, string?)[names.Length];
            for (int i = 0; i < names.Length; i++)
            {
                _saved[i] = (names[i], Environment.GetEnvironmentVariable(names[i]));
                Environment.SetEnvironmentVariable(names[i], null);
            }
        }

        public void Dispose()
        {
            foreach ((string name, string? value) in _saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }
}

/// <summary>Tests that change this process's environment variables run one at a time.</summary>
[CollectionDefinition(nameof(ProcessEnvironment), DisableParallelization = true)]
public sealed class ProcessEnvironment;
