using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.AspNetCore.Tests;

/// <summary>Every JSON-RPC error the binding produces: code, id, ErrorInfo/BadRequest details, nothing internal.</summary>
public sealed class JsonRpcErrorTests : IAsyncLifetime
{
    private HeraldTestServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await HeraldTestServer.StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync("done", ct).AsTask()));

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("{\"jsonrpc\":\"2.0\",", "PARSE_ERROR")]
    [InlineData("not json", "PARSE_ERROR")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"GetTask\",}", "PARSE_ERROR")]
    public async Task Post_BrokenJson_ParseErrorWithNullId(string body, string reason)
    {
        var response = await _server.PostJsonAsync(body);

        var error = HeraldTestServer.AssertError(response, A2AErrorCodes.ParseError);
        Assert.Equal(JsonValueKind.Null, response.GetProperty("id").ValueKind);
        Assert.Equal(reason, error.GetProperty("data")[0].GetProperty("reason").GetString());
    }

    [Theory]
    [InlineData("", "empty", "null")]
    [InlineData("42", "object", "null")]
    [InlineData("\"GetTask\"", "object", "null")]
    [InlineData("null", "object", "null")]
    [InlineData("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"GetTask\",\"params\":{\"id\":\"x\"}}]", "Batch", "null")]
    [InlineData("{\"id\":1,\"method\":\"GetTask\",\"params\":{\"id\":\"x\"}}", "jsonrpc", "1")]
    [InlineData("{\"jsonrpc\":\"1.0\",\"id\":\"a-1\",\"method\":\"GetTask\",\"params\":{\"id\":\"x\"}}", "jsonrpc", "\"a-1\"")]
    [InlineData("{\"jsonrpc\":2.0,\"id\":1,\"method\":\"GetTask\",\"params\":{\"id\":\"x\"}}", "jsonrpc", "1")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"params\":{\"id\":\"x\"}}", "method", "1")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":7.5,\"method\":7}", "method", "7.5")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":{\"a\":1},\"method\":\"GetTask\"}", "id", "null")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"GetTask\"}", "id", "null")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"GetTask\"}", "id", "null")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"GetTask\",\"params\":{\"id\":\"x\"}}", "id", "null")]
    public async Task Post_NotAValidRequestObject_InvalidRequestWithTheIdWhenReadable(string body, string mentioned, string id)
    {
        var response = await _server.PostJsonAsync(body);

        var error = HeraldTestServer.AssertError(response, A2AErrorCodes.InvalidRequest);
        Assert.Equal(id, response.GetProperty("id").GetRawText());
        Assert.Contains(mentioned, error.GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal("INVALID_REQUEST", error.GetProperty("data")[0].GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Post_UnknownMethod_MethodNotFoundEchoingIdAndMethod()
    {
        var response = await _server.PostJsonAsync("""{"jsonrpc":"2.0","id":"abc","method":"tasks/list","params":{"id":"x"}}""");

        var error = HeraldTestServer.AssertError(response, A2AErrorCodes.MethodNotFound);
        Assert.Equal("abc", response.GetProperty("id").GetString());
        Assert.Contains("tasks/list", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GetTask", "[1]", "params")]
    [InlineData("GetTask", "\"x\"", "params")]
    [InlineData("ListTasks", "{\"status\":\"TASK_STATE_RUNNING\"}", "status")]
    [InlineData("ListTasks", "{\"pageSize\":\"many\"}", "pageSize")]
    [InlineData("SendMessage", "{\"message\":{\"messageId\":\"m\",\"role\":\"ROLE_ROBOT\",\"parts\":[{\"text\":\"x\"}]}}", "message.role")]
    [InlineData("SendMessage", "{}", "message")]
    [InlineData("SendMessage", "{\"message\":{\"messageId\":\"\",\"role\":\"ROLE_USER\",\"parts\":[{\"text\":\"x\"}]}}", "message.messageId")]
    [InlineData("SendMessage", "{\"message\":{\"messageId\":\"m\",\"role\":\"ROLE_USER\",\"parts\":[]}}", "message.parts")]
    [InlineData("SendMessage", "{\"message\":{\"messageId\":\"m\",\"role\":\"ROLE_AGENT\",\"parts\":[{\"text\":\"x\"}]}}", "message.role")]
    [InlineData("SendMessage", "{\"message\":{\"messageId\":\"m\",\"role\":\"ROLE_USER\",\"parts\":[{\"text\":\"x\",\"url\":\"http://a\"}]}}", "message.parts[0]")]
    [InlineData("SendMessage", "{\"message\":{\"messageId\":\"m\",\"role\":\"ROLE_USER\",\"parts\":[{\"text\":\"x\"}]},\"configuration\":{\"historyLength\":-1}}", "configuration.historyLength")]
    [InlineData("SendStreamingMessage", "{\"message\":{\"messageId\":\"m\",\"role\":\"ROLE_USER\",\"parts\":[]}}", "message.parts")]
    public async Task Post_InvalidParams_InvalidParamsNamingTheField(string method, string parameters, string field)
    {
        var response = await _server.PostJsonAsync($$"""{"jsonrpc":"2.0","id":9,"method":"{{method}}","params":{{parameters}}}""");

        var error = HeraldTestServer.AssertError(response, A2AErrorCodes.InvalidParams);
        Assert.Equal(9, response.GetProperty("id").GetInt32());
        Assert.Equal(field, SubscribeToTaskTests.FieldViolation(error));
        Assert.Contains(field, error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendMessage_MissingMessageId_NamesTheFieldInMessageAndBadRequest()
    {
        var response = await _server.PostJsonAsync("""{"jsonrpc":"2.0","id":5,"method":"SendMessage","params":{"message":{"role":"ROLE_USER","parts":[{"text":"x"}]}}}""");

        var error = HeraldTestServer.AssertError(response, A2AErrorCodes.InvalidParams);
        Assert.Equal(5, response.GetProperty("id").GetInt32());
        Assert.Contains("messageId", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        var badRequest = error.GetProperty("data").EnumerateArray().Single(d => d.GetProperty("@type").GetString() == "type.googleapis.com/google.rpc.BadRequest");
        var violation = Assert.Single(badRequest.GetProperty("fieldViolations").EnumerateArray());
        Assert.Equal("message.messageId", violation.GetProperty("field").GetString());
        Assert.False(string.IsNullOrEmpty(violation.GetProperty("description").GetString()));
    }

    [Theory]
    [InlineData("CreateTaskPushNotificationConfig")]
    [InlineData("GetTaskPushNotificationConfig")]
    [InlineData("ListTaskPushNotificationConfigs")]
    [InlineData("DeleteTaskPushNotificationConfig")]
    public async Task Post_PushNotificationMethod_PushNotificationNotSupported(string method)
    {
        var error = await _server.ErrorAsync(method, new JsonObject { ["taskId"] = "x" }, A2AErrorCodes.PushNotificationNotSupported);

        Assert.Equal("PUSH_NOTIFICATION_NOT_SUPPORTED", error.GetProperty("data")[0].GetProperty("reason").GetString());
    }

    [Fact]
    public async Task GetExtendedAgentCard_NotOffered_UnsupportedOperation()
    {
        await _server.ErrorAsync("GetExtendedAgentCard", null, A2AErrorCodes.UnsupportedOperation);
    }

    [Theory]
    [InlineData("2.0")]
    [InlineData("0.9")]
    [InlineData("1.2")]
    public async Task Post_UnsupportedVersion_VersionNotSupportedNamingTheServedOnes(string version)
    {
        var response = await _server.PostJsonAsync("""{"jsonrpc":"2.0","id":3,"method":"GetTask","params":{"id":"x"}}""", version);

        var error = HeraldTestServer.AssertError(response, A2AErrorCodes.VersionNotSupported);
        Assert.Equal(3, response.GetProperty("id").GetInt32());
        Assert.Equal("VERSION_NOT_SUPPORTED", error.GetProperty("data")[0].GetProperty("reason").GetString());
        Assert.Equal("1.0,1.1,0.3", error.GetProperty("data")[0].GetProperty("metadata").GetProperty("supportedVersions").GetString());
        Assert.Contains($"'{version}'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_LongUnsupportedVersion_EchoedTruncated()
    {
        var version = new string('9', 500);

        var response = await _server.PostJsonAsync("""{"jsonrpc":"2.0","id":3,"method":"GetTask","params":{"id":"x"}}""", version);

        var message = HeraldTestServer.AssertError(response, A2AErrorCodes.VersionNotSupported).GetProperty("message").GetString()!;
        Assert.DoesNotContain(version, message, StringComparison.Ordinal);
        Assert.Contains(new string('9', 40) + "...", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0.3")]
    public async Task Post_V1MethodWithoutVersionOrWithAnOlderOne_ServedAsV1(string? version)
    {
        // The method name identifies the generation: a v1.0 client that sends no header is still understood.
        var response = await _server.PostJsonAsync("""{"jsonrpc":"2.0","id":3,"method":"GetTask","params":{"id":"x"}}""", version);

        var error = HeraldTestServer.AssertError(response, A2AErrorCodes.TaskNotFound);
        Assert.Equal("TASK_NOT_FOUND", error.GetProperty("data")[0].GetProperty("reason").GetString());
    }

    [Theory]
    [InlineData("SendStreamingMessage")]
    [InlineData("message/stream")]
    [InlineData("tasks/sendSubscribe")]
    public async Task Post_UnsupportedVersionOnStreamingMethodAcceptingEventStream_ErrorAsTheOnlySseEvent(string method)
    {
        using var request = _server.NewPost("{\"jsonrpc\":\"2.0\",\"id\":\"s-1\",\"method\":\"" + method + "\",\"params\":{}}", "2.0");
        request.Headers.Accept.ParseAdd("text/event-stream");
        await using var stream = await SseStream.OpenAsync(_server.Client, request);

        var events = await stream.ReadToEndAsync();

        var only = Assert.Single(events);
        Assert.Null(only.Id);
        Assert.Equal("s-1", only.Json.GetProperty("id").GetString());
        HeraldTestServer.AssertError(only.Json, A2AErrorCodes.VersionNotSupported);
        Assert.StartsWith("retry: ", stream.RawText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_InvalidParamsOnStreamingMethodAcceptingEventStream_ErrorAsSseEvent()
    {
        using var request = _server.NewPost("""{"jsonrpc":"2.0","id":8,"method":"SendStreamingMessage","params":{"message":{"messageId":"m","role":"ROLE_USER","parts":[]}}}""");
        request.Headers.Accept.ParseAdd("text/event-stream");
        await using var stream = await SseStream.OpenAsync(_server.Client, request);

        var only = Assert.Single(await stream.ReadToEndAsync());

        var error = HeraldTestServer.AssertError(only.Json, A2AErrorCodes.InvalidParams);
        Assert.Equal(8, only.Json.GetProperty("id").GetInt32());
        Assert.Equal("message.parts", SubscribeToTaskTests.FieldViolation(error));
    }

    [Fact]
    public async Task Post_InvalidEnvelopeOfStreamingMethodAcceptingEventStream_ErrorAsSseEventWithTheId()
    {
        using var request = _server.NewPost("""{"jsonrpc":"1.0","id":9,"method":"SubscribeToTask","params":{"id":"x"}}""");
        request.Headers.Accept.ParseAdd("text/event-stream");
        await using var stream = await SseStream.OpenAsync(_server.Client, request);

        var only = Assert.Single(await stream.ReadToEndAsync());

        HeraldTestServer.AssertError(only.Json, A2AErrorCodes.InvalidRequest);
        Assert.Equal(9, only.Json.GetProperty("id").GetInt32());
    }

    [Fact]
    public async Task Post_ErrorOfStreamingMethodWithoutEventStreamAccept_PlainJson()
    {
        using var response = await _server.PostAsync(HeraldTestServer.Request("SendStreamingMessage", HeraldTestServer.SendParams()), "2.0");

        HeraldTestServer.AssertError(await HeraldTestServer.ReadJsonRpcAsync(response), A2AErrorCodes.VersionNotSupported);
    }

    [Fact]
    public async Task Post_ErrorOfUnaryMethodAcceptingEventStream_PlainJson()
    {
        using var request = _server.NewPost("""{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":"x"}}""");
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await _server.Client.SendAsync(request).Within();

        HeraldTestServer.AssertError(await HeraldTestServer.ReadJsonRpcAsync(response), A2AErrorCodes.TaskNotFound);
    }

    [Theory]
    [InlineData("1.0")]
    [InlineData("1.0.2")]
    public async Task Post_SupportedVersionHeader_IsAccepted(string version)
    {
        var response = await _server.PostJsonAsync("""{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":"x"}}""", version);

        HeraldTestServer.AssertError(response, A2AErrorCodes.TaskNotFound);
    }

    [Fact]
    public async Task Post_VersionAsQueryParameter_IsAccepted()
    {
        var response = await _server.PostJsonAsync("""{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":"x"}}""", version: null, path: "/?A2A-Version=1.0");

        HeraldTestServer.AssertError(response, A2AErrorCodes.TaskNotFound);
    }

    [Fact]
    public async Task Post_NullParams_TreatedAsEmpty()
    {
        var response = await _server.PostJsonAsync("""{"jsonrpc":"2.0","id":1,"method":"ListTasks","params":null}""");

        Assert.Equal(0, response.GetProperty("result").GetProperty("totalSize").GetInt32());
    }
}
