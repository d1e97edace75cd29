using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Herald.Protocol;

namespace Herald.AspNetCore.Tests.HostileInput;

/// <summary>
/// The checked-in corpus of hostile requests (<c>HostileInput/corpus.json</c>: the bytes sent, the answer
/// expected) against a real server, one after the other: <c>cases</c> on the JSON-RPC endpoint, <c>restCases</c>
/// on the HTTP+JSON/REST routes. Then the server must still serve a normal request on both bindings and every
/// task read must still be valid JSON: nothing poisonous was stored.
/// </summary>
public sealed class HostileInputTests : IAsyncLifetime
{
    private HeraldTestServer _server = null!;

    public static TheoryData<string> Cases() => Names("cases");

    public static TheoryData<string> RestCases() => Names("restCases");

    private static JsonDocument Corpus { get; } = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "HostileInput", "corpus.json")));

    public async Task InitializeAsync() =>
        _server = await HeraldTestServer.StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync("ok", ct).AsTask()));

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Case_AnsweredAsExpected_AndTheServerStaysSound(string name)
    {
        var c = Find("cases", name);

        using var response = await SendAsync(_server, c);
        var text = await response.Content.ReadAsStringAsync();

        var expect = c.GetProperty("status").GetInt32();
        Assert.True((int)response.StatusCode == expect, $"{name}: HTTP {(int)response.StatusCode}, expected {expect}: {Cut(text)}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        HeraldTestServer.AssertNoInternals(text);
        using var body = JsonDocument.Parse(text); // complete, valid JSON: never half-written
        var error = HeraldTestServer.AssertError(body.RootElement, c.GetProperty("code").GetInt32());
        if (c.TryGetProperty("field", out var field))
        {
            Assert.Equal(field.GetString(), SubscribeToTaskTests.FieldViolation(error));
        }

        if (c.TryGetProperty("idNull", out var idNull) && idNull.GetBoolean())
        {
            Assert.Equal(JsonValueKind.Null, body.RootElement.GetProperty("id").ValueKind);
        }

        if (c.TryGetProperty("maxMessage", out var maxMessage))
        {
            Assert.InRange(error.GetProperty("message").GetString()!.Length, 1, maxMessage.GetInt32());
            Assert.InRange(text.Length, 1, 4 * maxMessage.GetInt32() + 1024);
        }

        await AssertStillSoundAsync(_server);
    }

    [Theory]
    [MemberData(nameof(RestCases))]
    public async Task RestCase_AnsweredAsExpected_AndTheServerStaysSound(string name)
    {
        var c = Find("restCases", name);

        using var response = await SendRestAsync(_server, c);

        var expect = c.GetProperty("status").GetInt32();
        Assert.True((int)response.StatusCode == expect, $"{name}: HTTP {(int)response.StatusCode}, expected {expect}: {Cut(await response.Content.ReadAsStringAsync())}");

        // A google.rpc.Status body, complete and valid JSON, with the spec's status for its error (RestWire's checks).
        var error = await RestWire.ReadErrorAsync(response);
        Assert.True(c.GetProperty("code").GetInt32() == error.Code, $"{name}: expected A2A error {c.GetProperty("code").GetInt32()}, got {error}");
        if (c.TryGetProperty("field", out var field))
        {
            Assert.Equal(field.GetString(), error.Field);
        }

        if (c.TryGetProperty("maxMessage", out var maxMessage))
        {
            Assert.InRange(error.Message.Length, 1, maxMessage.GetInt32());
            Assert.InRange(error.Raw.Length, 1, 4 * maxMessage.GetInt32() + 1024);
        }

        await AssertStillSoundAsync(_server);
    }

    [Fact]
    public async Task WholeCorpus_ThenNormalRequests_AllTaskReadsStayValid()
    {
        foreach (var c in Corpus.RootElement.GetProperty("cases").EnumerateArray())
        {
            using var response = await SendAsync(_server, c);
            Assert.NotEqual(HttpStatusCode.InternalServerError, response.StatusCode);
        }

        foreach (var c in Corpus.RootElement.GetProperty("restCases").EnumerateArray())
        {
            using var response = await SendRestAsync(_server, c);
            Assert.NotEqual(HttpStatusCode.InternalServerError, response.StatusCode);
        }

        await AssertStillSoundAsync(_server);
        Assert.DoesNotContain(_server.Logs.Entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
    }

    /// <summary>On each binding, a normal send succeeds; GetTask and every ListTasks page are answered (and the drivers check them).</summary>
    internal static async Task AssertStillSoundAsync(HeraldTestServer server)
    {
        foreach (var wire in (A2AWire[])[WireBindings.JsonRpc.Connect(server), WireBindings.Rest.Connect(server)])
        {
            var task = await wire.SendBlockingAsync("after the storm");
            Assert.Equal("TASK_STATE_COMPLETED", task.GetProperty("status").GetProperty("state").GetString());
            await wire.GetTaskAsync(task.GetProperty("id").GetString()!);
            string? token = null;
            do
            {
                var request = new System.Text.Json.Nodes.JsonObject { ["pageSize"] = 100, ["includeArtifacts"] = true };
                if (token is not null)
                {
                    request["pageToken"] = token;
                }

                var page = await wire.ListTasksAsync(request);
                token = page.GetProperty("nextPageToken").GetString();
            }
            while (!string.IsNullOrEmpty(token));
        }
    }

    internal static async Task<HttpResponseMessage> SendAsync(HeraldTestServer server, JsonElement c)
    {
        var bytes = Body(c);
        var chunked = c.TryGetProperty("chunked", out var ch) && ch.GetBoolean();
        using var request = new HttpRequestMessage(HttpMethod.Post, server.RpcPath)
        {
            Content = chunked ? new ChunkedBody(bytes) : new ByteArrayContent(bytes),
        };
        var contentType = c.TryGetProperty("contentType", out var ct) ? ct.GetString() : "application/json";
        if (!string.IsNullOrEmpty(contentType))
        {
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        request.Headers.TryAddWithoutValidation("A2A-Version", "1.0");
        AddHeaders(request, c);
        return await server.Client.SendAsync(request).Within();
    }

    /// <summary>A REST case: its method and path under the server's pattern, its body (if any) as application/a2a+json unless it says otherwise.</summary>
    internal static async Task<HttpResponseMessage> SendRestAsync(HeraldTestServer server, JsonElement c)
    {
        var method = c.TryGetProperty("method", out var m) ? new HttpMethod(m.GetString()!) : HttpMethod.Post;
        using var request = new HttpRequestMessage(method, server.RpcPath.TrimEnd('/') + Fill(c.GetProperty("path").GetString()!, c, onlyFirst: true));
        if (c.TryGetProperty("body", out _) || c.TryGetProperty("bodyHex", out _))
        {
            var bytes = Body(c);
            request.Content = c.TryGetProperty("chunked", out var ch) && ch.GetBoolean() ? new ChunkedBody(bytes) : new ByteArrayContent(bytes);
            var contentType = c.TryGetProperty("contentType", out var ct) ? ct.GetString() : RestWire.A2AJson;
            if (!string.IsNullOrEmpty(contentType))
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            }
        }

        request.Headers.TryAddWithoutValidation("A2A-Version", "1.0");
        AddHeaders(request, c);
        return await server.Client.SendAsync(request).Within();
    }

    private static void AddHeaders(HttpRequestMessage request, JsonElement c)
    {
        if (c.TryGetProperty("headers", out var headers))
        {
            foreach (var header in headers.EnumerateObject())
            {
                request.Headers.Remove(header.Name);
                request.Headers.TryAddWithoutValidation(header.Name, Fill(header.Value.GetString()!, c, onlyFirst: true));
            }
        }
    }

    private static JsonElement Find(string section, string name) =>
        Corpus.RootElement.GetProperty(section).EnumerateArray().Single(x => x.GetProperty("name").GetString() == name);

    private static TheoryData<string> Names(string section)
    {
        var data = new TheoryData<string>();
        foreach (var c in Corpus.RootElement.GetProperty(section).EnumerateArray())
        {
            data.Add(c.GetProperty("name").GetString()!);
        }

        return data;
    }

    private static byte[] Body(JsonElement c)
    {
        if (c.TryGetProperty("bodyHex", out var hex))
        {
            return Convert.FromHexString(hex.GetString()!);
        }

        return Encoding.UTF8.GetBytes(Fill(c.GetProperty("body").GetString()!, c, onlyFirst: false));
    }

    /// <summary>Replaces "@@" with the fill text repeated (and a second "@@" with its "then" text, for nesting).</summary>
    private static string Fill(string template, JsonElement c, bool onlyFirst)
    {
        if (!c.TryGetProperty("fill", out var fill) || !template.Contains("@@", StringComparison.Ordinal))
        {
            return template;
        }

        var count = fill.GetProperty("count").GetInt32();
        var first = template.IndexOf("@@", StringComparison.Ordinal);
        var result = template[..first] + string.Concat(Enumerable.Repeat(fill.GetProperty("text").GetString(), count)) + template[(first + 2)..];
        if (!onlyFirst && fill.TryGetProperty("then", out var then))
        {
            var second = result.IndexOf("@@", StringComparison.Ordinal);
            result = result[..second] + string.Concat(Enumerable.Repeat(then.GetString(), count)) + result[(second + 2)..];
        }

        return result;
    }

    private static string Cut(string text) => text.Length <= 300 ? text : text[..300] + "...";

    private sealed class ChunkedBody(byte[] bytes) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            for (var offset = 0; offset < bytes.Length; offset += 64 * 1024)
            {
                await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(64 * 1024, bytes.Length - offset)));
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
