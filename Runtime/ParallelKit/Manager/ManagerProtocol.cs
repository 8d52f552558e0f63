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
/// The manager's wire format. Keys and values cross as the MemoryPack bytes the proxies made: the manager stores
/// bytes and never needs the user's types.
/// <code>
///  request                                  response
///  offset  size  field                      offset  size  field
///       0     1  operation                       0     1  status (0 refused, 1 ok, 2 user code threw)
///       1     4  client                          1     4  call it answers
///       5     4  call                            5     …  values, or a refusal's UTF-8 message
///       9     4  target object
///      13     …  values
///  values: each a length(4) and that many bytes
/// </code>
/// </summary>
internal static class ManagerProtocol
{
    public const int OperationAt = 0;
    public const int ClientAt = 1;
    public const int CallAt = 5;
    public const int TargetAt = 9;
    public const int RequestHeader = 13;

    public const int StatusAt = 0;
    public const int ResponseCallAt = 1;
    public const int ResponseHeader = 5;

    /// <summary>The status of a refused call (its values are an error message).</summary>
    public const byte RefusedStatus = 0;

    /// <summary>The status of a call that was carried out.</summary>
    public const byte OkStatus = 1;

    public static byte[] Request(ManagerOperation operation, int client, int call, int target, params ReadOnlySpan<byte[]> values)
    {
        byte[] request = new byte[RequestHeader + ValuesLength(values)];
        request[OperationAt] = (byte)operation;
        BinaryPrimitives.WriteInt32LittleEndian(request.AsSpan(ClientAt), client);
        BinaryPrimitives.WriteInt32LittleEndian(request.AsSpan(CallAt), call);
        BinaryPrimitives.WriteInt32LittleEndian(request.AsSpan(TargetAt), target);
        WriteValues(request.AsSpan(RequestHeader), values);
        return request;
    }

    /// <summary>A request's header fields.</summary>
    public static (ManagerOperation Operation, int Client, int Call, int Target) ReadRequest(ReadOnlySpan<byte> request) => (
        (ManagerOperation)request[OperationAt],
        BinaryPrimitives.ReadInt32LittleEndian(request[ClientAt..]),
        BinaryPrimitives.ReadInt32LittleEndian(request[CallAt..]),
        BinaryPrimitives.ReadInt32LittleEndian(request[TargetAt..]));

    /// <summary>The call a response answers.</summary>
    public static int ResponseCall(ReadOnlySpan<byte> response) => BinaryPrimitives.ReadInt32LittleEndian(response[ResponseCallAt..]);

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
        byte[] response = new byte[ResponseHeader + ValuesLength(values)];
        response[StatusAt] = OkStatus;
        BinaryPrimitives.WriteInt32LittleEndian(response.AsSpan(ResponseCallAt), call);
        WriteValues(response.AsSpan(ResponseHeader), values);
        return response;
    }

    public static byte[] Error(int call, string message)
    {
        byte[] text = Encoding.UTF8.GetBytes(message);
        byte[] response = new byte[ResponseHeader + text.Length];
        response[StatusAt] = RefusedStatus;
        BinaryPrimitives.WriteInt32LittleEndian(response.AsSpan(ResponseCallAt), call);
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
        response[StatusAt] = ThrownStatus;
        return response;
    }

    /// <summary>The status byte of <see cref="Thrown"/> responses (1 is success, 0 a refused call).</summary>
    public const byte ThrownStatus = 2;

    private static int ValuesLength(ReadOnlySpan<byte[]> values)
    {
        int length = 0;
        foreach (byte[] value in values)
        {
            length += 4 + value.Length;
        }

        return length;
    }

    private static void WriteValues(Span<byte> into, ReadOnlySpan<byte[]> values)
    {
        int at = 0;
        foreach (byte[] value in values)
        {
            BinaryPrimitives.WriteInt32LittleEndian(into[at..], value.Length);
            value.CopyTo(into[(at + 4)..]);
            at += 4 + value.Length;
        }
    }

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
