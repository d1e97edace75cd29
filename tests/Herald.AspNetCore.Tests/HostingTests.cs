using System.Text.Json;
using Herald.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.AspNetCore.Tests;

/// <summary>The agent card, MapHerald's routes, and registration mistakes.</summary>
public sealed class HostingTests
{
    [Fact]
    public async Task AgentCard_AtWellKnownPath_AdvertisesRealAddressAndTrueCapabilities()
    {
        await using var server = await HeraldTestServer.StartAsync(
            h => h.AddAgent((c, ct) => Task.CompletedTask),
            o => o.Card = new AgentCard
            {
                Name = "Test agent",
                Description = "Answers tests.",
                Capabilities = new AgentCapabilities { Streaming = false, PushNotifications = true, ExtendedAgentCard = true },
            });

        using var response = await server.Client.GetAsync(".well-known/agent-card.json").Within();
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var card = document.RootElement;

        Assert.Equal("Test agent", card.GetProperty("name").GetString());
        var capabilities = card.GetProperty("capabilities");
        Assert.True(capabilities.GetProperty("streaming").GetBoolean());
        Assert.False(capabilities.GetProperty("pushNotifications").GetBoolean());
        Assert.False(capabilities.GetProperty("extendedAgentCard").GetBoolean());
        // JSON-RPC first (the preferred interface, v1.0 then v0.3), then HTTP+JSON at the same URL (its routes hang under it),
        // then the A2A 1.1 draft on both, after every 1.0 entry.
        var interfaces = card.GetProperty("supportedInterfaces").EnumerateArray().ToList();
        Assert.Equal(
            [("JSONRPC", "1.0"), ("JSONRPC", "0.3"), ("HTTP+JSON", "1.0"), ("JSONRPC", "1.1"), ("HTTP+JSON", "1.1")],
            interfaces.Select(i => (i.GetProperty("protocolBinding").GetString(), i.GetProperty("protocolVersion").GetString())));
        Assert.All(interfaces, i => Assert.Equal(server.BaseAddress.ToString(), i.GetProperty("url").GetString()));
        Assert.StartsWith("http://127.0.0.1:", interfaces[0].GetProperty("url").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AgentCard_UrlFromCard_IsWhereJsonRpcAnswers()
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync(cancellationToken: ct).AsTask()), pattern: "/agents/echo");
        using var card = JsonDocument.Parse(await server.Client.GetStringAsync("agents/echo/.well-known/agent-card.json").Within());
        var url = card.RootElement.GetProperty("supportedInterfaces")[0].GetProperty("url").GetString()!;

        using var request = server.NewPost(HeraldTestServer.Request("SendMessage", HeraldTestServer.SendParams()), path: url);
        using var response = await server.Client.SendAsync(request).Within();
        var body = await HeraldTestServer.ReadJsonRpcAsync(response);

        Assert.Equal(new Uri(server.BaseAddress, "agents/echo").ToString(), url);
        Assert.Equal("TASK_STATE_COMPLETED", body.GetProperty("result").GetProperty("task").GetProperty("status").GetProperty("state").GetString());
    }

    [Fact]
    public async Task MapHerald_WithPattern_ServesCardAndJsonRpcUnderIt()
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync(cancellationToken: ct).AsTask()), pattern: "/a2a");

        using var card = JsonDocument.Parse(await server.Client.GetStringAsync("a2a/.well-known/agent-card.json").Within());
        var task = await server.SendBlockingAsync();
        using var rootCard = await server.Client.GetAsync(".well-known/agent-card.json").Within();
        using var rootRpc = await server.PostAsync(HeraldTestServer.Request("GetTask", new System.Text.Json.Nodes.JsonObject { ["id"] = "x" }), path: "/");

        Assert.Equal("/a2a", server.RpcPath);
        Assert.Equal(server.BaseAddress + "a2a", card.RootElement.GetProperty("supportedInterfaces")[0].GetProperty("url").GetString());
        Assert.Equal("TASK_STATE_COMPLETED", task.GetProperty("status").GetProperty("state").GetString());
        Assert.Equal(System.Net.HttpStatusCode.NotFound, rootCard.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, rootRpc.StatusCode);
    }

    [Fact]
    public void MapHerald_WithoutAddHerald_ThrowsWithGuidance()
    {
        var app = WebApplication.CreateSlimBuilder().Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapHerald());

        Assert.Contains("AddHerald", error.Message, StringComparison.Ordinal);
        Assert.Contains("MapHerald", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MapHerald_AddHeraldWithoutAgent_ThrowsWithGuidance()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddHerald();
        var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapHerald());

        Assert.Contains("AddAgent", error.Message, StringComparison.Ordinal);
    }
}
