using Herald.Testing;
using System.Net;
using System.Text;
using System.Text.Json;
using Herald.Client.Tests.Infrastructure;
using Herald.Protocol;

namespace Herald.Client.Tests;

public sealed class AgentCardResolverTests
{
    private static AgentCard Parse(string json) => AgentCardResolver.Parse(Encoding.UTF8.GetBytes(json));

    private const string V03Card = """
        {"name":"Old agent","description":"Speaks 0.3","protocolVersion":"0.3.0","version":"2.1",
         "url":"https://old.example/a2a","preferredTransport":"JSONRPC",
         "additionalInterfaces":[{"url":"https://old.example/a2a","transport":"JSONRPC"},{"url":"https://old.example/rest","transport":"HTTP+JSON"}],
         "capabilities":{"streaming":true,"stateTransitionHistory":true},
         "securitySchemes":{"bearer":{"type":"http","scheme":"bearer"}},"security":[{"bearer":[]}],
         "defaultInputModes":["text/plain"],"defaultOutputModes":["text/plain"],
         "skills":[{"id":"s","name":"S","description":"d","tags":["t"]}]}
        """;

    [Fact]
    public void GetCardUri_AgentUrlWithPath_AppendsWellKnownPathToIt()
    {
        Assert.Equal("http://h:1/a2a/.well-known/agent-card.json", AgentCardResolver.GetCardUri(new Uri("http://h:1/a2a")).ToString());
        Assert.Equal("http://h:1/a2a/.well-known/agent-card.json", AgentCardResolver.GetCardUri(new Uri("http://h:1/a2a/")).ToString());
        Assert.Equal("http://h:1/.well-known/agent-card.json", AgentCardResolver.GetCardUri(new Uri("http://h:1")).ToString());
        Assert.Equal("http://h:1/cards/x.json", AgentCardResolver.GetCardUri(new Uri("http://h:1/cards/x.json")).ToString());
    }

    [Fact]
    public void Parse_V10Card_KeepsSupportedInterfacesInOrder()
    {
        var card = Parse("""
            {"name":"A","description":"d","supportedInterfaces":[
              {"url":"https://a/rest","protocolBinding":"HTTP+JSON","protocolVersion":"1.0"},
              {"url":"https://a/rpc","protocolBinding":"JSONRPC","protocolVersion":"1.0","tenant":"t1"}]}
            """);

        Assert.Equal(["https://a/rest", "https://a/rpc"], card.SupportedInterfaces.Select(i => i.Url));
        Assert.Equal("t1", card.SupportedInterfaces[1].Tenant);
    }

    [Fact]
    public void Parse_V03Card_DerivesInterfacesFromUrlPreferredTransportAndAdditionalInterfaces()
    {
        var card = Parse(V03Card);

        Assert.Equal("Old agent", card.Name);
        Assert.True(card.Capabilities.Streaming);
        Assert.Equal(
            ["JSONRPC 0.3.0 https://old.example/a2a", "HTTP+JSON 0.3.0 https://old.example/rest"],
            card.SupportedInterfaces.Select(i => $"{i.ProtocolBinding} {i.ProtocolVersion} {i.Url}"));
    }

    [Fact]
    public void Parse_V03CardWithoutPreferredTransportOrVersion_DefaultsToJsonRpc03()
    {
        var card = Parse("""{"name":"A","description":"d","url":"https://a/"}""");

        var only = Assert.Single(card.SupportedInterfaces);
        Assert.Equal("JSONRPC", only.ProtocolBinding);
        Assert.Equal("0.3.0", only.ProtocolVersion);
    }

    [Fact]
    public void Parse_CardWithBothFormats_ListsV10InterfacesFirst()
    {
        var card = Parse("""
            {"name":"A","description":"d","url":"https://a/v03","protocolVersion":"0.3.0",
             "supportedInterfaces":[{"url":"https://a/v1","protocolBinding":"JSONRPC","protocolVersion":"1.0"}]}
            """);

        Assert.Equal(["1.0", "0.3.0"], card.SupportedInterfaces.Select(i => i.ProtocolVersion));
    }

    [Theory]
    [InlineData("""{"description":"no name","url":"https://a/"}""")]
    [InlineData("""{"name":"A","description":"no interface at all"}""")]
    [InlineData("""[1,2,3]""")]
    [InlineData("""<html></html>""")]
    public void Parse_NotAnAgentCard_ThrowsJsonException(string json) =>
        Assert.ThrowsAny<JsonException>(() => Parse(json));

    [Fact]
    public void SelectInterface_Unpinned_FirstImplementedInTheCardsOrder()
    {
        var card = Parse("""
            {"name":"A","description":"d","supportedInterfaces":[
              {"url":"https://a/old","protocolBinding":"JSONRPC","protocolVersion":"0.3"},
              {"url":"https://a/grpc","protocolBinding":"GRPC","protocolVersion":"1.0"},
              {"url":"https://a/new","protocolBinding":"jsonrpc","protocolVersion":"1.0.2"},
              {"url":"https://a/new2","protocolBinding":"JSONRPC","protocolVersion":"1.0"}]}
            """);

        // The card's order is the agent's preference (spec 8.3.2): its first entry is one this client speaks.
        Assert.Equal("https://a/old", AgentCardResolver.SelectInterface(card).Url);
        Assert.Equal("https://a/new", AgentCardResolver.SelectInterface(card, "1.0").Url); // GRPC skipped
        Assert.Equal("https://a/old", AgentCardResolver.SelectInterface(card, "0.3").Url);
    }

    [Fact]
    public void SelectInterface_PinnedVersionNotOffered_ThrowsWithoutFallback()
    {
        var card = Parse(V03Card);

        var error = Assert.Throws<A2AVersionNotSupportedException>(() => AgentCardResolver.SelectInterface(card, "1.0"));

        Assert.Equal(A2AErrorCodes.VersionNotSupported, error.Code);
        Assert.Equal("1.0", error.RequestedVersion);
        Assert.Contains("does not offer A2A protocol version 1.0", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, error.Offered.Count);
    }

    [Fact]
    public void SelectInterface_V03OnlyCardUnpinned_ChoosesItsMainJsonRpcUrl()
    {
        var selected = AgentCardResolver.SelectInterface(Parse(V03Card));

        Assert.Equal(("https://old.example/a2a", "JSONRPC", "0.3.0"), (selected.Url, selected.ProtocolBinding, selected.ProtocolVersion));
    }

    [Fact]
    public void SelectInterface_V03CardPreferringGrpc_FallsBackToItsJsonRpcInterface()
    {
        var card = Parse("""
            {"name":"A","description":"d","protocolVersion":"0.3.0","url":"https://a/grpc","preferredTransport":"GRPC",
             "additionalInterfaces":[{"url":"https://a/grpc","transport":"GRPC"},{"url":"https://a/json","transport":"HTTP+JSON"},{"url":"https://a/rpc","transport":"JSONRPC"}]}
            """);

        Assert.Equal("https://a/rpc", AgentCardResolver.SelectInterface(card).Url);
    }

    [Fact]
    public void SelectInterface_OnlyUnimplementedBindings_ThrowsNamingWhatTheClientImplements()
    {
        var card = Parse("""{"name":"A","description":"d","url":"https://a/g","preferredTransport":"GRPC","protocolVersion":"0.3.0"}""");

        var error = Assert.Throws<A2AVersionNotSupportedException>(() => AgentCardResolver.SelectInterface(card));

        Assert.Null(error.RequestedVersion);
        Assert.Contains("JSONRPC 1.0, JSONRPC 0.3", error.Message, StringComparison.Ordinal);
        Assert.Contains("GRPC 0.3.0 at https://a/g", error.Message, StringComparison.Ordinal);
    }

    private const string BothBindingsCard = """
        {"name":"A","description":"d","supportedInterfaces":[
          {"url":"https://a/rpc","protocolBinding":"JSONRPC","protocolVersion":"1.0"},
          {"url":"https://a/rest","protocolBinding":"HTTP+JSON","protocolVersion":"1.0"},
          {"url":"https://a/old-rest","protocolBinding":"HTTP+JSON","protocolVersion":"0.3"}]}
        """;

    [Theory]
    [InlineData(null, "https://a/rpc")]
    [InlineData("JSONRPC", "https://a/rpc")]
    [InlineData("jsonrpc", "https://a/rpc")]
    [InlineData("HTTP+JSON", "https://a/rest")]
    [InlineData("rest", "https://a/rest")]
    public void SelectInterface_PinnedBinding_FirstInterfaceOfThatBinding(string? binding, string expected)
    {
        Assert.Equal(expected, AgentCardResolver.SelectInterface(Parse(BothBindingsCard), protocolBinding: binding).Url);
    }

    [Fact]
    public void SelectInterface_RestListedFirst_UnpinnedFollowsTheCardsOrder()
    {
        var card = Parse("""
            {"name":"A","description":"d","supportedInterfaces":[
              {"url":"https://a/rest","protocolBinding":"HTTP+JSON","protocolVersion":"1.0"},
              {"url":"https://a/rpc","protocolBinding":"JSONRPC","protocolVersion":"1.0"}]}
            """);

        Assert.Equal("https://a/rest", AgentCardResolver.SelectInterface(card).Url);
    }

    [Fact]
    public void SelectInterface_PinnedBindingNotOffered_ThrowsWithoutFallback()
    {
        var error = Assert.Throws<A2AVersionNotSupportedException>(() => AgentCardResolver.SelectInterface(Parse(V03Card), protocolBinding: "grpc"));

        Assert.Contains("does not offer the GRPC binding", error.Message, StringComparison.Ordinal);
        Assert.Contains("no fallback", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SelectInterface_PinnedRestOfferedOnlyInVersion03_ThrowsNamingWhatTheClientImplements()
    {
        var error = Assert.Throws<A2AVersionNotSupportedException>(() => AgentCardResolver.SelectInterface(Parse(V03Card), protocolBinding: "rest"));

        Assert.Contains("offers HTTP+JSON only in versions this client does not implement", error.Message, StringComparison.Ordinal);
        Assert.Contains("HTTP+JSON 1.0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SelectInterface_PinnedGrpcOfferedWithoutTheGrpcFactory_ThrowsThatGrpcIsNotConfigured()
    {
        var card = Parse("""
            {"name":"A","description":"d","supportedInterfaces":[
              {"url":"https://a/rpc","protocolBinding":"JSONRPC","protocolVersion":"1.0"},
              {"url":"https://a:50051","protocolBinding":"GRPC","protocolVersion":"1.0"}]}
            """);

        var error = Assert.Throws<A2AVersionNotSupportedException>(() => AgentCardResolver.SelectInterface(card, protocolBinding: "grpc"));

        Assert.Contains("gRPC binding is not configured in this client", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SelectInterface_PinnedVersionAndBinding_BothMustMatch()
    {
        var card = Parse(BothBindingsCard);

        Assert.Equal("https://a/rest", AgentCardResolver.SelectInterface(card, "1.0", "HTTP+JSON").Url);
        Assert.Throws<A2AVersionNotSupportedException>(() => AgentCardResolver.SelectInterface(card, "0.3", "HTTP+JSON"));
    }

    [Fact]
    public void Parse_CardWithBothGenerationsAndV1Schemes_KeepsV1ModelAndTheV03Fields()
    {
        var (card, v03) = AgentCardResolver.ParseBoth(Encoding.UTF8.GetBytes("""
            {"name":"Herald","description":"d","url":"https://a/rpc","preferredTransport":"JSONRPC","protocolVersion":"0.3.0",
             "supportedInterfaces":[{"url":"https://a/rpc","protocolBinding":"JSONRPC","protocolVersion":"1.0"}],
             "securitySchemes":{"key":{"apiKeySecurityScheme":{"location":"header","name":"X-Key"}}}}
            """));

        Assert.Equal("X-Key", card.SecuritySchemes!["key"].ApiKeySecurityScheme!.Name);
        Assert.Equal(["1.0", "0.3.0"], card.SupportedInterfaces.Select(i => i.ProtocolVersion));
        Assert.Equal("https://a/rpc", v03!.Url);
    }

    [Fact]
    public void Parse_V03Card_MapsSecuritySchemesAndKeepsTheV03Form()
    {
        var (card, v03) = AgentCardResolver.ParseBoth(Encoding.UTF8.GetBytes(V03Card));

        Assert.Equal("bearer", card.SecuritySchemes!["bearer"].HttpAuthSecurityScheme!.Scheme);
        Assert.Equal("https://old.example/a2a", v03!.Url);
        Assert.Equal("0.3.0", v03.ProtocolVersion);
        Assert.True(v03.Capabilities.StateTransitionHistory);
    }

    [Fact]
    public void SelectInterface_PinnedVersionOfferedOnlyOverUnimplementedBinding_ThrowsAndSaysSo()
    {
        var card = Parse("""{"name":"A","description":"d","supportedInterfaces":[{"url":"https://a/g","protocolBinding":"GRPC","protocolVersion":"1.0"}]}""");

        var error = Assert.Throws<A2AVersionNotSupportedException>(() => AgentCardResolver.SelectInterface(card, "1"));

        Assert.Contains("bindings this client does not implement", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_NoCard_ThrowsNotAnAgentWithStatus()
    {
        await using var server = await FakeAgentServer.StartAsync((_, _) => Task.CompletedTask);
        server.CardStatus = 404;
        using var http = new HttpClient();

        var error = await Assert.ThrowsAsync<A2ANotAnAgentException>(() => new AgentCardResolver(http).ResolveAsync(server.BaseUrl)).Within();

        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Equal(new Uri(server.BaseUrl, ".well-known/agent-card.json"), error.CardUri);
    }

    [Fact]
    public async Task ResolveAsync_HtmlPage_ThrowsNotAnAgent()
    {
        await using var server = await FakeAgentServer.StartAsync((_, _) => Task.CompletedTask);
        server.CardContentType = "text/html";
        server.CardJson = "<html><body>Welcome</body></html>";
        using var http = new HttpClient();

        var error = await Assert.ThrowsAsync<A2ANotAnAgentException>(() => new AgentCardResolver(http).ResolveAsync(server.BaseUrl)).Within();

        Assert.Contains("text/html", error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<JsonException>(error.InnerException);
    }

    [Fact]
    public async Task ResolveAsync_RelativeInterfaceUrl_IsMadeAbsoluteAgainstTheCard()
    {
        await using var server = await FakeAgentServer.StartAsync((_, _) => Task.CompletedTask);
        server.CardJson = """{"name":"A","description":"d","supportedInterfaces":[{"url":"/rpc","protocolBinding":"JSONRPC","protocolVersion":"1.0"}]}""";
        using var http = new HttpClient();

        var card = await new AgentCardResolver(http).ResolveAsync(server.BaseUrl).Within();

        Assert.Equal(server.RpcUrl.ToString(), card.SupportedInterfaces[0].Url);
    }

    [Theory]
    [InlineData("127.0.0.1:5078")]
    [InlineData("localhost:5078")]
    [InlineData("dns:///grpc.example.com:443")]
    public async Task ResolveAsync_GrpcHostPortTarget_KeptAsGivenNotResolvedAgainstTheCard(string target)
    {
        await using var server = await FakeAgentServer.StartAsync((_, _) => Task.CompletedTask);
        server.CardJson = $$"""{"name":"A","description":"d","supportedInterfaces":[{"url":"{{target}}","protocolBinding":"GRPC","protocolVersion":"1.0"}]}""";
        using var http = new HttpClient();

        var card = await new AgentCardResolver(http).ResolveAsync(server.BaseUrl).Within();

        Assert.Equal(target, card.SupportedInterfaces[0].Url);
    }

    [Fact]
    public async Task Client_ServerUnreachable_ThrowsHttpRequestException()
    {
        using var http = new HttpClient();
        var port = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        port.Start();
        var url = new Uri($"http://127.0.0.1:{((IPEndPoint)port.LocalEndpoint).Port}/");
        port.Stop();

        await Assert.ThrowsAsync<HttpRequestException>(() => A2AClient.ConnectAsync(http, url)).Within();
    }

    [Fact]
    public async Task Client_V03OnlyAgentWithPinnedV10_ThrowsVersionNotSupportedAtFirstCallWithoutFallback()
    {
        await using var server = await FakeAgentServer.StartAsync((_, _) => Task.CompletedTask);
        server.CardJson = V03Card;
        using var http = new HttpClient();
        var client = A2AClient.Create(http, server.BaseUrl, new A2AClientOptions { ProtocolVersion = "1.0" });

        var error = await Assert.ThrowsAsync<A2AVersionNotSupportedException>(() => client.GetTaskAsync("t")).Within();

        Assert.Equal("1.0", error.RequestedVersion);
        Assert.Contains("no fallback", error.Message, StringComparison.Ordinal);
        Assert.Empty(server.Calls);
    }

    [Fact]
    public async Task Client_CardFailsOnceThenRecovers_NextCallResolvesAgain()
    {
        await using var server = await FakeAgentServer.StartAsync((c, call) => Wire.JsonAsync(c, Wire.Result(call, Wire.Task("t")[8..^1])));
        server.CardStatus = 503;
        using var http = new HttpClient();
        var client = A2AClient.Create(http, server.BaseUrl);

        await Assert.ThrowsAsync<A2ANotAnAgentException>(() => client.GetTaskAsync("t")).Within();
        server.CardStatus = 200;
        var task = await client.GetTaskAsync("t").Within();

        Assert.Equal("t", task.Id);
    }
}
