using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Herald.AspNetCore.Card;
using Herald.Protocol;
using Herald.Protocol.V03;

namespace Herald.AspNetCore.Tests;

/// <summary>One agent card for both generations: where it is served, what it says, caching, and where its URLs come from.</summary>
public sealed class AgentCardTests
{
    private const string ResumableStreams = "urn:herald:a2a:extension:resumable-streams:v1";

    private static Task<HeraldTestServer> StartAsync(Action<Herald.Server.HeraldOptions>? configure = null, string urls = "http://127.0.0.1:0") =>
        HeraldTestServer.StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync(cancellationToken: ct).AsTask()), configure, urls: urls);

    private static async Task<(HttpResponseMessage Response, JsonElement Card, string Text)> GetCardAsync(HeraldTestServer server, string path = ".well-known/agent-card.json", Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        configure?.Invoke(request);
        var response = await server.Client.SendAsync(request).Within();
        var text = await response.Content.ReadAsStringAsync();
        return (response, response.StatusCode == HttpStatusCode.OK ? JsonDocument.Parse(text).RootElement.Clone() : default, text);
    }

    [Fact]
    public async Task Card_ServesBothGenerationsAtOneUrl()
    {
        await using var server = await StartAsync();
        var url = server.BaseAddress.ToString();

        var (response, card, text) = await GetCardAsync(server);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(
            [("JSONRPC", "1.0", url), ("JSONRPC", "0.3", url), ("HTTP+JSON", "1.0", url), ("JSONRPC", "1.1", url), ("HTTP+JSON", "1.1", url)],
            card.GetProperty("supportedInterfaces").EnumerateArray().Select(i => (i.GetProperty("protocolBinding").GetString(), i.GetProperty("protocolVersion").GetString(), i.GetProperty("url").GetString())));
        Assert.Equal(url, card.GetProperty("url").GetString());
        Assert.Equal("JSONRPC", card.GetProperty("preferredTransport").GetString());
        Assert.Equal("0.3.0", card.GetProperty("protocolVersion").GetString());
        // v0.3's members list v0.3 interfaces only: REST here is v1.0's, whose paths a v0.3 client would not find.
        var additional = Assert.Single(card.GetProperty("additionalInterfaces").EnumerateArray());
        Assert.Equal((url, "JSONRPC"), (additional.GetProperty("url").GetString(), additional.GetProperty("transport").GetString()));
        Assert.False(card.GetProperty("supportsAuthenticatedExtendedCard").GetBoolean());

        // Each generation's reader gets its card out of the same bytes.
        var v1 = JsonSerializer.Deserialize(text, A2AJsonContext.Default.AgentCard)!;
        var v03 = JsonSerializer.Deserialize(text, V03JsonContext.Default.V03AgentCard)!;
        Assert.Equal(5, v1.SupportedInterfaces.Count);
        Assert.Equal(url, v03.Url);
        V03Schema.AssertValid("AgentCard", text);
    }

    [Fact]
    public async Task Card_DeclaresTheResumableStreamsExtension()
    {
        await using var server = await StartAsync(o => o.Card = o.Card with
        {
            Capabilities = new AgentCapabilities { Extensions = [new AgentExtension { Uri = "https://example.com/ext/v1" }] },
        });

        var (_, card, _) = await GetCardAsync(server);

        var extensions = card.GetProperty("capabilities").GetProperty("extensions").EnumerateArray().ToArray();
        Assert.Equal(["https://example.com/ext/v1", ResumableStreams], extensions.Select(e => e.GetProperty("uri").GetString()));
        Assert.False(extensions[1].GetProperty("required").GetBoolean());
        Assert.Equal(HeraldExtensionUris.ResumableStreams, ResumableStreams);
    }

    [Fact]
    public async Task Card_ResumableStreamsDocumentedUnderItsUri()
    {
        // The URI the card declares is the one docs/resumable-streams.md names, so a reader can look it up.
        var docs = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "docs", "resumable-streams.md"));

        Assert.Contains(ResumableStreams, docs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Card_AlsoAtTheOlderWellKnownPath_SameBytes()
    {
        await using var server = await StartAsync();

        var (_, _, current) = await GetCardAsync(server);
        var (older, _, text) = await GetCardAsync(server, ".well-known/agent.json");

        Assert.Equal(HttpStatusCode.OK, older.StatusCode);
        Assert.Equal(current, text);
    }

    [Fact]
    public async Task Card_HasETag_IfNoneMatchAnswers304WithoutBody()
    {
        await using var server = await StartAsync();
        var (first, _, _) = await GetCardAsync(server);
        var etag = first.Headers.ETag;
        Assert.NotNull(etag);
        Assert.False(etag.IsWeak);

        var (same, _, body) = await GetCardAsync(server, configure: r => r.Headers.IfNoneMatch.Add(etag));
        var (weak, _, _) = await GetCardAsync(server, configure: r => r.Headers.IfNoneMatch.Add(new EntityTagHeaderValue(etag.Tag, isWeak: true)));
        var (any, _, _) = await GetCardAsync(server, configure: r => r.Headers.TryAddWithoutValidation("If-None-Match", "*"));
        var (other, _, _) = await GetCardAsync(server, configure: r => r.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"something-else\"")));

        Assert.Equal(HttpStatusCode.NotModified, same.StatusCode);
        Assert.Equal("", body);
        Assert.Equal(etag, same.Headers.ETag);
        Assert.Equal(HttpStatusCode.NotModified, weak.StatusCode);
        Assert.Equal(HttpStatusCode.NotModified, any.StatusCode);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Equal(etag, other.Headers.ETag);
    }

    [Fact]
    public async Task Card_HasLastModified_IfModifiedSinceAnswers304_IfNoneMatchTakesPrecedence()
    {
        await using var server = await StartAsync();
        var (first, _, _) = await GetCardAsync(server);
        var lastModified = first.Content.Headers.LastModified;
        Assert.NotNull(lastModified);
        Assert.True(lastModified <= DateTimeOffset.UtcNow);

        var (same, _, body) = await GetCardAsync(server, configure: r => r.Headers.IfModifiedSince = lastModified);
        var (later, _, _) = await GetCardAsync(server, configure: r => r.Headers.IfModifiedSince = lastModified.Value.AddHours(1));
        var (earlier, _, _) = await GetCardAsync(server, configure: r => r.Headers.IfModifiedSince = lastModified.Value.AddSeconds(-1));
        var (unreadable, _, _) = await GetCardAsync(server, configure: r => r.Headers.TryAddWithoutValidation("If-Modified-Since", "yesterday"));

        // With If-None-Match, If-Modified-Since is not evaluated (RFC 9110 13.2.2): a different tag means 200.
        var (otherTag, _, _) = await GetCardAsync(server, configure: r =>
        {
            r.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"something-else\""));
            r.Headers.IfModifiedSince = lastModified;
        });

        Assert.Equal(HttpStatusCode.NotModified, same.StatusCode);
        Assert.Equal("", body);
        Assert.Equal(HttpStatusCode.NotModified, later.StatusCode);
        Assert.Equal(HttpStatusCode.OK, earlier.StatusCode);
        Assert.Equal(HttpStatusCode.OK, unreadable.StatusCode);
        Assert.Equal(HttpStatusCode.OK, otherTag.StatusCode);
        Assert.Equal(lastModified, otherTag.Content.Headers.LastModified);
    }

    [Fact]
    public async Task Card_ChangedConfiguration_ChangesTheETag()
    {
        await using var first = await StartAsync(o => o.PublicBaseUrl = new Uri("https://agents.example.com/"));
        await using var second = await StartAsync(o =>
        {
            o.PublicBaseUrl = new Uri("https://agents.example.com/");
            o.Card = o.Card with { Description = "Another description." };
        });

        var (a, _, _) = await GetCardAsync(first);
        var (b, _, _) = await GetCardAsync(second);

        Assert.NotEqual(a.Headers.ETag, b.Headers.ETag);
    }

    [Fact]
    public async Task Card_ForeignHostHeader_UrlsStayOnTheListeningAddress()
    {
        await using var server = await StartAsync();

        var (response, card, text) = await GetCardAsync(server, configure: r => r.Headers.Host = "attacker.example:8443");

        Assert.DoesNotContain("attacker", text, StringComparison.Ordinal);
        Assert.Equal(server.BaseAddress.ToString(), card.GetProperty("url").GetString());
        Assert.Equal(server.BaseAddress.ToString(), card.GetProperty("supportedInterfaces")[0].GetProperty("url").GetString());
        Assert.True(response.Headers.CacheControl!.Public);
    }

    [Fact]
    public async Task Card_HostNamingTheListeningAddress_IsUsedAndCacheable()
    {
        await using var server = await StartAsync();

        var (response, card, _) = await GetCardAsync(server);

        Assert.Equal(server.BaseAddress.ToString(), card.GetProperty("url").GetString());
        Assert.True(response.Headers.CacheControl!.Public);
        Assert.Equal(TimeSpan.FromSeconds(60), response.Headers.CacheControl.MaxAge);
    }

    [Fact]
    public async Task Card_PublicBaseUrlConfigured_UrlsComeFromIt()
    {
        await using var server = await StartAsync(o => o.PublicBaseUrl = new Uri("https://agents.example.com/team/"));

        var (response, card, _) = await GetCardAsync(server, configure: r => r.Headers.Host = "attacker.example");

        Assert.Equal("https://agents.example.com/team/", card.GetProperty("url").GetString());
        Assert.All(card.GetProperty("supportedInterfaces").EnumerateArray(), i => Assert.Equal("https://agents.example.com/team/", i.GetProperty("url").GetString()));
        Assert.True(response.Headers.CacheControl!.Public);
    }

    [Fact]
    public async Task Card_ListeningOnEveryInterface_UsesTheConnectionsAddressNotTheHostHeaderAndIsNotShared()
    {
        await using var server = await StartAsync(urls: "http://0.0.0.0:0");

        var (response, card, text) = await GetCardAsync(server, configure: r => r.Headers.Host = "attacker.example:" + server.BaseAddress.Port);

        Assert.DoesNotContain("attacker", text, StringComparison.Ordinal);
        Assert.Equal(server.BaseAddress.ToString(), card.GetProperty("url").GetString());
        Assert.True(response.Headers.CacheControl!.Private);
        Assert.False(response.Headers.CacheControl.Public);
    }

    [Fact]
    public async Task Card_ConfiguredInterfaces_KeptAndTheirV03OneIsTheMainUrl()
    {
        await using var server = await StartAsync(o => o.Card = o.Card with
        {
            SupportedInterfaces =
            [
                new AgentInterface { Url = "https://a.example/v1", ProtocolBinding = "JSONRPC", ProtocolVersion = "1.0" },
                new AgentInterface { Url = "https://a.example/v03", ProtocolBinding = "JSONRPC", ProtocolVersion = "0.3" },
            ],
        });

        var (_, card, _) = await GetCardAsync(server);

        Assert.Equal(["https://a.example/v1", "https://a.example/v03"], card.GetProperty("supportedInterfaces").EnumerateArray().Select(i => i.GetProperty("url").GetString()));
        Assert.Equal("https://a.example/v03", card.GetProperty("url").GetString());
    }

    [Theory]
    [InlineData("http://127.0.0.1:5077", "http", "127.0.0.1", 5077, false)]
    [InlineData("http://localhost:5077", "http", "localhost", 5077, false)]
    [InlineData("https://[::1]:8443", "https", "[::1]", 8443, false)]
    [InlineData("http://[::]:80", "http", "[::]", 80, true)]
    [InlineData("http://0.0.0.0:5000", "http", "0.0.0.0", 5000, true)]
    [InlineData("http://+:5000", "http", "+", 5000, true)]
    [InlineData("http://*:5000/", "http", "*", 5000, true)]
    [InlineData("https://example.com", "https", "example.com", 443, false)]
    public void Parse_KestrelAddress_SchemeHostPortAndWildcard(string address, string scheme, string host, int port, bool wildcard)
    {
        var parsed = Assert.Single(CardAddress.Parse([address]));

        Assert.Equal((scheme, host, port, wildcard), (parsed.Scheme, parsed.Host, parsed.Port, parsed.IsWildcard));
    }

    [Fact]
    public void Parse_UnixSocket_Skipped()
    {
        Assert.Empty(CardAddress.Parse(["http://unix:/tmp/herald.sock"]));
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Herald.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (Herald.slnx) was not found above the test assembly.");
    }
}
