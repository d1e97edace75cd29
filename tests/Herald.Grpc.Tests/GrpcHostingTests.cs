using System.Text.Json;
using Herald.Grpc.Tests.Infrastructure;
using Herald.Protocol;
using Microsoft.AspNetCore.Builder;

namespace Herald.Grpc.Tests;

/// <summary>AddGrpc / MapHeraldGrpc: clear failures when something is missing, and the card telling the truth.</summary>
public sealed class GrpcHostingTests
{
    [Fact]
    public async Task AgentCard_GrpcMapped_ListsJsonRpcThenGrpcWithTheGrpcPortAndTheClientsHost()
    {
        await using var server = await GrpcTestServer.StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync(null, ct).AsTask()));
        var localhost = new UriBuilder(server.BaseAddress) { Host = "localhost" }.Uri;

        var card = await ReadCardAsync(server.Http, new Uri(localhost, ".well-known/agent-card.json"));

        Assert.Equal(["JSONRPC", "GRPC"], card.SupportedInterfaces.Select(i => i.ProtocolBinding));
        var grpc = card.SupportedInterfaces[1];
        Assert.Equal($"http://localhost:{server.GrpcPort}", grpc.Url);
        Assert.Equal("1.0", grpc.ProtocolVersion);
        Assert.True(card.Capabilities.Streaming);
    }

    [Fact]
    public async Task AgentCard_AddGrpcButNotMapped_ListsOnlyJsonRpc()
    {
        await using var server = await GrpcTestServer.StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync(null, ct).AsTask()), mapGrpc: false);

        var card = await ReadCardAsync(server.Http, new Uri(server.BaseAddress, ".well-known/agent-card.json"));

        Assert.Equal(["JSONRPC"], card.SupportedInterfaces.Select(i => i.ProtocolBinding));
    }

    [Fact]
    public async Task AgentCard_ListInAgentCardOff_ListsOnlyJsonRpc()
    {
        await using var server = await GrpcTestServer.StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync(null, ct).AsTask()), configureGrpc: o => o.ListInAgentCard = false);

        var card = await ReadCardAsync(server.Http, new Uri(server.BaseAddress, ".well-known/agent-card.json"));

        Assert.Equal(["JSONRPC"], card.SupportedInterfaces.Select(i => i.ProtocolBinding));
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
