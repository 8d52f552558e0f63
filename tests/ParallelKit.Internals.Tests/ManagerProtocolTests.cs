using System;
using System.Text;
using ParallelKit.Manager;
using Xunit;

namespace ParallelKit.Internals.Tests;

/// <summary>The manager process's requests and responses, written and read back through its one codec.</summary>
public sealed class ManagerProtocolTests
{
    [Fact]
    public void A_request_reads_back_its_header_and_values()
    {
        byte[] request = ManagerProtocol.Request(ManagerOperation.DictionarySet, client: 7, call: -3, target: 0x0102_0304, [1, 2, 3], [], [9]);

        (ManagerOperation operation, int client, int call, int target) = ManagerProtocol.ReadRequest(request);
        Assert.Equal(ManagerOperation.DictionarySet, operation);
        Assert.Equal(7, client);
        Assert.Equal(-3, call);
        Assert.Equal(0x0102_0304, target);
        var values = ManagerProtocol.Values(request, ManagerProtocol.RequestHeader);
        Assert.Equal(3, values.Count);
        Assert.Equal([1, 2, 3], values[0]);
        Assert.Empty(values[1]);
        Assert.Equal([9], values[2]);
        Assert.Equal(ManagerProtocol.RequestHeader + (3 * 4) + 4, request.Length);
    }

    [Fact]
    public void Responses_say_their_call_and_status_ok_refused_or_thrown()
    {
        byte[] ok = ManagerProtocol.Response(42, ManagerProtocol.Int(5), ManagerProtocol.Bool(true));
        Assert.Equal(ManagerProtocol.OkStatus, ok[ManagerProtocol.StatusAt]);
        Assert.Equal(42, ManagerProtocol.ResponseCall(ok));
        var values = ManagerProtocol.Values(ok, ManagerProtocol.ResponseHeader);
        Assert.Equal(5, ManagerProtocol.Int(values[0]));
        Assert.True(ManagerProtocol.ToBool(values[1]));

        byte[] refused = ManagerProtocol.Error(43, "no such object");
        Assert.Equal(ManagerProtocol.RefusedStatus, refused[ManagerProtocol.StatusAt]);
        Assert.Equal(43, ManagerProtocol.ResponseCall(refused));
        Assert.Equal("no such object", Encoding.UTF8.GetString(refused.AsSpan(ManagerProtocol.ResponseHeader)));

        byte[] thrown = ManagerProtocol.Thrown(44, new InvalidOperationException("boom"));
        Assert.Equal(ManagerProtocol.ThrownStatus, thrown[ManagerProtocol.StatusAt]);
        Assert.Equal(44, ManagerProtocol.ResponseCall(thrown));
        var parts = ManagerProtocol.Values(thrown, ManagerProtocol.ResponseHeader);
        Assert.Equal(typeof(InvalidOperationException).FullName, Encoding.UTF8.GetString(parts[0]));
        Assert.Equal("boom", Encoding.UTF8.GetString(parts[1]));
    }
}
