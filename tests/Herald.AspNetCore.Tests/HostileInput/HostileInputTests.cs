using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Herald.Protocol;

namespace Herald.AspNetCore.Tests.HostileInput;

/// <summary>
/// The checked-in corpus of hostile requests (<c>HostileInput/corpus.json</c>: the bytes sent, the answer
/// expected) against a real server, one after the other; then the server must still serve a normal request
/// and every task read must still be valid JSON: nothing poisonous was stored.
/// </summary>
public sealed class HostileInputTests : IAsyncLifetime
{
    private HeraldTestServer _server = null!;

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in Corpus.RootElement.GetProperty("cases").EnumerateArray())
        {
            data.Add(c.GetProperty("name").GetString()!);
        }

        return data;
    }

    private static JsonDocument Corpus { get; } = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "HostileInput", "corpus.json")));

    public async Task InitializeAsync() =>
        _server = await HeraldTestServer.StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync("ok", ct).AsTask()));

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Case_AnsweredAsExpected_AndTheServerStaysSound(string name)
    {
        var c = Corpus.RootElement.GetProperty("cases").EnumerateArray().Single(x => x.GetProperty("name").GetString() == name);

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

    [Fact]
    public async Task WholeCorpus_ThenNormalRequests_AllTaskReadsStayValid()
    {
        foreach (var c in Corpus.RootElement.GetProperty("cases").EnumerateArray())
        {
            using var response = await SendAsync(_server, c);
            Assert.NotEqual(HttpStatusCode.InternalServerError, response.StatusCode);
        }

        await AssertStillSoundAsync(_server);
        Assert.DoesNotContain(_server.Logs.Entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
    }

    /// <summary>A normal send succeeds; GetTask and every ListTasks page parse as JSON.</summary>
    internal static async Task AssertStillSoundAsync(HeraldTestServer server)
    {
        var task = await server.SendBlockingAsync("after the storm");
        Assert.Equal("TASK_STATE_COMPLETED", task.GetProperty("status").GetProperty("state").GetString());
        await server.GetTaskAsync(task.GetProperty("id").GetString()!);
        string? token = null;
        do
        {
            var parameters = new System.Text.Json.Nodes.JsonObject { ["pageSize"] = 100, ["includeArtifacts"] = true };
            if (token is not null)
            {
                parameters["pageToken"] = token;
            }

            var page = await server.ResultAsync("ListTasks", parameters);
            token = page.GetProperty("nextPageToken").GetString();
        }
        while (!string.IsNullOrEmpty(token));
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
        if (c.TryGetProperty("headers", out var headers))
        {
            foreach (var header in headers.EnumerateObject())
            {
                request.Headers.Remove(header.Name);
                request.Headers.TryAddWithoutValidation(header.Name, Fill(header.Value.GetString()!, c, onlyFirst: true));
            }
        }

        return await server.Client.SendAsync(request).Within();
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
