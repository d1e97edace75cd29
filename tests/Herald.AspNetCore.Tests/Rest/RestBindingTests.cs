using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Protocol;

namespace Herald.AspNetCore.Tests.Rest;

/// <summary>
/// What only the HTTP+JSON binding has: content types, routes and their tenant-prefixed forms, path and query
/// parameters, the A2A-Version it speaks, content negotiation.
/// </summary>
public sealed class RestBindingTests : IAsyncLifetime
{
    private HeraldTestServer _server = null!;
    private ControlledAgent _agent = null!;

    private RestWire Rest => (RestWire)_server.Wire;

    public async Task InitializeAsync()
    {
        _agent = new ControlledAgent();
        _server = await HeraldTestServer.StartAsync(_agent, binding: WireBindings.Rest);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static StringContent Json(string body, string? contentType)
    {
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = contentType is null ? null : MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    private static string SendBody(string text = "hello") => A2AWire.SendRequest(text).ToJsonString();

    /// <summary>A task that finished at once, for the read-only calls.</summary>
    private async Task<string> CompletedTaskAsync()
    {
        var send = Rest.SendBlockingAsync();
        var run = await _agent.NextRunAsync();
        await run.CompleteAsync("done");
        return (await send.Within()).GetProperty("id").GetString()!;
    }

    // ---- content types ----

    [Theory]
    [InlineData("application/a2a+json")]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("Application/A2A+JSON; charset=UTF-8")]
    public async Task SendMessage_JsonContentTypes_AreAccepted(string contentType)
    {
        var send = Rest.SendAsync(Rest.New(HttpMethod.Post, "/message:send", Json(SendBody(), contentType)));
        var run = await _agent.NextRunAsync();
        await run.CompleteAsync();

        Assert.Equal("TASK_STATE_COMPLETED", (await send.Within()).GetProperty("task").GetProperty("status").GetProperty("state").GetString());
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/xml")]
    [InlineData("application/json; charset=iso-8859-1")]
    [InlineData(null)]
    public async Task SendMessage_BodyThatIsNotJson_Http415WithAnError(string? contentType)
    {
        using var response = await _server.Client.SendAsync(Rest.New(HttpMethod.Post, "/message:send", Json(SendBody(), contentType))).Within();
        var error = await RestWire.ReadErrorAsync(response);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("INVALID_ARGUMENT", JsonDocument.Parse(error.Raw).RootElement.GetProperty("status").GetString());
        Assert.Contains("application/a2a+json", error.Message, StringComparison.Ordinal);
        Assert.False(_agent.NextRunAsync().IsCompleted); // nothing was sent to the agent
    }

    [Fact]
    public async Task SendStreamingMessage_BodyThatIsNotJson_Http415NotAStream()
    {
        using var response = await _server.Client.SendAsync(Rest.New(HttpMethod.Post, "/message:stream", Json(SendBody(), "text/plain"))).Within();

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal(RestWire.A2AJson, response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task GetTask_WithAContentTypeHeader_IsNotRefused()
    {
        var taskId = await CompletedTaskAsync();

        // Some clients (the JS SDK's) send Content-Type: application/json on every request, bodiless GETs included.
        using var request = Rest.New(HttpMethod.Get, $"/tasks/{taskId}", Json("", "text/plain"));
        var task = await Rest.SendAsync(request);

        Assert.Equal(taskId, task.GetProperty("id").GetString());
    }

    [Fact]
    public async Task CancelAndSubscribe_PostWithoutBodyOrContentType_AreAccepted()
    {
        var task = await Rest.SendImmediatelyAsync();
        var taskId = task.GetProperty("id").GetString()!;
        var run = await _agent.NextRunAsync();

        using var subscribe = await _server.Client.SendAsync(Rest.New(HttpMethod.Post, $"/tasks/{taskId}:subscribe"), HttpCompletionOption.ResponseHeadersRead).Within();
        var canceled = await Rest.SendAsync(Rest.New(HttpMethod.Post, $"/tasks/{taskId}:cancel"));
        var stream = await subscribe.Content.ReadAsStringAsync().Within();

        Assert.Equal("text/event-stream", subscribe.Content.Headers.ContentType?.MediaType);
        Assert.Equal("TASK_STATE_CANCELED", canceled.GetProperty("status").GetProperty("state").GetString());
        Assert.Contains("TASK_STATE_CANCELED", stream, StringComparison.Ordinal);
        await run.Canceled.Within();
    }

    [Fact]
    public async Task CancelTask_BodyWithMetadata_IsReadAndThePathNamesTheTask()
    {
        var taskId = (await Rest.SendImmediatelyAsync()).GetProperty("id").GetString()!;
        await _agent.NextRunAsync();

        var canceled = await Rest.SendAsync(Rest.New(HttpMethod.Post, $"/tasks/{taskId}:cancel",
            RestWire.Body(new JsonObject { ["id"] = "some-other-task", ["metadata"] = new JsonObject { ["reason"] = "user" } })));

        Assert.Equal(taskId, canceled.GetProperty("id").GetString());
        Assert.Equal("TASK_STATE_CANCELED", canceled.GetProperty("status").GetProperty("state").GetString());
    }

    [Theory]
    [InlineData("", "message")]
    [InlineData("[1,2]", "body")]
    [InlineData("\"text\"", "body")]
    public async Task SendMessage_EmptyOrNonObjectBody_InvalidParams(string body, string field)
    {
        var error = await A2AWire.ErrorAsync(() => Rest.SendAsync(Rest.New(HttpMethod.Post, "/message:send", Json(body, RestWire.A2AJson))), A2AErrorCodes.InvalidParams);

        Assert.Equal(field, error.Field);
    }

    // ---- responses ----

    [Theory]
    [InlineData(null, "application/a2a+json")]
    [InlineData("application/a2a+json", "application/a2a+json")]
    [InlineData("application/json", "application/json")]
    [InlineData("application/a2a+json, application/json", "application/a2a+json")]
    [InlineData("*/*", "application/a2a+json")]
    public async Task GetTask_Accept_ChoosesTheResponseContentType(string? accept, string expected)
    {
        var taskId = await CompletedTaskAsync();
        using var request = Rest.New(HttpMethod.Get, $"/tasks/{taskId}");
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        using var response = await _server.Client.SendAsync(request).Within();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, response.Content.Headers.ContentType?.MediaType);
    }

    // ---- versions ----

    [Theory]
    [InlineData(null)]
    [InlineData("0.3")]
    [InlineData("")]
    public async Task AnyRoute_NoVersionOr03_VersionNotSupportedAsHttp400(string? version)
    {
        var wire = Rest.WithVersion(version);

        var error = await A2AWire.ErrorAsync(() => wire.GetTaskAsync("x"), A2AErrorCodes.VersionNotSupported);

        Assert.Equal(400, error.HttpStatus);
        Assert.Equal("1.0,1.1", error.Metadata["supportedVersions"]);
        Assert.Contains("A2A-Version: 1.0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnyRoute_VersionAsQueryParameter_IsAccepted()
    {
        var taskId = await CompletedTaskAsync();

        var task = await ((RestWire)Rest.WithVersion(null)).SendAsync(new HttpRequestMessage(HttpMethod.Get, Rest.PathOf($"/tasks/{taskId}?A2A-Version=1.0")));

        Assert.Equal(taskId, task.GetProperty("id").GetString());
    }

    // ---- path and query parameters ----

    [Fact]
    public async Task Routes_AfterADoubledSlash_AreServed()
    {
        // A card URL ending in '/' joined with "/message:send" (as the TCK joins them) doubles the slash.
        HttpRequestMessage Doubled(HttpMethod method, string route, HttpContent? content = null)
        {
            var request = Rest.New(method, route, content);
            request.RequestUri = new Uri(_server.BaseAddress.GetLeftPart(UriPartial.Authority) + "/" + Rest.PathOf(route));
            return request;
        }

        var send = Rest.SendAsync(Doubled(HttpMethod.Post, "/message:send", Json(SendBody(), "application/json")));
        var run = await _agent.NextRunAsync();
        await run.CompleteAsync("done");
        var taskId = (await send.Within()).GetProperty("task").GetProperty("id").GetString()!;

        var task = await Rest.SendAsync(Doubled(HttpMethod.Get, $"/tasks/{taskId}"));
        var list = await Rest.SendAsync(Doubled(HttpMethod.Get, "/tasks?pageSize=1"));
        using var cancel = await _server.Client.SendAsync(Doubled(HttpMethod.Post, $"/tasks/{taskId}:cancel")).Within();

        Assert.Equal(taskId, task.GetProperty("id").GetString());
        Assert.Single(list.GetProperty("tasks").EnumerateArray());
        Assert.NotEqual(HttpStatusCode.NotFound, cancel.StatusCode); // the route answered (the task is finished: not cancelable)
        Assert.Contains("TASK_NOT_CANCELABLE", await cancel.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }


    [Theory]
    [InlineData("historyLength=abc", "historyLength")]
    [InlineData("historyLength=1.5", "historyLength")]
    [InlineData("historyLength=-1", "historyLength")]
    [InlineData("historyLength=1&historyLength=2", "historyLength")]
    public async Task GetTask_BadHistoryLength_InvalidParamsNamingIt(string query, string field)
    {
        var taskId = await CompletedTaskAsync();

        var error = await A2AWire.ErrorAsync(() => Rest.SendAsync(Rest.New(HttpMethod.Get, $"/tasks/{taskId}?{query}")), A2AErrorCodes.InvalidParams);

        Assert.Equal(field, error.Field);
    }

    [Theory]
    [InlineData("pageSize=ten", "pageSize")]
    [InlineData("pageSize=5&pageSize=6", "pageSize")]
    [InlineData("includeArtifacts=yes", "includeArtifacts")]
    [InlineData("includeArtifacts=True", "includeArtifacts")]
    [InlineData("status=working", "status")]
    [InlineData("status=TASK_STATE_WORKING&status=TASK_STATE_COMPLETED", "status")]
    [InlineData("statusTimestampAfter=tomorrow", "statusTimestampAfter")]
    [InlineData("historyLength=x", "historyLength")]
    public async Task ListTasks_BadQueryParameter_InvalidParamsNamingIt(string query, string field)
    {
        var error = await A2AWire.ErrorAsync(() => Rest.SendAsync(Rest.New(HttpMethod.Get, $"/tasks?{query}")), A2AErrorCodes.InvalidParams);

        Assert.Equal(field, error.Field);
        Assert.Equal(400, error.HttpStatus);
    }

    [Fact]
    public async Task ListTasks_QueryParameters_FilterAndShapeTheTasks()
    {
        var taskId = await CompletedTaskAsync();
        var before = DateTimeOffset.UtcNow.AddMinutes(-5).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var after = DateTimeOffset.UtcNow.AddMinutes(5).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);

        var page = await Rest.SendAsync(Rest.New(HttpMethod.Get,
            $"/tasks?status=TASK_STATE_COMPLETED&pageSize=1&historyLength=1&includeArtifacts=true&statusTimestampAfter={Uri.EscapeDataString(before)}&unknownParameter=ignored"));
        var none = await Rest.SendAsync(Rest.New(HttpMethod.Get, $"/tasks?statusTimestampAfter={Uri.EscapeDataString(after)}"));

        var task = Assert.Single(page.GetProperty("tasks").EnumerateArray());
        Assert.Equal(taskId, task.GetProperty("id").GetString());
        Assert.Equal(1, page.GetProperty("pageSize").GetInt32());
        Assert.Single(task.GetProperty("history").EnumerateArray());
        Assert.Equal(0, none.GetProperty("totalSize").GetInt32());
    }

    [Fact]
    public async Task GetTask_IdWithReservedCharacters_IsDecodedFromThePath()
    {
        var error = await A2AWire.ErrorAsync(() => Rest.GetTaskAsync("a b:c/d"), A2AErrorCodes.TaskNotFound);

        Assert.Equal("a b:c/d", error.Metadata["taskId"]);
    }

    [Fact]
    public async Task SubscribeToTask_GetAsInTheProtoAnnotation_StreamsLikePost()
    {
        var taskId = (await Rest.SendImmediatelyAsync()).GetProperty("id").GetString()!;
        var run = await _agent.NextRunAsync();
        using var request = Rest.New(HttpMethod.Get, $"/tasks/{taskId}:subscribe");
        using var response = await _server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).Within();
        await using var stream = await SseStream.FromResponseAsync(response);

        var snapshot = await stream.NextAsync();
        await run.CompleteAsync();
        var rest = await stream.ReadToEndAsync();

        Assert.Equal("1", snapshot.Id);
        Assert.True(snapshot.Json.TryGetProperty("task", out _));
        Assert.Equal(["2"], rest.Select(e => e.Id));
    }

    [Fact]
    public async Task StreamError_AfterTheStreamStarted_IsAnErrorEventWithTheStatusBody()
    {
        var store = new InterceptingTaskStore();
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent, o => o.StoreOutageStreamTimeout = TimeSpan.FromSeconds(1),
            s => s.AddSingleton<Herald.Server.Storage.TaskStore>(store), binding: WireBindings.Rest);
        var stream = Assert.IsType<SseWireStream>(await server.Wire.StreamAsync());
        await using var _ = stream;
        var run = await agent.NextRunAsync();
        await stream.NextAsync();

        store.FailRead = () => new InvalidOperationException("disk full");
        await run.WorkingAsync();
        await stream.ReadToEndAsync();

        var last = RawSse.Blocks(stream.Sse.RawText)[^1];
        Assert.Equal(["data", "event"], last.Select(l => l.Field)); // data first, as for every event
        Assert.Equal("error", last.Single(l => l.Field == "event").Value);
        var error = JsonDocument.Parse(last.Single(l => l.Field == "data").Value).RootElement.GetProperty("error");
        Assert.Equal(500, error.GetProperty("code").GetInt32());
        Assert.Equal("INTERNAL", error.GetProperty("status").GetString());
        store.FailRead = null;
    }

    [Fact]
    public async Task UnknownRouteOrMethod_Http404Or405()
    {
        using var unknown = await _server.Client.SendAsync(Rest.New(HttpMethod.Get, "/tasks/x/history")).Within();
        using var wrongMethod = await _server.Client.SendAsync(Rest.New(HttpMethod.Get, "/message:send")).Within();

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        Assert.Equal(["POST"], wrongMethod.Content.Headers.Allow);
    }
}

/// <summary>Where MapHerald puts the REST routes: under its pattern, with and without a tenant segment.</summary>
public sealed class RestRoutingTests
{
    [Fact]
    public async Task MapHerald_WithPattern_ServesRestRoutesUnderItAndNotAtTheRoot()
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync(cancellationToken: ct).AsTask()), pattern: "/a2a", binding: WireBindings.Rest);
        var rest = (RestWire)server.Wire;

        var task = await rest.SendBlockingAsync();
        using var atRoot = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/tasks/{task.GetProperty("id").GetString()}")).Within();

        Assert.Equal("/a2a/message:send", rest.PathOf("/message:send"));
        Assert.Equal("TASK_STATE_COMPLETED", task.GetProperty("status").GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.NotFound, atRoot.StatusCode);
    }

    [Fact]
    public async Task TenantPrefixedRoutes_EveryOperation_WorksLikeThePlainOnes()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent, pattern: "/a2a", binding: WireBindings.Rest);
        var tenant = ((RestWire)server.Wire).WithTenant("acme");

        await using var stream = await tenant.StreamAsync();
        var run = await agent.NextRunAsync();
        var first = await stream.NextAsync();
        var got = await tenant.GetTaskAsync(run.TaskId);
        var listed = await tenant.ListTasksAsync(new JsonObject { ["pageSize"] = 10 });
        await using var subscription = await tenant.SubscribeToTaskAsync(run.TaskId, lastEventId: "1");
        var canceled = await tenant.CancelTaskAsync(run.TaskId);
        var rest = await stream.ReadToEndAsync();
        var resumed = await subscription.ReadToEndAsync();
        var push = await A2AWire.ErrorAsync(() => tenant.PushConfigAsync(PushConfigOperation.List, run.TaskId), A2AErrorCodes.PushNotificationNotSupported);
        var card = await A2AWire.ErrorAsync(() => tenant.GetExtendedAgentCardAsync(), A2AErrorCodes.UnsupportedOperation);

        Assert.Equal("/a2a/acme/tasks", tenant.PathOf("/tasks"));
        Assert.Equal(run.TaskId, first.Result.GetProperty("task").GetProperty("id").GetString());
        Assert.Equal(run.TaskId, got.GetProperty("id").GetString());
        Assert.Contains(listed.GetProperty("tasks").EnumerateArray(), t => t.GetProperty("id").GetString() == run.TaskId);
        Assert.Equal("TASK_STATE_CANCELED", canceled.GetProperty("status").GetProperty("state").GetString());
        Assert.Equal("TASK_STATE_CANCELED", rest[^1].State);
        Assert.Equal("TASK_STATE_CANCELED", resumed[^1].State);
        Assert.Equal(400, push.HttpStatus);
        Assert.Equal(400, card.HttpStatus);
    }
}
