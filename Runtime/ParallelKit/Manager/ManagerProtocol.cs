using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;

namespace ParallelKit.Manager;

/// <summary>What a proxy asks the manager process to do.</summary>
internal enum ManagerOperation : byte
{
    RegisterClient = 1,
    NewDictionary,
    NewList,
    Count,
    Clear,
    Items,
    DictionaryGet,
    DictionarySet,
    DictionaryAdd,
    DictionaryRemove,
    DictionaryContainsKey,
    ListGet,
    ListSet,
    ListAdd,
    ListInsert,
    ListRemoveAt,
    ListIndexOf,
    ListReverse,
    ListRemove,
    DictionaryRemoveIfEquals,
    Shutdown,
    DictionaryPop,
    DictionaryGetOrAdd,
    DictionaryPopItem,
    DictionaryUpdate,
    ListPop,
    ListAddRange,
    ListReplaceIfUnchanged,
    NewManaged,
    ManagedCall,
}

/// <summary>
/// The manager's wire format. Requests: operation(1) client(4) call(4) object(4) then the operation's
/// values; responses: ok(1) call(4) then the result, or an error message. Keys and values cross as the
/// MemoryPack bytes the proxies made: the manager stores bytes and never needs the user's types.
/// </summary>
internal static class ManagerProtocol
{
    public const int RequestHeader = 13;
    public const int ResponseHeader = 5;

    public static byte[] Request(ManagerOperation operation, int client, int call, int target, params ReadOnlySpan<byte[]> values)
    {
        int length = RequestHeader;
        foreach (byte[] value in values)
        {
            length += 4 + value.Length;
        }

        byte[] request = new byte[length];
        request[0] = (byte)operation;
        BinaryPrimitives.WriteInt32LittleEndian(request.AsSpan(1), client);
        BinaryPrimitives.WriteInt32LittleEndian(request.AsSpan(5), call);
        BinaryPrimitives.WriteInt32LittleEndian(request.AsSpan(9), target);
        int at = RequestHeader;
        foreach (byte[] value in values)
        {
            BinaryPrimitives.WriteInt32LittleEndian(request.AsSpan(at), value.Length);
            value.CopyTo(request.AsSpan(at + 4));
            at += 4 + value.Length;
        }

        return request;
    }

    /// <summary>The values after a message's header, each length-prefixed.</summary>
    public static List<byte[]> Values(ReadOnlySpan<byte> message, int header)
    {
        var values = new List<byte[]>();
        int at = header;
        while (at < message.Length)
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(message[at..]);
            values.Add(message.Slice(at + 4, length).ToArray());
            at += 4 + length;
        }

        return values;
    }

    public static byte[] Response(int call, params ReadOnlySpan<byte[]> values)
    {
        int length = ResponseHeader;
        foreach (byte[] value in values)
        {
            length += 4 + value.Length;
        }

        byte[] response = new byte[length];
        response[0] = 1;
        BinaryPrimitives.WriteInt32LittleEndian(response.AsSpan(1), call);
        int at = ResponseHeader;
        foreach (byte[] value in values)
        {
            BinaryPrimitives.WriteInt32LittleEndian(response.AsSpan(at), value.Length);
            value.CopyTo(response.AsSpan(at + 4));
            at += 4 + value.Length;
        }

        return response;
    }

    public static byte[] Error(int call, string message)
    {
        byte[] text = Encoding.UTF8.GetBytes(message);
        byte[] response = new byte[ResponseHeader + text.Length];
        BinaryPrimitives.WriteInt32LittleEndian(response.AsSpan(1), call);
        text.CopyTo(response.AsSpan(ResponseHeader));
        return response;
    }

    /// <summary>
    /// The response to a call whose user code (a managed object's method or constructor) threw: status 2, then the
    /// exception's type, message and stack trace as UTF-8 values.
    /// </summary>
    public static byte[] Thrown(int call, Exception exception)
    {
        byte[] response = Response(call, Encoding.UTF8.GetBytes(exception.GetType().FullName ?? exception.GetType().Name),
            Encoding.UTF8.GetBytes(exception.Message), Encoding.UTF8.GetBytes(exception.StackTrace ?? string.Empty));
        response[0] = ThrownStatus;
        return response;
    }

    /// <summary>The status byte of <see cref="Thrown"/> responses (1 is success, 0 a refused call).</summary>
    public const byte ThrownStatus = 2;

    public static byte[] Int(int value)
    {
        byte[] bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return bytes;
    }

    public static int Int(byte[] bytes) => BinaryPrimitives.ReadInt32LittleEndian(bytes);

    public static byte[] Bool(bool value) => [value ? (byte)1 : (byte)0];

    public static bool ToBool(byte[] bytes) => bytes.Length > 0 && bytes[0] != 0;
}
