using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Protocol;
using Herald.Protocol.Signing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Herald.Client.Tests.Signing;

/// <summary>Spec 8.4 end to end: Herald's server signs its card, Herald's client (and Node, independently) verifies it.</summary>
public sealed class CardSignatureTests : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _apps = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Resolve_CardSignedByServer_VerifiesWithSameOriginJku()
    {
        using var key = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        var agentUrl = await StartAsync(key);
        using var http = new HttpClient();

        var endpoint = await Client(http, agentUrl, new CardSignatureVerification { RequireSignedCard = true }).GetEndpointAsync().Within();

        Assert.NotNull(endpoint.CardSignature);
        Assert.Equal(key.KeyId, endpoint.CardSignature.KeyId);
        Assert.Equal("ES256", endpoint.CardSignature.Algorithm);
        Assert.Equal(new Uri(agentUrl + "/.well-known/jwks.json"), endpoint.CardSignature.JwksUrl);
    }

    [Fact]
    public async Task ServedCard_Signed_CarriesDetachedJwsWithJoseHeader()
    {
        using var key = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256), "key-1");
        var agentUrl = await StartAsync(key);
        using var http = new HttpClient();

        var card = JsonNode.Parse(await http.GetStringAsync(agentUrl + "/.well-known/agent-card.json"))!;
        var signature = Assert.Single(card["signatures"]!.AsArray())!;
        var header = JsonNode.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(signature["protected"]!.GetValue<string>()))!;

        Assert.Equal("ES256", header["alg"]!.GetValue<string>());
        Assert.Equal("JOSE", header["typ"]!.GetValue<string>());
        Assert.Equal("key-1", header["kid"]!.GetValue<string>());
        Assert.Equal(agentUrl + "/.well-known/jwks.json", header["jku"]!.GetValue<string>());
        Assert.Equal(64, System.Buffers.Text.Base64Url.DecodeFromChars(signature["signature"]!.GetValue<string>()).Length); // r || s, not DER
        Assert.Null(signature["payload"]); // detached
    }

    [Fact]
    public async Task ServedCard_FetchedTwice_SameSignedBytesAndETag()
    {
        // ECDSA signatures are randomized: equal bytes mean the card was signed once, not per request.
        using var key = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        var agentUrl = await StartAsync(key);
        using var http = new HttpClient();

        using var first = await http.GetAsync(agentUrl + "/.well-known/agent-card.json");
        using var second = await http.GetAsync(agentUrl + "/.well-known/agent.json");
        var firstBytes = await first.Content.ReadAsByteArrayAsync();
        using var conditional = new HttpRequestMessage(HttpMethod.Get, agentUrl + "/.well-known/agent-card.json");
        conditional.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        using var notModified = await http.SendAsync(conditional);

        Assert.Equal(firstBytes, await second.Content.ReadAsByteArrayAsync());
        Assert.Equal(first.Headers.ETag, second.Headers.ETag);
        Assert.Equal("\"" + Convert.ToHexStringLower(SHA256.HashData(firstBytes).AsSpan(0, 16)) + "\"", first.Headers.ETag!.Tag);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
    }

    [Fact]
    public async Task Jwks_Served_HoldsThePublicKeyOnly()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var key = AgentCardSigningKey.Create(ec);
        var agentUrl = await StartAsync(key);
        using var http = new HttpClient();

        var jwks = JsonNode.Parse(await http.GetStringAsync(agentUrl + "/.well-known/jwks.json"))!;
        var jwk = Assert.Single(jwks["keys"]!.AsArray())!.AsObject();

        Assert.Equal(["alg", "crv", "kid", "kty", "use", "x", "y"], jwk.Select(m => m.Key).Order(StringComparer.Ordinal));
        Assert.Null(jwk["d"]);
        Assert.Equal(System.Buffers.Text.Base64Url.EncodeToString(ec.ExportParameters(false).Q.X), jwk["x"]!.GetValue<string>());
    }

    [Fact]
    public async Task Jwks_NoSigningKey_NotFoundAndCardUnsigned()
    {
        var agentUrl = await StartAsync(null);
        using var http = new HttpClient();

        using var jwks = await http.GetAsync(agentUrl + "/.well-known/jwks.json");
        var card = JsonNode.Parse(await http.GetStringAsync(agentUrl + "/.well-known/agent-card.json"))!;

        Assert.Equal(HttpStatusCode.NotFound, jwks.StatusCode);
        Assert.Null(card["signatures"]);
    }

    [Theory]
    [InlineData("description")] // a v1.0 member
    [InlineData("url")] // a v0.3 member, which the v1.0 model does not even read
    [InlineData("protocolVersion")]
    public async Task Resolve_CardTamperedInOneMember_FailsAsInvalidSignature(string member)
    {
        using var key = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        var agentUrl = await StartAsync(key);
        using var http = new HttpClient(new CardRewriter(card => card[member] = card[member]!.GetValue<string>() + "x"));

        var error = await Assert.ThrowsAsync<A2ACardSignatureException>(() =>
            Client(http, agentUrl, new CardSignatureVerification()).GetEndpointAsync().Within());

        Assert.Equal(CardSignatureFailure.InvalidSignature, error.Failure);
        Assert.Contains("does not verify", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_CardReformattedInTransit_StillVerifies()
    {
        // Whitespace and member order are not content: the payload is canonical, not the received bytes themselves.
        using var key = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        var agentUrl = await StartAsync(key);
        using var http = new HttpClient(new CardRewriter(card =>
        {
            var name = card["name"]!.GetValue<string>();
            card.Remove("name");
            card["name"] = name;
        }, indented: true));

        var endpoint = await Client(http, agentUrl, new CardSignatureVerification { RequireSignedCard = true }).GetEndpointAsync().Within();

        Assert.Equal(key.KeyId, endpoint.CardSignature?.KeyId);
    }

    [Fact]
    public async Task Resolve_SignedByAnotherKeyWithTheSameKid_FailsAsInvalidSignature()
    {
        using var signer = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256), "k1");
        using var other = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256), "k1");
        var agentUrl = await StartAsync(signer);
        using var http = new HttpClient();

        var error = await Assert.ThrowsAsync<A2ACardSignatureException>(() => Client(http, agentUrl,
            new CardSignatureVerification { TrustedJwks = other.PublicJwks, TrustSameOriginJku = false }).GetEndpointAsync().Within());

        Assert.Equal(CardSignatureFailure.InvalidSignature, error.Failure);
    }

    [Fact]
    public async Task Resolve_TrustedKeysLackTheKid_FailsAsUnknownKey()
    {
        using var signer = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        using var other = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        var agentUrl = await StartAsync(signer);
        using var http = new HttpClient();

        var error = await Assert.ThrowsAsync<A2ACardSignatureException>(() => Client(http, agentUrl,
            new CardSignatureVerification { TrustedJwks = other.PublicJwks, TrustSameOriginJku = false }).GetEndpointAsync().Within());

        Assert.Equal(CardSignatureFailure.UnknownKey, error.Failure);
        Assert.Contains(signer.KeyId, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_TrustedKeyPinned_VerifiesWithoutFollowingJku()
    {
        using var signer = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        var agentUrl = await StartAsync(signer);
        using var http = new HttpClient();

        var endpoint = await Client(http, agentUrl,
            new CardSignatureVerification { TrustedJwks = signer.PublicJwks, TrustSameOriginJku = false, RequireSignedCard = true }).GetEndpointAsync().Within();

        Assert.Equal(signer.KeyId, endpoint.CardSignature?.KeyId);
        Assert.Null(endpoint.CardSignature?.JwksUrl);
    }

    [Fact]
    public async Task Resolve_CardResignedWithJkuOfAnotherOrigin_JkuNotFollowed()
    {
        // Someone in the path replaces the signature with their own, pointing at their own key set.
        using var signer = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        using var attacker = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        var agentUrl = await StartAsync(signer);
        using var http = new HttpClient(new CardRewriter(card =>
        {
            card.Remove("signatures");
            var signature = attacker.Sign(Encoding.UTF8.GetBytes(card.ToJsonString()), new Uri("http://attacker.example/jwks.json"));
            card["signatures"] = new JsonArray(JsonSerializer.SerializeToNode(signature, A2AJsonContext.Default.AgentCardSignature));
        }));

        var error = await Assert.ThrowsAsync<A2ACardSignatureException>(() =>
            Client(http, agentUrl, new CardSignatureVerification()).GetEndpointAsync().Within());

        Assert.Equal(CardSignatureFailure.UnknownKey, error.Failure);
        Assert.Contains("not of the card's origin", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_UnsignedCard_FailsOnlyWhenASignatureIsRequired()
    {
        var agentUrl = await StartAsync(null);
        using var http = new HttpClient();

        var lenient = await Client(http, agentUrl, new CardSignatureVerification()).GetEndpointAsync().Within();
        var error = await Assert.ThrowsAsync<A2ACardSignatureException>(() =>
            Client(http, agentUrl, new CardSignatureVerification { RequireSignedCard = true }).GetEndpointAsync().Within());

        Assert.Null(lenient.CardSignature);
        Assert.Equal(CardSignatureFailure.Unsigned, error.Failure);
        Assert.Contains("not signed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_SignedCardWithoutVerification_ResolvesAndIgnoresTheSignature()
    {
        using var signer = AgentCardSigningKey.Create(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        var agentUrl = await StartAsync(signer);
        using var http = new HttpClient(new CardRewriter(card => card["description"] = "changed"));

        var endpoint = await Client(http, agentUrl, null).GetEndpointAsync().Within();

        Assert.Equal("changed", endpoint.Card!.Description);
        Assert.Null(endpoint.CardSignature);
    }

    [Fact]
    public async Task Resolve_CardSignedWithRsa_VerifiesAsRs256()
    {
        using var rsa = RSA.Create(2048);
        using var key = AgentCardSigningKey.Create(rsa);
        var agentUrl = await StartAsync(key);
        using var http = new HttpClient();

        var endpoint = await Client(http, agentUrl, new CardSignatureVerification { RequireSignedCard = true }).GetEndpointAsync().Within();

        Assert.Equal("RS256", endpoint.CardSignature?.Algorithm);
    }

    [Theory]
    [InlineData("ES256")]
    [InlineData("RS256")]
    public async Task ServedCard_CheckedByNode_SamePayloadAndSignatureVerifies(string algorithm)
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var rsa = RSA.Create(2048);
        using var key = algorithm == "ES256" ? AgentCardSigningKey.Create(ec) : AgentCardSigningKey.Create(rsa);
        var agentUrl = await StartAsync(key);
        using var http = new HttpClient();
        var card = await http.GetByteArrayAsync(agentUrl + "/.well-known/agent-card.json");
        var jwks = await http.GetStringAsync(agentUrl + "/.well-known/jwks.json");
        using var directory = new TempDirectory();
        var tampered = JsonNode.Parse(card)!;
        tampered["url"] = "http://elsewhere.example/";
        await File.WriteAllBytesAsync(Path.Combine(directory.Path, "card.json"), card);
        await File.WriteAllTextAsync(Path.Combine(directory.Path, "tampered.json"), tampered.ToJsonString());
        await File.WriteAllTextAsync(Path.Combine(directory.Path, "jwks.json"), jwks);

        var (exitCode, output) = await RunNodeAsync(Path.Combine(directory.Path, "card.json"), Path.Combine(directory.Path, "jwks.json"));
        var (tamperedExit, tamperedOutput) = await RunNodeAsync(Path.Combine(directory.Path, "tampered.json"), Path.Combine(directory.Path, "jwks.json"));

        // Node's own JCS gives the very bytes Herald signed, and Node's crypto accepts the signature; and refuses a changed card.
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(System.Buffers.Text.Base64Url.EncodeToString(AgentCardSigning.CanonicalPayload(card)), lines[0]);
        Assert.Equal(0, exitCode);
        Assert.Equal("verified " + key.KeyId, lines[1]);
        Assert.Equal(1, tamperedExit);
        Assert.Contains("failed", tamperedOutput, StringComparison.Ordinal);
    }

    private static IA2AClient Client(HttpClient http, Uri agentUrl, CardSignatureVerification? verification) =>
        A2AClient.Create(http, agentUrl, new A2AClientOptions { CardSignatureVerification = verification });

    private async Task<Uri> StartAsync(AgentCardSigningKey? key)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Services.AddHerald(o =>
        {
            o.Card = new AgentCard { Name = "Signed agent", Description = "Its card is signed: é, 😀, \"quoted\"." };
            o.CardSigningKey = key;
            o.ShutdownTimeout = TimeSpan.FromSeconds(1);
        }).AddAgent(new Infrastructure.TestAgent(), Herald.Server.Agents.AgentResponseMode.MessageOrTask);
        var app = builder.Build();
        _apps.Add(app);
        app.MapHerald("/a2a");
        await app.StartAsync().Within();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri($"http://127.0.0.1:{new Uri(address).Port}/a2a");
    }

    private static async Task<(int ExitCode, string Output)> RunNodeAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Signing", "verify-card.mjs"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var bound = Bounded.Token();
        await process.WaitForExitAsync(bound.Token);
        return (process.ExitCode, await output + await error);
    }

    /// <summary>Changes the agent card on its way to the client, as a cache or intermediary could.</summary>
    private sealed class CardRewriter(Action<JsonObject> change, bool indented = false) : DelegatingHandler(new HttpClientHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.RequestUri!.AbsolutePath.EndsWith("agent-card.json", StringComparison.Ordinal))
            {
                var card = JsonNode.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken))!.AsObject();
                change(card);
                response.Content = new StringContent(card.ToJsonString(new JsonSerializerOptions { WriteIndented = indented }), Encoding.UTF8, "application/json");
            }

            return response;
        }
    }
}
