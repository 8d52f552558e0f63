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
    public void A_dictionary_keeps_insertion_order_after_a_delete_as_Python_does()
    {
        using var manager = ProcessManager.Start();
        SharedDictionary<string, int> d = manager.Dictionary<string, int>();
        d["a"] = 1;
        d["b"] = 2;
        d["c"] = 3;
        d.Remove("a");
        d["z"] = 4;
        d["b"] = 20; // a key set again keeps its place
        Assert.Equal(["b", "c", "z"], d.Keys.ToArray());
        Assert.Equal([20, 3, 4], d.Values.ToArray());
        Assert.Equal("{b: 20, c: 3, z: 4}", d.ToString());
    }

    [Fact]
    public void Dictionary_compound_operations_run_as_one_call()
    {
        using var manager = ProcessManager.Start();
        SharedDictionary<string, int> d = manager.Dictionary<string, int>();
        d.Update([new("a", 1), new("b", 2), new("c", 3)]);
        Assert.Equal(2, d.Pop("b"));
        Assert.Throws<KeyNotFoundException>(() => d.Pop("b"));
        Assert.False(d.TryPop("b", out _));
        Assert.True(d.TryPop("a", out int a));
        Assert.Equal(1, a);
        Assert.Equal(3, d.GetOrAdd("c", 30));
        Assert.Equal(40, d.GetOrAdd("d", 40));
        Assert.Equal(new KeyValuePair<string, int>("d", 40), d.PopItem()); // the pair added last
        Assert.Equal(new KeyValuePair<string, int>("c", 3), d.PopItem());
        Assert.False(d.TryPopItem(out _));
        Assert.Throws<InvalidOperationException>(() => d.PopItem());
    }

    [Fact]
    public async Task GetOrAdd_gives_every_racing_worker_the_same_value()
    {
        using var manager = ProcessManager.Start();
        SharedDictionary<string, int> d = manager.Dictionary<string, int>();
        await using var server = JobServer.Start(new JobServerOptions { Workers = 2 });
        int[] seen = await Task.WhenAll(Enumerable.Range(1, 8).Select(i => server.Submit(ManagerJobs.Jobs.ClaimWinner(d, i)).Completion));
        Assert.Single(seen.Distinct());
        Assert.Equal(seen[0], d["winner"]);
        Assert.Single(d);
    }

    [Fact]
    public async Task List_compound_operations_run_as_one_call()
    {
        using var manager = ProcessManager.Start();
        SharedList<int> l = manager.List([256, -1, 3, 1, 3]);
        l.Sort(); // compared as ints, not as marshaled bytes (-1 would sort last, 256 first)
        Assert.Equal([-1, 1, 3, 3, 256], l.ToArray());
        l.Sort(Comparer<int>.Create((x, y) => y.CompareTo(x)));
        Assert.Equal([256, 3, 3, 1, -1], l.ToArray());
        Assert.Equal(-1, l.Pop());
        Assert.Equal(256, l.Pop(0));
        Assert.Equal(3, l.Pop(-2)); // Python's negative index
        Assert.Equal([3, 1], l.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => l.Pop(5));

        // Blocks appended by racing workers arrive whole: no other append lands inside one.
        l.Clear();
        await using var server = JobServer.Start(new JobServerOptions { Workers = 2 });
        await Task.WhenAll(Enumerable.Range(0, 6).Select(b => server.Submit(ManagerJobs.Jobs.AppendBlock(l, b * 100, 50)).Completion));
        int[] items = l.ToArray();
        Assert.Equal(300, items.Length);
        for (int i = 0; i < items.Length; i += 50)
        {
            Assert.Equal(Enumerable.Range(items[i], 50), items.Skip(i).Take(50));
        }
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
