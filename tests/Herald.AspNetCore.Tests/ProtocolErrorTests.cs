using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.AspNetCore.Tests;

public sealed class ProtocolErrorTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await TestServer.StartAsync(
            async (c, ct) => await c.CompleteAsync("done", ct),
            o => o.MaxRequestBodyBytes = 16 * 1024);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<JsonElement> PostRawAsync(string body, string? version = "1.0", string path = "")
    {
        using var response = await _server.Http.SendAsync(TestServer.Request(body, path, version));
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal); // no exception type or stack trace
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    [Theory]
    [InlineData("{\"jsonrpc\":\"2.0\",", -32700)]
    [InlineData("not json", -32700)]
    [InlineData("", -32600)]
    [InlineData("42", -32600)]
    [InlineData("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"GetTask\"}]", -32600)]
    [InlineData("{\"id\":1,\"method\":\"GetTask\",\"params\":{}}", -32600)]
    [InlineData("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"GetTask\",\"params\":{}}", -32600)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"params\":{}}", -32600)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":{\"a\":1},\"method\":\"GetTask\"}", -32600)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"GetTask\",\"params\":{\"id\":\"x\"}}", -32600)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tasks/get\",\"params\":{}}", -32601)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"GetTask\",\"params\":[1]}", -32602)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"GetTask\",\"params\":{}}", -32602)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"GetTask\",\"params\":{\"id\":\"x\",\"historyLength\":-1}}", -32602)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ListTasks\",\"params\":{\"status\":\"TASK_STATE_RUNNING\"}}", -32602)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ListTasks\",\"params\":{\"pageSize\":101}}", -32602)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ListTasks\",\"params\":{\"pageSize\":0}}", -32602)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ListTasks\",\"params\":{\"pageToken\":\"garbage!\"}}", -32602)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"SendMessage\",\"params\":{}}", -32602)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"SendMessage\",\"params\":{\"message\":{\"messageId\":\"m\",\"role\":\"ROLE_USER\",\"parts\":[]}}}", -32602)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"SendMessage\",\"params\":{\"message\":{\"messageId\":\"m\",\"role\":\"ROLE_AGENT\",\"parts\":[{\"text\":\"x\"}]}}}", -32602)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"SendMessage\",\"params\":{\"message\":{\"messageId\":\"m\",\"role\":\"ROLE_USER\",\"parts\":[{\"text\":\"x\",\"url\":\"http://a\"}]}}}", -32602)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"GetTask\",\"params\":{\"id\":\"missing\"}}", -32001)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"CancelTask\",\"params\":{\"id\":\"missing\"}}", -32001)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"CreateTaskPushNotificationConfig\",\"params\":{}}", -32003)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"GetTaskPushNotificationConfig\",\"params\":{}}", -32003)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ListTaskPushNotificationConfigs\",\"params\":{}}", -32003)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"DeleteTaskPushNotificationConfig\",\"params\":{}}", -32003)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"GetExtendedAgentCard\"}", -32004)]
    public async Task Post_InvalidOrUnsupported_AnswersWithTheSpecErrorCode(string body, int code)
    {
        var response = await PostRawAsync(body);

        Assert.Equal("2.0", response.GetProperty("jsonrpc").GetString());
        var error = response.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        var info = error.GetProperty("data")[0];
        Assert.Equal("type.googleapis.com/google.rpc.ErrorInfo", info.GetProperty("@type").GetString());
    }

    [Fact]
    public async Task SendMessage_MissingMessageId_NamesTheFieldInMessageAndBadRequest()
    {
        var response = await PostRawAsync("""{"jsonrpc":"2.0","id":5,"method":"SendMessage","params":{"message":{"role":"ROLE_USER","parts":[{"text":"x"}]}}}""");

        var error = response.GetProperty("error");
        Assert.Equal(5, response.GetProperty("id").GetInt32());
        Assert.Contains("messageId", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        var violation = error.GetProperty("data").EnumerateArray()
            .Single(d => d.GetProperty("@type").GetString() == "type.googleapis.com/google.rpc.BadRequest")
            .GetProperty("fieldViolations")[0];
        Assert.EndsWith("message.messageId", violation.GetProperty("field").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("0.3")]
    [InlineData("2.0")]
    public async Task Post_UnsupportedVersion_VersionNotSupportedNamingSupportedVersions(string? version)
    {
        var response = await PostRawAsync("""{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":"x"}}""", version);

        var error = response.GetProperty("error");
        Assert.Equal(-32009, error.GetProperty("code").GetInt32());
        Assert.Contains("1.0", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_VersionAsQueryParameter_IsAccepted()
    {
        var response = await PostRawAsync("""{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":"x"}}""", version: null, path: "?A2A-Version=1.0");

        Assert.Equal(-32001, response.GetProperty("error").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Post_BodyOverLimitWithContentLength_Http413WithJsonRpcError()
    {
        var body = TestServer.Envelope("SendMessage", TestServer.SendParams(new string('a', 20 * 1024)));
        using var response = await _server.Http.SendAsync(TestServer.Request(body));
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(-32600, document.RootElement.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Contains("16384", document.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_ChunkedBodyOverLimit_Http413WithJsonRpcError()
    {
        var bytes = Encoding.UTF8.GetBytes(TestServer.Envelope("SendMessage", TestServer.SendParams(new string('a', 40 * 1024))));
        using var request = new HttpRequestMessage(HttpMethod.Post, "") { Content = new StreamContent(new NonSeekableStream(bytes)) };
        request.Headers.Add("A2A-Version", "1.0");
        request.Headers.TransferEncodingChunked = true;

        using var response = await _server.Http.SendAsync(request);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(-32600, document.RootElement.GetProperty("error").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Post_JsonDeeperThanLimit_InvalidRequestNamingTheLimit()
    {
        var deep = new string('[', 100) + new string(']', 100);
        var response = await PostRawAsync("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"GetTask\",\"params\":{\"id\":\"x\",\"metadata\":" + deep + "}}");

        var error = response.GetProperty("error");
        Assert.Equal(-32600, error.GetProperty("code").GetInt32());
        Assert.Contains("64", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendMessage_BlockingAndImmediateAndHistoryLength_FollowTheSpec()
    {
        var blocking = (await _server.CallAsync("SendMessage", TestServer.SendParams("x"))).GetProperty("result").GetProperty("task");
        var noHistory = (await _server.CallAsync("SendMessage", TestServer.SendParams("x").Replace("}}", "},\"configuration\":{\"historyLength\":0}}", StringComparison.Ordinal)))
            .GetProperty("result").GetProperty("task");

        Assert.Equal("TASK_STATE_COMPLETED", blocking.GetProperty("status").GetProperty("state").GetString());
        Assert.Equal(2, blocking.GetProperty("history").GetArrayLength()); // user message + agent's final message
        Assert.False(noHistory.TryGetProperty("history", out _));
    }

    [Fact]
    public async Task ListTasks_Paging_TokenAlwaysPresentAndEmptyOnLastPage()
    {
        var context = Guid.NewGuid().ToString();
        for (var i = 0; i < 3; i++)
        {
            await _server.CallAsync("SendMessage", TestServer.SendParams("x", $",\"contextId\":\"{context}\""));
        }

        var seen = new List<string>();
        var token = "";
        var pages = 0;
        do
        {
            var page = (await _server.CallAsync("ListTasks", $$"""{"contextId":"{{context}}","pageSize":2,"pageToken":"{{token}}"}""")).GetProperty("result");
            Assert.Equal(3, page.GetProperty("totalSize").GetInt32());
            seen.AddRange(page.GetProperty("tasks").EnumerateArray().Select(t =>
            {
                Assert.False(t.TryGetProperty("artifacts", out _));
                return t.GetProperty("id").GetString()!;
            }));
            token = page.GetProperty("nextPageToken").GetString()!;
            pages++;
        }
        while (token.Length > 0 && pages < 5);

        Assert.Equal(2, pages);
        Assert.Equal(3, seen.Distinct().Count());
        var completed = (await _server.CallAsync("ListTasks", $$"""{"contextId":"{{context}}","status":"TASK_STATE_WORKING"}""")).GetProperty("result");
        Assert.Equal(0, completed.GetProperty("totalSize").GetInt32());
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}

public sealed class HostingTests
{
    [Fact]
    public async Task AgentCard_ServedAtWellKnownPath_TellsTheTruthAboutInterfacesAndCapabilities()
    {
        await using var server = await TestServer.StartAsync((c, ct) => Task.CompletedTask);

        using var document = JsonDocument.Parse(await server.Http.GetStringAsync(".well-known/agent-card.json"));
        var card = document.RootElement;

        Assert.True(card.GetProperty("capabilities").GetProperty("streaming").GetBoolean());
        Assert.False(card.GetProperty("capabilities").GetProperty("pushNotifications").GetBoolean());
        var endpoint = card.GetProperty("supportedInterfaces")[0];
        Assert.Equal(server.BaseAddress.ToString(), endpoint.GetProperty("url").GetString());
        Assert.Equal("JSONRPC", endpoint.GetProperty("protocolBinding").GetString());
        Assert.Equal("1.0", endpoint.GetProperty("protocolVersion").GetString());
    }

    [Fact]
    public async Task MapHerald_WithPattern_ServesRpcAndCardUnderIt()
    {
        await using var server = await TestServer.StartAsync(async (c, ct) => await c.CompleteAsync(cancellationToken: ct), pattern: "/a2a");

        using var card = JsonDocument.Parse(await server.Http.GetStringAsync("a2a/.well-known/agent-card.json"));
        using var response = await server.Http.SendAsync(TestServer.Request(TestServer.Envelope("SendMessage", TestServer.SendParams("x")), path: "a2a"));
        using var result = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.EndsWith("/a2a", card.RootElement.GetProperty("supportedInterfaces")[0].GetProperty("url").GetString(), StringComparison.Ordinal);
        Assert.Equal("TASK_STATE_COMPLETED", result.RootElement.GetProperty("result").GetProperty("task").GetProperty("status").GetProperty("state").GetString());
    }

    [Fact]
    public void MapHerald_WithoutAddHerald_ThrowsWithGuidance()
    {
        var app = WebApplication.CreateSlimBuilder().Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapHerald());

        Assert.Contains("AddHerald", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MapHerald_WithoutAgent_ThrowsWithGuidance()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddHerald();
        var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapHerald());

        Assert.Contains("AddAgent", error.Message, StringComparison.Ordinal);
    }
}
