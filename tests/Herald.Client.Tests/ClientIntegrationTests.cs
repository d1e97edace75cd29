using Herald.Testing;
using System.Text.Json;
using Herald.Client.Tests.Infrastructure;
using Herald.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Client.Tests;

/// <summary>HttpClient plumbing: DelegatingHandlers, IHttpClientFactory, tenant and extension parameters.</summary>
public sealed class ClientIntegrationTests(HeraldServer server) : IClassFixture<HeraldServer>
{
    [Fact]
    public async Task AddA2AClient_WithDelegatingHandler_ResolvesClientWhoseRequestsPassTheHandler()
    {
        var handler = new RecordingHandler(new SocketsHttpHandler()) { AddHeader = ("Authorization", "Bearer secret") };
        var services = new ServiceCollection();
        services.AddA2AClient(server.AgentUrl, o => o.MaxResumeAttempts = 2)
            .ConfigurePrimaryHttpMessageHandler(() => handler);
        await using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<IA2AClient>();
        var response = await client.SendMessageAsync(Message.UserText("chunks:1")).Within();

        Assert.Equal(TaskState.Completed, response.Task!.Status.State);
        Assert.Equal(2, handler.Requests.Count); // card + SendMessage
        Assert.All(handler.Requests, r => Assert.Equal("Bearer secret", r.Header("Authorization")));
        Assert.NotSame(client, provider.GetRequiredService<IA2AClient>());
    }

    [Fact]
    public async Task IA2AClientFactory_NamedClients_EachTalksToItsOwnAgent()
    {
        await using var fake = await FakeAgentServer.StartAsync((c, call) => Wire.JsonAsync(c, Wire.Result(call, Wire.Task("fake-task")[8..^1])));
        var services = new ServiceCollection();
        services.AddA2AClient("herald", server.AgentUrl);
        services.AddA2AClient("fake", fake.BaseUrl);
        await using var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IA2AClientFactory>();

        var fromFake = await factory.CreateClient("fake").GetTaskAsync("anything").Within();
        var heraldEndpoint = await factory.CreateClient("herald").GetEndpointAsync().Within();

        Assert.Equal("fake-task", fromFake.Id);
        Assert.Equal("Test agent", heraldEndpoint.Card!.Name);
        Assert.Throws<InvalidOperationException>(() => factory.CreateClient("nobody"));
    }

    [Fact]
    public async Task Client_InterfaceWithTenantAndExtensions_SendsTenantInParamsAndExtensionsHeader()
    {
        await using var fake = await FakeAgentServer.StartAsync((c, call) => Wire.JsonAsync(c, Wire.Result(call, Wire.Task("t")[8..^1])));
        fake.CardJson = $$"""
            {"name":"T","description":"d","supportedInterfaces":[{"url":"{{fake.RpcUrl}}","protocolBinding":"JSONRPC","protocolVersion":"1.0","tenant":"acme"}]}
            """;
        using var http = new HttpClient();
        var options = new A2AClientOptions();
        options.Extensions.Add("https://example.com/ext/a");
        options.Extensions.Add("https://example.com/ext/b");
        var client = A2AClient.Create(http, fake.BaseUrl, options);

        await client.GetTaskAsync("t").Within();
        await client.GetTaskAsync(new GetTaskRequest { Id = "t", Tenant = "other" }).Within();

        var calls = fake.Calls.ToList();
        Assert.Equal("acme", calls[0].Params.GetProperty("tenant").GetString());
        Assert.Equal("other", calls[1].Params.GetProperty("tenant").GetString());
        Assert.Equal("https://example.com/ext/a,https://example.com/ext/b," + HeraldExtensionUris.ResumableStreams, calls[0].Headers["A2A-Extensions"]);
        Assert.Equal("1.0", calls[0].Headers["A2A-Version"]);
        Assert.Equal(JsonValueKind.Number, calls[0].Id.ValueKind);
    }

    [Fact]
    public void Create_InterfaceOfOtherVersionThanPinned_ThrowsVersionNotSupported()
    {
        using var http = new HttpClient();
        var agentInterface = new AgentInterface { Url = "http://127.0.0.1:1/a2a", ProtocolBinding = "JSONRPC", ProtocolVersion = "1.0" };

        var error = Assert.Throws<A2AVersionNotSupportedException>(() =>
            A2AClient.Create(http, agentInterface, new A2AClientOptions { ProtocolVersion = "0.3" }));

        Assert.Equal("0.3", error.RequestedVersion);
    }

    [Fact]
    public async Task ConnectAsync_PinnedVersionHeraldOffers_Connects()
    {
        using var http = new HttpClient();

        var client = await A2AClient.ConnectAsync(http, server.AgentUrl, new A2AClientOptions { ProtocolVersion = "1.0.0" }).Within();

        Assert.Equal("1.0", (await client.GetEndpointAsync()).ProtocolVersion);
    }

    [Fact]
    public async Task ConnectAsync_PinnedVersionHeraldDoesNotOffer_ThrowsVersionNotSupported()
    {
        using var http = new HttpClient();

        var error = await Assert.ThrowsAsync<A2AVersionNotSupportedException>(() =>
            A2AClient.ConnectAsync(http, server.AgentUrl, new A2AClientOptions { ProtocolVersion = "2.0" })).Within();

        Assert.Equal(["JSONRPC 1.0", "JSONRPC 0.3", "HTTP+JSON 1.0", "JSONRPC 1.1", "HTTP+JSON 1.1"], error.Offered.Select(o => string.Join(' ', o.Split(' ').Take(2))));
    }

    [Fact]
    public async Task ConnectAsync_PinnedV03_HeraldServesItOverV03()
    {
        using var http = new HttpClient();

        var client = await A2AClient.ConnectAsync(http, server.AgentUrl, new A2AClientOptions { ProtocolVersion = "0.3" }).Within();
        var sent = await client.SendMessageAsync(new SendMessageRequest { Message = Message.UserText("chunks:2") }).Within();

        Assert.Equal("0.3", (await client.GetEndpointAsync()).ProtocolVersion);
        Assert.Equal(TaskState.Completed, sent.Task!.Status.State);
    }
}
