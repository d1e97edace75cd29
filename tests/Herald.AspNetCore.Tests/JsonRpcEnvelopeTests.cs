using System.Text.Json.Nodes;
using Herald.Protocol;

namespace Herald.AspNetCore.Tests;

/// <summary>What only the JSON-RPC binding has: the request id in every envelope, params that may leave out a path parameter.</summary>
public sealed class JsonRpcEnvelopeTests
{
    [Theory]
    [InlineData("7")]
    [InlineData("-3")]
    [InlineData("\"req-1\"")]
    [InlineData("\"\"")]
    public async Task SendStreamingMessage_RequestId_IsEchoedInEveryEnvelope(string idJson)
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent);
        var id = JsonNode.Parse(idJson)!;

        await using var stream = await server.StreamAsync("SendStreamingMessage", HeraldTestServer.SendParams(), id);
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();
        await run.CompleteAsync();
        var events = await stream.ReadToEndAsync();

        Assert.Equal(3, events.Count);
        Assert.All(events, e =>
        {
            Assert.Equal("2.0", e.Json.GetProperty("jsonrpc").GetString());
            Assert.Equal(idJson, e.Json.GetProperty("id").GetRawText());
            Assert.False(e.Json.TryGetProperty("error", out _));
            Assert.Equal(["jsonrpc", "id", "result"], e.Json.EnumerateObject().Select(p => p.Name));
        });
    }

    [Fact]
    public async Task GetTask_MissingId_InvalidParamsNamingIt()
    {
        await using var server = await HeraldTestServer.StartAsync(new ControlledAgent());

        var missing = await server.ErrorAsync("GetTask", new JsonObject(), A2AErrorCodes.InvalidParams);

        Assert.Equal("id", SubscribeToTaskTests.FieldViolation(missing));
    }
}
