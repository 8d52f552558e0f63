using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace ParallelKit.Tests;

/// <summary>ProcessManager: dictionaries and lists held by a server process, used through proxies.</summary>
public sealed class ManagerTests
{
    [Fact]
    public void The_seed_Manager_example_fills_the_dictionary_and_reverses_the_list_from_a_child()
    {
        using var manager = ProcessManager.Start();
        SharedDictionary<string, int> d = manager.Dictionary<string, int>();
        SharedList<int> l = manager.List(Enumerable.Range(0, 10));
        using (var p = ParallelProcess.Start(ManagerJobs.Jobs.Fill(d, l)))
        {
            p.Join();
            Assert.Equal(0, p.ExitCode);
        }

        Assert.Equal(new Dictionary<string, int> { ["1"] = 1, ["2"] = 2, ["0.25"] = 25 }, d.ToDictionary(p => p.Key, p => p.Value));
        Assert.Equal([9, 8, 7, 6, 5, 4, 3, 2, 1, 0], l.ToArray());
        Assert.Equal("[9, 8, 7, 6, 5, 4, 3, 2, 1, 0]", l.ToString());
    }

    [Fact]
    public async Task Workers_and_the_parent_see_one_dictionary()
    {
        using var manager = ProcessManager.Start();
        SharedDictionary<string, int> d = manager.Dictionary<string, int>();
        await using var server = JobServer.Start(new JobServerOptions { Workers = 2 });
        await Task.WhenAll(server.Submit(ManagerJobs.Jobs.AddKeys(d, "a", 200)).Completion, server.Submit(ManagerJobs.Jobs.AddKeys(d, "b", 200)).Completion);
        Assert.Equal(400, d.Count);
        Assert.Equal(199, d["a199"]);
        Assert.True(d.ContainsKey("b0"));
        Assert.True(d.Remove("b0"));
        Assert.False(d.Remove("b0"));
        Assert.False(d.TryGetValue("b0", out _));
        Assert.Throws<KeyNotFoundException>(() => d["missing"]);
        d.Add("c", 3);
        Assert.Throws<ArgumentException>(() => d.Add("c", 4));
        Assert.False(((ICollection<KeyValuePair<string, int>>)d).Remove(new("c", 4))); // another value: kept
        Assert.True(d.ContainsKey("c"));
        Assert.True(((ICollection<KeyValuePair<string, int>>)d).Remove(new("c", 3)));
        Assert.False(d.ContainsKey("c"));
        d.Clear();
        Assert.Empty(d);
    }

    [Fact]
    public void Lists_support_the_usual_operations()
    {
        using var manager = ProcessManager.Start();
        SharedList<string> l = manager.List<string>();
        l.Add("b");
        l.Insert(0, "a");
        l.Add("c");
        Assert.Equal(3, l.Count);
        Assert.Equal("a", l[0]);
        l[1] = "B";
        Assert.Equal(1, l.IndexOf("B"));
        Assert.True(l.Remove("B"));
        Assert.False(l.Remove("B"));
        Assert.Equal(["a", "c"], l.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => l[5]);
        l.Reverse();
        Assert.Equal(["c", "a"], l.ToArray());

        // Disposing a proxy lets go of it; the list itself stays in the manager.
        SharedList<string> other = manager.List<string>(["x"]);
        using (SharedList<string> proxy = other)
        {
            Assert.Single(proxy);
        }

        Assert.Throws<ObjectDisposedException>(() => other.Count);
        Assert.Equal(2, l.Count);
    }

    [Fact]
    public void A_call_to_a_manager_that_has_died_fails_clearly()
    {
        var manager = ProcessManager.Start();
        SharedDictionary<string, int> d = manager.Dictionary<string, int>();
        d["x"] = 1;
        System.Diagnostics.Process.GetProcessById(manager.Pid).Kill();
        var error = Assert.Throws<InvalidOperationException>(() => d["x"] = 2);
        Assert.Contains("has exited", error.Message, StringComparison.Ordinal);
        manager.Dispose();
    }
}
