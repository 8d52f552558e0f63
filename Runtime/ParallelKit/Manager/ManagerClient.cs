using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Threading;
using MemoryPack;
using ParallelKit.Sync;

namespace ParallelKit.Manager;

/// <summary>
/// This process's connection to one manager process: the manager's request queue, and a response queue of
/// its own (registered with the manager once). Calls are round trips through shared memory, one at a time
/// per process; a call to a manager that has exited fails clearly instead of waiting.
/// </summary>
internal sealed class ManagerClient : IDisposable
{
    private static readonly ConcurrentDictionary<string, ManagerClient> Clients = new(StringComparer.Ordinal);

    private readonly ProcessQueue<byte[]> _requests;
    private readonly ProcessQueue<byte[]> _responses = new(0, 64 * 1024);
    private readonly Lock _gate = new();
    private int _client;
    private int _nextCall;

    private ManagerClient(ProcessQueue<byte[]> requests, int managerPid, long managerStartTime)
    {
        _requests = requests;
        ManagerPid = managerPid;
        ManagerStartTime = managerStartTime;
    }

    public int ManagerPid { get; }

    /// <summary>
    /// The manager process's start time: with its pid, what names it (a pid alone is reused once the manager
    /// has gone, and a call would then wait on an unrelated process as if it were the manager).
    /// </summary>
    public long ManagerStartTime { get; }

    public string RequestsHandle => _requests.HandleName;

    /// <summary>The client for the manager whose request queue is <paramref name="requests"/> (opened on first use).</summary>
    public static ManagerClient For(string requests, int managerPid, long managerStartTime)
        => Clients.GetOrAdd(
            requests,
            static (name, state) => new ManagerClient(ProcessQueue<byte[]>.Open(name), state.managerPid, state.managerStartTime),
            (managerPid, managerStartTime));

    /// <summary>The client of a manager this process just started (and has not reaped: its pid is still its own).</summary>
    public static ManagerClient ForNew(ProcessQueue<byte[]> requests, int managerPid)
        => Clients.GetOrAdd(
            requests.HandleName,
            static (_, state) => new ManagerClient(state.requests, state.managerPid, SharedMemory.OwnerIdentity.StartTimeOf(state.managerPid)),
            (requests, managerPid));

    /// <summary>The handle of object <paramref name="id"/> in this manager: <c>requests|pid|start time|id</c>.</summary>
    public string HandleOf(int id) => string.Create(CultureInfo.InvariantCulture, $"{RequestsHandle}|{ManagerPid}|{ManagerStartTime}|{id}");

    /// <summary>The client and object id a handle made by <see cref="HandleOf"/> names.</summary>
    /// <exception cref="ArgumentException">It is not such a handle.</exception>
    public static ManagerClient FromHandle(string handle, string what, out int id)
    {
        string[] parts = handle.Split('|');
        if (parts.Length != 4
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
            || !long.TryParse(parts[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long started)
            || !int.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out id))
        {
            throw new ArgumentException($"'{handle}' is not the handle of a {what}.", nameof(handle));
        }

        return For(parts[0], pid, started);
    }

    /// <summary>Drops the client of a manager that was stopped.</summary>
    public static void Forget(string requests)
    {
        if (Clients.TryRemove(requests, out ManagerClient? client))
        {
            client.Dispose();
        }
    }

    /// <summary>Removes this process's response queue.</summary>
    public void Dispose() => _responses.Dispose();

    /// <summary>Sends one request and waits for its response; returns the response's values.</summary>
    public List<byte[]> Call(ManagerOperation operation, int target, params ReadOnlySpan<byte[]> values)
    {
        lock (_gate)
        {
            if (_client == 0)
            {
                _client = ManagerProtocol.Int(RoundTrip(ManagerOperation.RegisterClient, 0, [Encoding.UTF8.GetBytes(_responses.HandleName)], member: null)[0]);
            }

            return RoundTrip(operation, target, values, member: null);
        }
    }

    /// <summary>Calls a managed object's method (or, with <see cref="ManagerOperation.NewManaged"/>, creates one).</summary>
    /// <exception cref="ManagedCallException">The user's code threw in the manager.</exception>
    public List<byte[]> CallManaged(int target, string member, byte[][] values, ManagerOperation operation = ManagerOperation.ManagedCall)
    {
        lock (_gate)
        {
            if (_client == 0)
            {
                _client = ManagerProtocol.Int(RoundTrip(ManagerOperation.RegisterClient, 0, [Encoding.UTF8.GetBytes(_responses.HandleName)], member: null)[0]);
            }

            return RoundTrip(operation, target, values, member);
        }
    }

    /// <summary>Tells the manager to stop (no response comes).</summary>
    public void Shutdown()
    {
        try
        {
            _requests.Put(ManagerProtocol.Request(ManagerOperation.Shutdown, _client, 0, 0));
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            // Already gone.
        }
    }

    private List<byte[]> RoundTrip(ManagerOperation operation, int target, ReadOnlySpan<byte[]> values, string? member)
    {
        int call = ++_nextCall;
        _requests.Put(ManagerProtocol.Request(operation, _client, call, target, values));
        while (true)
        {
            // Short waits, so that a manager that died is noticed within a fraction of a second.
            if (_responses.TryGet(RobustLock.OwnerCheckMilliseconds, out byte[] response))
            {
                if (ManagerProtocol.ResponseCall(response) != call)
                {
                    continue; // an answer to a call that was given up on
                }

                if (response[ManagerProtocol.StatusAt] == ManagerProtocol.ThrownStatus)
                {
                    List<byte[]> thrown = ManagerProtocol.Values(response, ManagerProtocol.ResponseHeader);
                    string stack = Encoding.UTF8.GetString(thrown[2]);
                    throw new ManagedCallException(member ?? operation.ToString(), Encoding.UTF8.GetString(thrown[0]), Encoding.UTF8.GetString(thrown[1]), stack.Length == 0 ? null : stack);
                }

                if (response[ManagerProtocol.StatusAt] == ManagerProtocol.RefusedStatus)
                {
                    throw new InvalidOperationException("The ProcessManager refused the call: " + Encoding.UTF8.GetString(response.AsSpan(ManagerProtocol.ResponseHeader)));
                }

                return ManagerProtocol.Values(response, ManagerProtocol.ResponseHeader);
            }

            ThrowIfManagerGone();
        }
    }

    private void ThrowIfManagerGone()
    {
        if (!SharedMemory.OwnerIdentity.IsAlive(ManagerPid, ManagerStartTime))
        {
            throw new InvalidOperationException(
                $"The ProcessManager's server process ({ManagerPid}) has exited: the shared dictionaries and lists it held are gone. " +
                "A manager lives as long as the process that started it holds it.");
        }
    }

    /// <summary>The MemoryPack bytes of a key or value.</summary>
    public static byte[] Pack<T>(T value)
    {
        SharedMemory.HandleTypes.Ensure<T>();
        return MemoryPackSerializer.Serialize(value);
    }

    /// <summary>A key or value back from its bytes.</summary>
    public static T Unpack<T>(byte[] bytes)
    {
        SharedMemory.HandleTypes.Ensure<T>();
        MemoryPackReaderOptionalState state = MemoryPackReaderOptionalStatePool.Rent(null);
        try
        {
            var reader = new MemoryPackReader(bytes, state);
            return reader.ReadValue<T>()!;
        }
        finally
        {
            ((IDisposable)state).Dispose();
        }
    }
}
