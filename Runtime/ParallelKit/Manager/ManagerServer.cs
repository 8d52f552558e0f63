using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace ParallelKit.Manager;

/// <summary>
/// The manager process's loop: it holds the dictionaries and lists (as the MemoryPack bytes of their keys
/// and values) and answers one request at a time from the shared request queue; each client process has
/// its own response queue. It runs as a <see cref="ParallelProcess"/>, so it dies with its owner.
/// </summary>
internal sealed class ManagerServer
{
    private readonly ProcessQueue<byte[]> _requests;
    private readonly Dictionary<int, ProcessQueue<byte[]>> _clients = [];
    private readonly Dictionary<int, object> _objects = [];
    private int _nextClient;
    private int _nextObject;

    private ManagerServer(ProcessQueue<byte[]> requests) => _requests = requests;

    public static void Serve(ProcessQueue<byte[]> requests)
    {
        var server = new ManagerServer(requests);
        while (true)
        {
            byte[] request = requests.Get();
            try
            {
                if (!server.Handle(request))
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or IOException or ObjectDisposedException)
            {
                // One request that cannot be served (a client that died while registering, a malformed
                // request) must not take every other client's data with it.
                Console.Error.WriteLine($"ParallelKit manager: a request failed and was dropped: {ex.Message}");
            }
        }
    }

    private bool Handle(byte[] request)
    {
        (ManagerOperation operation, int client, int call, int target) = ManagerProtocol.ReadRequest(request);
        List<byte[]> values = ManagerProtocol.Values(request, ManagerProtocol.RequestHeader);
        if (operation == ManagerOperation.Shutdown)
        {
            return false;
        }

        if (operation == ManagerOperation.RegisterClient)
        {
            int id = ++_nextClient;
            ProcessQueue<byte[]> responses = ProcessQueue<byte[]>.Open(Encoding.UTF8.GetString(values[0]));
            _clients[id] = responses;
            responses.Put(ManagerProtocol.Response(call, ManagerProtocol.Int(id)));
            return true;
        }

        if (!_clients.TryGetValue(client, out ProcessQueue<byte[]>? reply))
        {
            return true; // not registered: nobody to answer
        }

        byte[] response;
        try
        {
            response = operation is ManagerOperation.NewManaged or ManagerOperation.ManagedCall
                ? ExecuteManaged(operation, call, target, values)
                : ManagerProtocol.Response(call, Execute(operation, target, values));
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or KeyNotFoundException or IndexOutOfRangeException)
        {
            response = ManagerProtocol.Error(call, $"{ex.GetType().FullName}: {ex.Message}");
        }

        try
        {
            reply.Put(response);
        }
        catch (InvalidOperationException)
        {
            _clients.Remove(client); // the client's queue is gone with its process
        }

        return true;
    }

    private byte[][] Execute(ManagerOperation operation, int target, List<byte[]> values)
    {
        switch (operation)
        {
            case ManagerOperation.NewDictionary:
                // Ordered, as Python's dict: a removed key's slot is not reused by the next one added.
                _objects[++_nextObject] = new OrderedDictionary<BytesKey, byte[]>();
                return [ManagerProtocol.Int(_nextObject)];
            case ManagerOperation.NewList:
                _objects[++_nextObject] = new List<byte[]>(values);
                return [ManagerProtocol.Int(_nextObject)];
        }

        object shared = _objects.TryGetValue(target, out object? found) ? found : throw new InvalidOperationException($"The manager holds no object {target}.");
        if (shared is OrderedDictionary<BytesKey, byte[]> dictionary)
        {
            switch (operation)
            {
                case ManagerOperation.Count:
                    return [ManagerProtocol.Int(dictionary.Count)];
                case ManagerOperation.Clear:
                    dictionary.Clear();
                    return [];
                case ManagerOperation.Items:
                    var items = new byte[dictionary.Count * 2][];
                    int i = 0;
                    foreach ((BytesKey key, byte[] value) in dictionary)
                    {
                        items[i++] = key.Bytes;
                        items[i++] = value;
                    }

                    return items;
                case ManagerOperation.DictionaryGet:
                    return dictionary.TryGetValue(new BytesKey(values[0]), out byte[]? got) ? [got] : [];
                case ManagerOperation.DictionarySet:
                    dictionary[new BytesKey(values[0])] = values[1];
                    return [];
                case ManagerOperation.DictionaryAdd:
                    return [ManagerProtocol.Bool(dictionary.TryAdd(new BytesKey(values[0]), values[1]))];
                case ManagerOperation.DictionaryRemove:
                    return [ManagerProtocol.Bool(dictionary.Remove(new BytesKey(values[0])))];
                case ManagerOperation.DictionaryRemoveIfEquals:
                    var pairKey = new BytesKey(values[0]);
                    bool matches = dictionary.TryGetValue(pairKey, out byte[]? current) && current.AsSpan().SequenceEqual(values[1]);
                    return [ManagerProtocol.Bool(matches && dictionary.Remove(pairKey))];
                case ManagerOperation.DictionaryContainsKey:
                    return [ManagerProtocol.Bool(dictionary.ContainsKey(new BytesKey(values[0])))];
                case ManagerOperation.DictionaryPop:
                    return dictionary.Remove(new BytesKey(values[0]), out byte[]? popped) ? [popped] : [];
                case ManagerOperation.DictionaryGetOrAdd:
                    var addKey = new BytesKey(values[0]);
                    if (dictionary.TryGetValue(addKey, out byte[]? existing))
                    {
                        return [existing];
                    }

                    dictionary.Add(addKey, values[1]);
                    return [values[1]];
                case ManagerOperation.DictionaryPopItem:
                    if (dictionary.Count == 0)
                    {
                        return [];
                    }

                    // Python's popitem: the pair added last.
                    KeyValuePair<BytesKey, byte[]> last = dictionary.GetAt(dictionary.Count - 1);
                    dictionary.RemoveAt(dictionary.Count - 1);
                    return [last.Key.Bytes, last.Value];
                case ManagerOperation.DictionaryUpdate:
                    for (int pair = 0; pair + 1 < values.Count; pair += 2)
                    {
                        dictionary[new BytesKey(values[pair])] = values[pair + 1];
                    }

                    return [];
            }
        }
        else if (shared is List<byte[]> list)
        {
            switch (operation)
            {
                case ManagerOperation.Count:
                    return [ManagerProtocol.Int(list.Count)];
                case ManagerOperation.Clear:
                    list.Clear();
                    return [];
                case ManagerOperation.Items:
                    return [.. list];
                case ManagerOperation.ListGet:
                    return [list[CheckIndex(list, ManagerProtocol.Int(values[0]))]];
                case ManagerOperation.ListSet:
                    list[CheckIndex(list, ManagerProtocol.Int(values[0]))] = values[1];
                    return [];
                case ManagerOperation.ListAdd:
                    list.Add(values[0]);
                    return [];
                case ManagerOperation.ListInsert:
                    int at = ManagerProtocol.Int(values[0]);
                    if (at < 0 || at > list.Count)
                    {
                        throw new ArgumentOutOfRangeException(nameof(values), at, $"The index must be between 0 and the list's count ({list.Count}).");
                    }

                    list.Insert(at, values[1]);
                    return [];
                case ManagerOperation.ListRemoveAt:
                    list.RemoveAt(CheckIndex(list, ManagerProtocol.Int(values[0])));
                    return [];
                case ManagerOperation.ListIndexOf:
                    return [ManagerProtocol.Int(list.FindIndex(item => item.AsSpan().SequenceEqual(values[0])))];
                case ManagerOperation.ListRemove:
                    int position = list.FindIndex(item => item.AsSpan().SequenceEqual(values[0]));
                    if (position >= 0)
                    {
                        list.RemoveAt(position);
                    }

                    return [ManagerProtocol.Bool(position >= 0)];
                case ManagerOperation.ListReverse:
                    list.Reverse();
                    return [];
                case ManagerOperation.ListPop:
                    int index = ManagerProtocol.Int(values[0]);
                    if (index < 0)
                    {
                        index += list.Count; // Python's l.pop(-1)
                    }

                    byte[] item = list[CheckIndex(list, index)];
                    list.RemoveAt(index);
                    return [item];
                case ManagerOperation.ListAddRange:
                    list.AddRange(values);
                    return [];
                case ManagerOperation.ListReplaceIfUnchanged:
                    // The number of items the client read, those items, then what it wants instead: replaced only
                    // if no other process changed the list in between (the client computed the new items from the
                    // old, as Sort does, and retries when this says no).
                    int read = ManagerProtocol.Int(values[0]);
                    if (list.Count != read)
                    {
                        return [ManagerProtocol.Bool(false)];
                    }

                    for (int k = 0; k < read; k++)
                    {
                        if (!list[k].AsSpan().SequenceEqual(values[1 + k]))
                        {
                            return [ManagerProtocol.Bool(false)];
                        }
                    }

                    list.Clear();
                    list.AddRange(values.Skip(1 + read));
                    return [ManagerProtocol.Bool(true)];
            }
        }

        throw new InvalidOperationException($"The manager cannot do {operation} on object {target}.");
    }

    /// <summary>
    /// Creates or calls a <c>[ManagedType]</c> object: the user's code runs here, and whatever it throws goes back to
    /// the caller (the object stays as the method left it).
    /// </summary>
    private byte[] ExecuteManaged(ManagerOperation operation, int call, int target, List<byte[]> values)
    {
        if (operation == ManagerOperation.NewManaged)
        {
            string typeName = Encoding.UTF8.GetString(values[0]);
            string assemblyName = Encoding.UTF8.GetString(values[1]);
            if (!ManagedTypes.TryGet(typeName, assemblyName, out ManagedTypes.Entry? entry))
            {
                throw new InvalidOperationException(
                    $"The manager process knows no [ManagedType] '{typeName}' (assembly '{assemblyName}'): the assembly declaring it must be built with the ParallelKit generator and be loadable by the executable.");
            }

            object created;
            try
            {
                created = entry.Create(ManagerProtocol.Int(values[2]), [.. values.Skip(3)]);
            }
            catch (Exception ex)
            {
                return ManagerProtocol.Thrown(call, ex);
            }

            _objects[++_nextObject] = new ManagedInstance(created, entry.Invoke);
            return ManagerProtocol.Response(call, ManagerProtocol.Int(_nextObject));
        }

        if (!_objects.TryGetValue(target, out object? found) || found is not ManagedInstance instance)
        {
            throw new InvalidOperationException($"The manager holds no managed object {target}.");
        }

        try
        {
            return ManagerProtocol.Response(call, instance.Invoke(instance.Target, ManagerProtocol.Int(values[0]), [.. values.Skip(1)]));
        }
        catch (Exception ex)
        {
            return ManagerProtocol.Thrown(call, ex);
        }
    }

    /// <summary>A <c>[ManagedType]</c> object and the generated code that runs its methods.</summary>
    private sealed record ManagedInstance(object Target, ManagedInvoker Invoke);

    private static int CheckIndex(List<byte[]> list, int index)
        => index >= 0 && index < list.Count
            ? index
            : throw new ArgumentOutOfRangeException(nameof(index), index, $"The index must be at least 0 and less than the list's count ({list.Count}).");

    /// <summary>A key as its marshaled bytes: equal when the bytes are.</summary>
    private readonly struct BytesKey(byte[] bytes) : IEquatable<BytesKey>
    {
        public byte[] Bytes { get; } = bytes;

        public bool Equals(BytesKey other) => Bytes.AsSpan().SequenceEqual(other.Bytes);

        public override bool Equals(object? obj) => obj is BytesKey other && Equals(other);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            hash.AddBytes(Bytes);
            return hash.ToHashCode();
        }
    }
}

/// <summary>The built-in job a manager process runs: <see cref="ManagerServer.Serve"/> on the given request queue.</summary>
internal sealed class ManagerJob : VoidJobCall
{
    public const ulong Key = 0x504B_4D41_4E41_4752UL; // "PKMANAGR"

    private readonly string _requests;

    public ManagerJob(string requests) => _requests = requests;

    public override string JobName => "ParallelKit.ProcessManager";

    protected internal override ulong JobKey => Key;

    public static void Register() => JobRegistry.Register(Key, "ParallelKit.ProcessManager", static (ref JobReader reader) => new ManagerJob(reader.Read<string>()));

    protected internal override void WriteArguments(ref JobWriter writer) => writer.Write(_requests);

    protected internal override ValueTask InvokeAsync(CancellationToken cancellationToken)
    {
        ManagerServer.Serve(ProcessQueue<byte[]>.Open(_requests));
        return default;
    }
}
