using System.Text.Json;
using Herald.Grpc.Tests.Infrastructure;
using Herald.Protocol;
using Microsoft.AspNetCore.Builder;

namespace Herald.Grpc.Tests;

/// <summary>AddGrpc / MapHeraldGrpc: clear failures when something is missing, and the card telling the truth.</summary>
public sealed class GrpcHostingTests
{
    [Fact]
    public async Task AgentCard_GrpcMapped_ListsHttpBindingsThenGrpcWithTheGrpcPortAndTheListeningHostNotTheHostHeader()
    {
        await using var server = await GrpcTestServer.StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync(null, ct).AsTask()));
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.BaseAddress, ".well-known/agent-card.json"));
        request.Headers.Host = "attacker.example:" + server.BaseAddress.Port;

        using var response = await server.Http.SendAsync(request);
        var card = JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), A2AJsonContext.Default.AgentCard)!;

        Assert.Equal(["JSONRPC", "JSONRPC", "HTTP+JSON", "JSONRPC", "HTTP+JSON", "GRPC", "GRPC"], card.SupportedInterfaces.Select(i => i.ProtocolBinding));
        Assert.Equal(["1.0", "1.1"], card.SupportedInterfaces.Where(i => i.ProtocolBinding == "GRPC").Select(i => i.ProtocolVersion));
        var grpc = card.SupportedInterfaces[5];
        Assert.Equal($"127.0.0.1:{server.GrpcPort}", grpc.Url);
        Assert.Equal("1.0", grpc.ProtocolVersion);
        Assert.True(card.Capabilities.Streaming);
    }

    [Fact]
    public async Task AgentCard_AddGrpcButNotMapped_ListsOnlyTheHttpBindings()
    {
        await using var server = await GrpcTestServer.StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync(null, ct).AsTask()), mapGrpc: false);

        var card = await ReadCardAsync(server.Http, new Uri(server.BaseAddress, ".well-known/agent-card.json"));

        Assert.Equal(["JSONRPC", "JSONRPC", "HTTP+JSON", "JSONRPC", "HTTP+JSON"], card.SupportedInterfaces.Select(i => i.ProtocolBinding));
    }

    [Fact]
    public async Task AgentCard_ListInAgentCardOff_ListsOnlyTheHttpBindings()
    {
        await using var server = await GrpcTestServer.StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync(null, ct).AsTask()), configureGrpc: o => o.ListInAgentCard = false);

        var card = await ReadCardAsync(server.Http, new Uri(server.BaseAddress, ".well-known/agent-card.json"));

        Assert.Equal(["JSONRPC", "JSONRPC", "HTTP+JSON", "JSONRPC", "HTTP+JSON"], card.SupportedInterfaces.Select(i => i.ProtocolBinding));
    }

    [Fact]
    public void MapHeraldGrpc_WithoutAddHerald_ThrowsNamingTheCalls()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddGrpc();
        using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapHeraldGrpc());

        Assert.Contains("AddHerald().AddAgent<TAgent>().AddGrpc()", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MapHeraldGrpc_WithoutAnAgent_Throws()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddHerald().AddGrpc();
        using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapHeraldGrpc());

        Assert.Contains("No agent is registered", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MapHeraldGrpc_WithoutAddGrpc_ThrowsNamingAddGrpc()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddHerald().AddAgent((c, ct) => c.CompleteAsync(null, ct).AsTask());
        using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapHeraldGrpc());

        Assert.Contains(".AddGrpc()", error.Message, StringComparison.Ordinal);
    }

    private static async Task<AgentCard> ReadCardAsync(HttpClient http, Uri uri)
    {
        var json = await http.GetStringAsync(uri).Within();
        return JsonSerializer.Deserialize(json, A2AJsonContext.Default.AgentCard)!;
    }
}
