using System;
using System.Collections.Generic;
using ParallelKit.Manager;

namespace ParallelKit;

/// <summary>
/// A server process that holds shared dictionaries, lists and <see cref="ManagedTypeAttribute">[ManagedType]</see>
/// objects — Python's <c>multiprocessing.Manager()</c> and <c>BaseManager.register</c>.
/// The data lives in the manager process; <see cref="SharedDictionary{TKey, TValue}"/> and
/// <see cref="SharedList{T}"/> are proxies, usable from any process they are passed to (by handle), each
/// operation a round trip to the manager through shared memory. Keys and values are marshaled with
/// MemoryPack; the manager compares keys by those bytes. The manager dies with the process that started
/// it; a proxy call on a manager that has exited fails with <see cref="InvalidOperationException"/>.
/// </summary>
/// <example>
/// <code>
/// using var manager = ProcessManager.Start();
/// var d = manager.Dictionary&lt;string, double&gt;();
/// var l = manager.List(Enumerable.Range(0, 10));
/// using (var p = ParallelProcess.Start(Jobs.F(d, l))) p.Join();   // F: d["1"] = 1; ...; l.Reverse();
/// </code>
/// </example>
public sealed class ProcessManager : IDisposable
{
    private readonly ProcessQueue<byte[]> _requests;
    private readonly ParallelProcess _process;
    private readonly ManagerClient _client;
    private int _disposed;

    private ProcessManager(ProcessQueue<byte[]> requests, ParallelProcess process)
    {
        _requests = requests;
        _process = process;
        _client = ManagerClient.ForNew(requests, process.Pid);
    }

    /// <summary>The manager process's id.</summary>
    public int Pid => _process.Pid;

    /// <summary>Whether the manager process is running.</summary>
    public bool IsAlive => _process.IsAlive;

    /// <summary>Starts a manager process (this executable, relaunched, like any <see cref="ParallelProcess"/>).</summary>
    /// <returns>The running manager.</returns>
    /// <exception cref="InvalidOperationException">This executable has no ParallelKit worker entrypoint (the message says what to add).</exception>
    public static ProcessManager Start()
    {
        var requests = new ProcessQueue<byte[]>(0, 256 * 1024);
        try
        {
            return new ProcessManager(requests, ParallelProcess.Start(new ManagerJob(requests.HandleName)));
        }
        catch
        {
            requests.Dispose();
            throw;
        }
    }

    /// <summary>Creates an empty dictionary in the manager — Python's <c>manager.dict()</c>.</summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <typeparam name="TValue">The value type.</typeparam>
    /// <returns>A proxy to it.</returns>
    public SharedDictionary<TKey, TValue> Dictionary<TKey, TValue>()
        where TKey : notnull
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        int id = ManagerProtocol.Int(_client.Call(ManagerOperation.NewDictionary, 0)[0]);
        return new SharedDictionary<TKey, TValue>(_client, id);
    }

    /// <summary>Creates a list in the manager — Python's <c>manager.list(range(10))</c>.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="initial">The initial items, if any.</param>
    /// <returns>A proxy to it.</returns>
    public SharedList<T> List<T>(IEnumerable<T>? initial = null)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var items = new List<byte[]>();
        foreach (T item in initial ?? [])
        {
            items.Add(ManagerClient.Pack(item));
        }

        int id = ManagerProtocol.Int(_client.Call(ManagerOperation.NewList, 0, [.. items])[0]);
        return new SharedList<T>(_client, id);
    }

    /// <summary>Creates a <see cref="ManagedTypeAttribute">[ManagedType]</see> object in the manager (the generated <c>manager.T(…)</c> calls this).</summary>
    internal TProxy CreateManaged<TProxy>(string typeName, string assemblyName, int constructor, byte[][] arguments, Func<ManagerClient, int, TProxy> wrap)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var values = new byte[arguments.Length + 3][];
        values[0] = System.Text.Encoding.UTF8.GetBytes(typeName);
        values[1] = System.Text.Encoding.UTF8.GetBytes(assemblyName);
        values[2] = ManagerProtocol.Int(constructor);
        arguments.CopyTo(values, 3);
        int id = ManagerProtocol.Int(_client.CallManaged(0, typeName + " constructor", values, ManagerOperation.NewManaged)[0]);
        return wrap(_client, id);
    }

    /// <summary>Stops the manager process; its dictionaries and lists are gone for every process.</summary>
    public void Dispose()
    {
        if (System.Threading.Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _client.Shutdown();
        if (!_process.Join(TimeSpan.FromSeconds(5)))
        {
            _process.Kill();
        }

        _process.Dispose();
        ManagerClient.Forget(_requests.HandleName);
        _requests.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => $"ProcessManager {Pid}{(IsAlive ? string.Empty : " (exited)")}";
}
