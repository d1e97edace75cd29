using System.Net;
using System.Text;
using System.Text.Json;
using Herald.Protocol;

namespace Herald.AspNetCore.Tests.HostileInput;

/// <summary>
/// One depth rule: a request nested exactly <c>MaxJsonDepth</c> levels is accepted, and what was accepted is stored, streamed
/// and read back however much deeper its envelopes nest it; one level more is a clean -32600 (REST: 400), never a 500.
/// </summary>
public sealed class DepthLimitTests : IAsyncLifetime
{
    private const int Limit = 64;
    private HeraldTestServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await HeraldTestServer.StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync("done", ct).AsTask()));

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static readonly JsonDocumentOptions Deep = new() { MaxDepth = 1000 };

    /// <summary>Parses an answer that nests deeper than the default reader limit (64).</summary>
    private static JsonElement Parse(string text) => JsonDocument.Parse(text, Deep).RootElement;

    private async Task<JsonElement> PostAsync(string body)
    {
        using var response = await _server.PostAsync(body);
        var text = await response.Content.ReadAsStringAsync();
        HeraldTestServer.AssertNoInternals(text);
        return Parse(text);
    }

    /// <summary>Metadata whose value nests <paramref name="arrays"/> arrays around a number.</summary>
    private static string Metadata(int arrays) => "{\"k\":" + new string('[', arrays) + "1" + new string(']', arrays) + "}";

    private static int Depth(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Array => 1 + element.EnumerateArray().Select(Depth).DefaultIfEmpty(0).Max(),
        JsonValueKind.Object => 1 + element.EnumerateObject().Select(p => Depth(p.Value)).DefaultIfEmpty(0).Max(),
        _ => 0,
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task JsonRpc_MessageMetadataAtTheLimit_IsStoredStreamedAndReadBack(bool streaming)
    {
        // root(1) params(2) message(3) metadata(4) + arrays: exactly the limit.
        var arrays = Limit - 4;
        var body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + (streaming ? "SendStreamingMessage" : "SendMessage") + "\",\"params\":{\"message\":"
            + "{\"messageId\":\"m\",\"role\":\"ROLE_USER\",\"parts\":[{\"text\":\"hi\"}],\"metadata\":" + Metadata(arrays) + "}}}";
        Assert.Equal(Limit, Depth(Parse(body)));

        string taskId;
        if (streaming)
        {
            using var request = _server.NewPost(body);
            request.Headers.Accept.ParseAdd("text/event-stream");
            await using var stream = await SseStream.OpenAsync(_server.Client, request);
            var events = await stream.ReadToEndAsync();
            Assert.All(events, e => Assert.DoesNotContain("\"error\"", e.Data, StringComparison.Ordinal));
            taskId = Parse(events[0].Data).GetProperty("result").GetProperty("task").GetProperty("id").GetString()!;
            Assert.Contains("TASK_STATE_COMPLETED", events[^1].Data, StringComparison.Ordinal);
        }
        else
        {
            var response = await PostAsync(body);
            Assert.False(response.TryGetProperty("error", out var error), $"refused: {error}");
            taskId = response.GetProperty("result").GetProperty("task").GetProperty("id").GetString()!;
        }

        var task = (await PostAsync("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"GetTask\",\"params\":{\"id\":\"" + taskId + "\"}}")).GetProperty("result");
        var metadata = task.GetProperty("history")[0].GetProperty("metadata");
        Assert.Equal(arrays + 1, Depth(metadata));
    }

    [Fact]
    public async Task JsonRpc_OneLevelPastTheLimit_InvalidRequest()
    {
        var body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"SendMessage\",\"params\":{\"message\":"
            + "{\"messageId\":\"m\",\"role\":\"ROLE_USER\",\"parts\":[{\"text\":\"hi\"}],\"metadata\":" + Metadata(Limit - 3) + "}}}";

        var response = await PostAsync(body);

        HeraldTestServer.AssertError(response, A2AErrorCodes.InvalidRequest);
    }

    [Theory]
    [InlineData(0, HttpStatusCode.OK)]
    [InlineData(1, HttpStatusCode.BadRequest)]
    public async Task Rest_MessageMetadataAtTheLimitAccepted_OnePastRefusedWith400(int past, HttpStatusCode expected)
    {
        // root(1) message(2) metadata(3) + arrays.
        var body = "{\"message\":{\"messageId\":\"m\",\"role\":\"ROLE_USER\",\"parts\":[{\"text\":\"hi\"}],\"metadata\":" + Metadata(Limit - 3 + past) + "}}";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/message:send") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("A2A-Version", "1.0");

        using var response = await _server.Client.SendAsync(request).Within();
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(expected == response.StatusCode, $"HTTP {(int)response.StatusCode}: {text}");
        HeraldTestServer.AssertNoInternals(text);
        if (expected == HttpStatusCode.OK)
        {
            Assert.Equal("TASK_STATE_COMPLETED", Parse(text).GetProperty("task").GetProperty("status").GetProperty("state").GetString());
        }
    }
}
