using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using MemoryPack;
using ParallelKit.Manager;
using ParallelKit.SharedMemory;

namespace ParallelKit;

/// <summary>
/// A proxy to a dictionary held by a <see cref="ProcessManager"/> — Python's <c>manager.dict()</c>. Every
/// operation is a round trip to the manager process; enumerating takes a snapshot, in insertion order (as
/// Python's dict). Keys are compared by
/// their MemoryPack bytes (equal values of the usual key types — numbers, strings, records of them — give
/// equal bytes). Pass it to jobs and processes: it crosses by handle, and all see the same dictionary.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
public sealed class SharedDictionary<TKey, TValue> : IDictionary<TKey, TValue>, IReadOnlyDictionary<TKey, TValue>, IMarshalByHandle, IMemoryPackFormatterRegister, IDisposable
    where TKey : notnull
{
    private readonly ManagerClient _client;
    private readonly int _id;
    private int _disposed;

    internal SharedDictionary(ManagerClient client, int id)
    {
        _client = client;
        _id = id;
    }

    /// <summary>
    /// Lets go of this proxy: later calls through it throw <see cref="ObjectDisposedException"/>. The data
    /// stays in the manager (other proxies, in this or other processes, still reach it) until the manager stops.
    /// </summary>
    public void Dispose() => System.Threading.Interlocked.Exchange(ref _disposed, 1);

    /// <inheritdoc />
    public string HandleName => _client.HandleOf(_id);

    /// <inheritdoc />
    public int Count => ManagerProtocol.Int(Client.Call(ManagerOperation.Count, _id)[0]);

    /// <inheritdoc />
    public bool IsReadOnly => false;

    /// <summary>A snapshot of the keys.</summary>
    public ICollection<TKey> Keys => [.. Snapshot().ConvertAll(pair => pair.Key)];

    /// <summary>A snapshot of the values.</summary>
    public ICollection<TValue> Values => [.. Snapshot().ConvertAll(pair => pair.Value)];

    IEnumerable<TKey> IReadOnlyDictionary<TKey, TValue>.Keys => Keys;

    IEnumerable<TValue> IReadOnlyDictionary<TKey, TValue>.Values => Values;

    /// <inheritdoc />
    public TValue this[TKey key]
    {
        get => TryGetValue(key, out TValue? value) ? value : throw new KeyNotFoundException($"The key '{key}' is not in the shared dictionary.");
        set => Client.Call(ManagerOperation.DictionarySet, _id, ManagerClient.Pack(key), ManagerClient.Pack(value));
    }

    /// <inheritdoc />
    public void Add(TKey key, TValue value)
    {
        if (ManagerProtocol.ToBool(Client.Call(ManagerOperation.DictionaryAdd, _id, ManagerClient.Pack(key), ManagerClient.Pack(value))[0]) is false)
        {
            throw new ArgumentException($"The key '{key}' is already in the shared dictionary.", nameof(key));
        }
    }

    /// <inheritdoc />
    public void Add(KeyValuePair<TKey, TValue> item) => Add(item.Key, item.Value);

    /// <inheritdoc />
    public bool TryGetValue(TKey key, [MaybeNullWhen(false)] out TValue value)
    {
        List<byte[]> found = Client.Call(ManagerOperation.DictionaryGet, _id, ManagerClient.Pack(key));
        if (found.Count == 0)
        {
            value = default;
            return false;
        }

        value = ManagerClient.Unpack<TValue>(found[0]);
        return true;
    }

    /// <inheritdoc />
    public bool ContainsKey(TKey key) => ManagerProtocol.ToBool(Client.Call(ManagerOperation.DictionaryContainsKey, _id, ManagerClient.Pack(key))[0]);

    /// <inheritdoc />
    public bool Remove(TKey key) => ManagerProtocol.ToBool(Client.Call(ManagerOperation.DictionaryRemove, _id, ManagerClient.Pack(key))[0]);

    /// <inheritdoc />
    /// <remarks>One operation in the manager: the pair is removed only if the key still holds that value (compared by marshaled bytes).</remarks>
    public bool Remove(KeyValuePair<TKey, TValue> item)
        => ManagerProtocol.ToBool(Client.Call(ManagerOperation.DictionaryRemoveIfEquals, _id, ManagerClient.Pack(item.Key), ManagerClient.Pack(item.Value))[0]);

    /// <inheritdoc />
    public bool Contains(KeyValuePair<TKey, TValue> item)
        => TryGetValue(item.Key, out TValue? value) && EqualityComparer<TValue>.Default.Equals(value, item.Value);

    /// <summary>
    /// Removes the key and returns its value, in one call to the manager — Python's <c>d.pop(key)</c>.
    /// </summary>
    /// <param name="key">The key to remove.</param>
    /// <returns>The value the key held.</returns>
    /// <exception cref="KeyNotFoundException">The key is not in the dictionary.</exception>
    public TValue Pop(TKey key)
        => TryPop(key, out TValue? value) ? value : throw new KeyNotFoundException($"The key '{key}' is not in the shared dictionary.");

    /// <summary>
    /// Removes the key and gives its value, in one call to the manager — Python's <c>d.pop(key, default)</c>:
    /// no other process can read or change the key in between.
    /// </summary>
    /// <param name="key">The key to remove.</param>
    /// <param name="value">The value the key held, when it was there.</param>
    /// <returns>Whether the key was there.</returns>
    public bool TryPop(TKey key, [MaybeNullWhen(false)] out TValue value)
    {
        List<byte[]> found = Client.Call(ManagerOperation.DictionaryPop, _id, ManagerClient.Pack(key));
        if (found.Count == 0)
        {
            value = default;
            return false;
        }

        value = ManagerClient.Unpack<TValue>(found[0]);
        return true;
    }

    /// <summary>
    /// The key's value, adding <paramref name="value"/> first if the key is missing, in one call to the manager —
    /// Python's <c>d.setdefault(key, value)</c>: when processes race, exactly one value is added and all get it.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value to add when the key is missing.</param>
    /// <returns>The value the key holds now.</returns>
    public TValue GetOrAdd(TKey key, TValue value)
        => ManagerClient.Unpack<TValue>(Client.Call(ManagerOperation.DictionaryGetOrAdd, _id, ManagerClient.Pack(key), ManagerClient.Pack(value))[0]);

    /// <summary>
    /// Removes and returns the pair added last, in one call to the manager — Python's <c>d.popitem()</c>.
    /// </summary>
    /// <returns>The pair that was added last.</returns>
    /// <exception cref="InvalidOperationException">The dictionary is empty.</exception>
    public KeyValuePair<TKey, TValue> PopItem()
        => TryPopItem(out KeyValuePair<TKey, TValue> item) ? item : throw new InvalidOperationException("The shared dictionary is empty.");

    /// <summary>Removes the pair added last, in one call to the manager, if there is one.</summary>
    /// <param name="item">The pair that was added last, when the dictionary was not empty.</param>
    /// <returns>Whether there was a pair to remove.</returns>
    public bool TryPopItem(out KeyValuePair<TKey, TValue> item)
    {
        List<byte[]> found = Client.Call(ManagerOperation.DictionaryPopItem, _id);
        if (found.Count < 2)
        {
            item = default;
            return false;
        }

        item = new(ManagerClient.Unpack<TKey>(found[0]), ManagerClient.Unpack<TValue>(found[1]));
        return true;
    }

    /// <summary>
    /// Sets every pair, in order, in one call to the manager — Python's <c>d.update(pairs)</c>: other processes
    /// see all of them or none.
    /// </summary>
    /// <param name="pairs">The pairs to set; a key already there gets the new value and keeps its place.</param>
    public void Update(IEnumerable<KeyValuePair<TKey, TValue>> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var values = new List<byte[]>();
        foreach (KeyValuePair<TKey, TValue> pair in pairs)
        {
            values.Add(ManagerClient.Pack(pair.Key));
            values.Add(ManagerClient.Pack(pair.Value));
        }

        Client.Call(ManagerOperation.DictionaryUpdate, _id, [.. values]);
    }

    /// <inheritdoc />
    public void Clear() => Client.Call(ManagerOperation.Clear, _id);

    /// <inheritdoc />
    public void CopyTo(KeyValuePair<TKey, TValue>[] array, int arrayIndex) => Snapshot().CopyTo(array, arrayIndex);

    /// <summary>Enumerates a snapshot of the pairs, taken in one round trip.</summary>
    /// <returns>The enumerator.</returns>
    public IEnumerator<KeyValuePair<TKey, TValue>> GetEnumerator() => Snapshot().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public override string ToString() => "{" + string.Join(", ", Snapshot().ConvertAll(p => $"{p.Key}: {p.Value}")) + "}";

    internal static SharedDictionary<TKey, TValue> Open(string handle)
    {
        ManagerClient client = ManagerClient.FromHandle(handle, "shared dictionary", out int id);
        return new SharedDictionary<TKey, TValue>(client, id);
    }

    // Declares the formatter for HandleTypes, which registers it without reflection (trimmed and Native AOT
    // apps too). A static constructor, not a field initializer: it runs before any use of the type, and costs
    // nothing more than storing a delegate.
    static SharedDictionary() => HandleTypes.Declare<SharedDictionary<TKey, TValue>>(static () => new HandleFormatter<SharedDictionary<TKey, TValue>>(Open));

    static void IMemoryPackFormatterRegister.RegisterFormatter() => MemoryPackFormatterProvider.Register(new HandleFormatter<SharedDictionary<TKey, TValue>>(Open));

    private List<KeyValuePair<TKey, TValue>> Snapshot()
    {
        List<byte[]> items = Client.Call(ManagerOperation.Items, _id);
        var pairs = new List<KeyValuePair<TKey, TValue>>(items.Count / 2);
        for (int i = 0; i + 1 < items.Count; i += 2)
        {
            pairs.Add(new(ManagerClient.Unpack<TKey>(items[i]), ManagerClient.Unpack<TValue>(items[i + 1])));
        }

        return pairs;
    }

    private ManagerClient Client
    {
        get
        {
            ObjectDisposedException.ThrowIf(System.Threading.Volatile.Read(ref _disposed) != 0, this);
            return _client;
        }
    }
}
