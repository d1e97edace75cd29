using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Protocol;
using Herald.Server.Storage;
using Herald.Testing;
using Herald.Testing.EndToEnd;
using Microsoft.AspNetCore.Builder;

namespace Herald.AspNetCore.Tests;

/// <summary>
/// Tasks are their caller's, on every HTTP binding and dialect: a second principal who knows a task's id gets exactly the
/// answer an unknown id gets for every operation (get, cancel, subscribe, Last-Event-ID replay, follow-ups), nothing is
/// appended, canceled or replayed, and lists never show another's task. Unauthenticated calls are challenged (401) when the
/// host requires authentication. The server authenticates with <see cref="TestAuthenticationHandler"/>.
/// </summary>
public sealed class CallerIsolationTests : IAsyncLifetime
{
    private static readonly string Alice = TestAuthenticationHandler.Header("alice");
    private static readonly string Bob = TestAuthenticationHandler.Header("bob");

    private HeraldTestServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await HeraldTestServer.StartAsync(
            h => h.AddAgent(async (context, ct) =>
            {
                // A first turn asks for input, so the task stays open to follow-ups (and to cancel) while others try it.
                await context.StartWorkAsync("thinking", ct);
                await (context.IsContinuation ? context.CompleteAsync("thanks " + context.UserText, ct) : context.RequireInputAsync("your name?", ct));
            }),
            configureServices: TestAuthenticationHandler.AddTestAuthentication);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task JsonRpcV1_AnotherPrincipal_GetsNotFoundForEverything_AndChangesNothing()
    {
        var id = (await RpcAsync(Alice, "SendMessage", HeraldTestServer.SendParams("hi"), "1.0")).GetProperty("result").GetProperty("task").GetProperty("id").GetString()!;

        await AssertLikeUnknownAsync(id, async (user, taskId) => await RpcErrorAsync(user, "GetTask", new JsonObject { ["id"] = taskId }, "1.0"));
        await AssertLikeUnknownAsync(id, async (user, taskId) => await RpcErrorAsync(user, "GetTask", new JsonObject { ["id"] = taskId, ["currentGeneration"] = 1 }, "1.0"));
        await AssertLikeUnknownAsync(id, async (user, taskId) => await RpcErrorAsync(user, "CancelTask", new JsonObject { ["id"] = taskId }, "1.0"));
        await AssertLikeUnknownAsync(id, async (user, taskId) => await RpcErrorAsync(user, "SubscribeToTask", new JsonObject { ["id"] = taskId }, "1.0"));
        await AssertLikeUnknownAsync(id, async (user, taskId) => await RpcErrorAsync(user, "SubscribeToTask", new JsonObject { ["id"] = taskId }, "1.0", lastEventId: "0"));
        await AssertLikeUnknownAsync(id, async (user, taskId) => await RpcErrorAsync(user, "SubscribeToTask", new JsonObject { ["id"] = taskId }, "1.0", lastEventId: "1"));
        await AssertLikeUnknownAsync(id, async (user, taskId) => await RpcErrorAsync(user, "SendMessage", HeraldTestServer.SendParams("Mallory", taskId: taskId), "1.0"));
        await AssertLikeUnknownAsync(id, async (user, taskId) => await RpcErrorAsync(user, "SendStreamingMessage", HeraldTestServer.SendParams("Mallory", taskId: taskId), "1.0"));

        var bobs = (await RpcAsync(Bob, "ListTasks", new JsonObject(), "1.0")).GetProperty("result");
        Assert.Equal(0, bobs.GetProperty("totalSize").GetInt32());
        Assert.Empty(bobs.GetProperty("tasks").EnumerateArray());
        var alices = (await RpcAsync(Alice, "ListTasks", new JsonObject(), "1.0")).GetProperty("result");
        Assert.Contains(alices.GetProperty("tasks").EnumerateArray(), t => t.GetProperty("id").GetString() == id);

        await AssertUntouchedAsync(id);
        var done = (await RpcAsync(Alice, "SendMessage", HeraldTestServer.SendParams("Ada", taskId: id), "1.0")).GetProperty("result").GetProperty("task");
        Assert.Equal("TASK_STATE_COMPLETED", done.GetProperty("status").GetProperty("state").GetString());
    }

    [Fact]
    public async Task JsonRpcV03_AnotherPrincipal_GetsNotFoundForEverything_AndChangesNothing()
    {
        var id = (await RpcAsync(Alice, "message/send", Dialects.V03Send("hi"), null)).GetProperty("result").GetProperty("id").GetString()!;

        await AssertLikeUnknownAsync(id, async (user, taskId) => await RpcErrorAsync(user, "tasks/get", Dialects.Id(taskId), null));
        await AssertLikeUnknownAsync(id, async (user, taskId) => await RpcErrorAsync(user, "tasks/cancel", Dialects.Id(taskId), null));
        await AssertLikeUnknownAsync(id, async (user, taskId) => await RpcErrorAsync(user, "tasks/resubscribe", Dialects.Id(taskId), null));
        await AssertLikeUnknownAsync(id, async (user, taskId) => await RpcErrorAsync(user, "tasks/resubscribe", Dialects.Id(taskId), null, lastEventId: "1"));
        await AssertLikeUnknownAsync(id, async (user, taskId) => await RpcErrorAsync(user, "message/send", Dialects.V03Send("Mallory", taskId: taskId), null));
        await AssertLikeUnknownAsync(id, async (user, taskId) => await RpcErrorAsync(user, "message/stream", Dialects.V03Send("Mallory", taskId: taskId), null));

        await AssertUntouchedAsync(id);
    }

    [Fact]
    public async Task TutorialEra_AnotherPrincipal_GetsNotFound_AndItsClientChosenIdIsNotAvailable()
    {
        var id = "tutorial-" + Guid.NewGuid().ToString("N");
        var created = (await RpcAsync(Alice, "tasks/send", Dialects.TutorialSend(id, "hi"), null)).GetProperty("result");
        Assert.Equal("input-required", created.GetProperty("status").GetProperty("state").GetString());

        await AssertLikeUnknownAsync(id, async (user, taskId) => await RpcErrorAsync(user, "tasks/get", Dialects.Id(taskId), null));
        await AssertLikeUnknownAsync(id, async (user, taskId) => await RpcErrorAsync(user, "tasks/cancel", Dialects.Id(taskId), null));
        await AssertLikeUnknownAsync(id, async (user, taskId) => await RpcErrorAsync(user, "tasks/resubscribe", Dialects.Id(taskId), null));

        // tasks/send creates a task under an unknown id, so another's id cannot answer "not found": it answers as an id of the
        // caller's own that ended does ("not available"), which tells nothing about whose task it is or what state it is in.
        var ended = "tutorial-ended-" + Guid.NewGuid().ToString("N");
        await RpcAsync(Bob, "tasks/send", Dialects.TutorialSend(ended, "hi"), null);
        await RpcAsync(Bob, "tasks/send", Dialects.TutorialSend(ended, "Bob"), null);
        var taken = await RpcErrorAsync(Bob, "tasks/send", Dialects.TutorialSend(id, "Mallory"), null);
        var own = await RpcErrorAsync(Bob, "tasks/send", Dialects.TutorialSend(ended, "again"), null);
        Assert.Equal(A2AErrorCodes.InvalidParams, taken.Code);
        Assert.Equal(own with { Message = own.Message.Replace(ended, "<id>", StringComparison.Ordinal) }, taken with { Message = taken.Message.Replace(id, "<id>", StringComparison.Ordinal) });
        var takenStream = await RpcErrorAsync(Bob, "tasks/sendSubscribe", Dialects.TutorialSend(id, "Mallory"), null);
        Assert.Equal(A2AErrorCodes.InvalidParams, takenStream.Code);

        await AssertUntouchedAsync(id);
    }

    [Theory]
    [InlineData("")]
    [InlineData("/acme")]
    public async Task Rest_AnotherPrincipal_GetsNotFoundForEverything_AndChangesNothing(string tenant)
    {
        var send = new JsonObject { ["message"] = HeraldTestServer.SendParams("hi")["message"]!.DeepClone() };
        var created = await RestAsync(Alice, HttpMethod.Post, tenant + "/message:send", send);
        Assert.Equal(HttpStatusCode.OK, created.Status);
        var id = created.Body.GetProperty("task").GetProperty("id").GetString()!;

        await AssertLikeUnknownAsync(id, async (user, taskId) => await RestErrorAsync(user, HttpMethod.Get, $"{tenant}/tasks/{taskId}"));
        await AssertLikeUnknownAsync(id, async (user, taskId) => await RestErrorAsync(user, HttpMethod.Get, $"{tenant}/tasks/{taskId}?currentGeneration=1"));
        await AssertLikeUnknownAsync(id, async (user, taskId) => await RestErrorAsync(user, HttpMethod.Post, $"{tenant}/tasks/{taskId}:cancel", new JsonObject()));
        await AssertLikeUnknownAsync(id, async (user, taskId) => await RestErrorAsync(user, HttpMethod.Post, $"{tenant}/tasks/{taskId}:subscribe", new JsonObject()));
        await AssertLikeUnknownAsync(id, async (user, taskId) => await RestErrorAsync(user, HttpMethod.Post, $"{tenant}/tasks/{taskId}:subscribe", new JsonObject(), lastEventId: "0"));
        await AssertLikeUnknownAsync(id, async (user, taskId) =>
            await RestErrorAsync(user, HttpMethod.Post, tenant + "/message:send", new JsonObject { ["message"] = HeraldTestServer.SendParams("Mallory", taskId: taskId)["message"]!.DeepClone() }));
        await AssertLikeUnknownAsync(id, async (user, taskId) =>
            await RestErrorAsync(user, HttpMethod.Post, tenant + "/message:stream", new JsonObject { ["message"] = HeraldTestServer.SendParams("Mallory", taskId: taskId)["message"]!.DeepClone() }));

        var bobs = await RestAsync(Bob, HttpMethod.Get, tenant + "/tasks");
        Assert.Equal(0, bobs.Body.GetProperty("totalSize").GetInt32());
        var alices = await RestAsync(Alice, HttpMethod.Get, tenant + "/tasks");
        Assert.Contains(alices.Body.GetProperty("tasks").EnumerateArray(), t => t.GetProperty("id").GetString() == id);

        // Alice herself, in another tenant than the task's, does not find it either: a task lives in its request's tenant.
        var otherTenant = tenant.Length == 0 ? "/acme" : "";
        Assert.Equal(HttpStatusCode.NotFound, (await RestAsync(Alice, HttpMethod.Get, $"{otherTenant}/tasks/{id}")).Status);
        Assert.Equal(HttpStatusCode.OK, (await RestAsync(Alice, HttpMethod.Get, $"{tenant}/tasks/{id}")).Status);

        await AssertUntouchedAsync(id);
    }

    [Fact]
    public async Task Tenant_OfTheCredentials_MustAgreeWithTheRequests()
    {
        var inAcme = TestAuthenticationHandler.Header("carol", "acme");
        var created = await RestAsync(inAcme, HttpMethod.Post, "/message:send", new JsonObject { ["message"] = HeraldTestServer.SendParams("hi")["message"]!.DeepClone() });
        var id = created.Body.GetProperty("task").GetProperty("id").GetString()!;

        // Her tenant applies when the request names none, and a request that names it finds the same task.
        Assert.Equal(HttpStatusCode.OK, (await RestAsync(inAcme, HttpMethod.Get, $"/acme/tasks/{id}")).Status);
        var refused = await RestAsync(inAcme, HttpMethod.Get, $"/globex/tasks/{id}");
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Equal("PERMISSION_DENIED", refused.Body.GetProperty("error").GetProperty("status").GetString());
        var rpc = await RpcErrorAsync(inAcme, "GetTask", new JsonObject { ["id"] = id, ["tenant"] = "globex" }, "1.0");
        Assert.Equal(A2AErrorCodes.PermissionDenied, rpc.Code);
        Assert.Equal(new TaskOwner("carol", "acme"), (await _server.Store.GetAsync(id))!.Owner);
    }

    [Fact]
    public async Task Unauthenticated_IsChallenged_AndGetsNoTask()
    {
        var id = (await RpcAsync(Alice, "SendMessage", HeraldTestServer.SendParams("hi"), "1.0")).GetProperty("result").GetProperty("task").GetProperty("id").GetString()!;

        using var rpc = await SendAsync(null, HttpMethod.Post, "/", HeraldTestServer.Request("GetTask", new JsonObject { ["id"] = id }), "1.0");
        using var rest = await SendAsync(null, HttpMethod.Get, $"/tasks/{id}", null, "1.0");
        using var stream = await SendAsync(null, HttpMethod.Post, "/", HeraldTestServer.Request("SendStreamingMessage", HeraldTestServer.SendParams("hi")), "1.0");

        foreach (var response in new[] { rpc, rest, stream })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal(TestAuthenticationHandler.SchemeName, response.Headers.WwwAuthenticate.ToString());
            Assert.DoesNotContain(id, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(1, (await _server.Store.ListAsync(new TaskQuery { PageSize = 10 })).TotalSize);

        // The card stays open under the host's fallback policy: it is how a client learns what to send.
        using var card = await SendAsync(null, HttpMethod.Get, "/.well-known/agent-card.json", null, null);
        Assert.Equal(HttpStatusCode.OK, card.StatusCode);
    }

    /// <summary>Bob's answer for Alice's task equals his answer for an id that does not exist (modulo the id itself).</summary>
    private static async Task AssertLikeUnknownAsync(string id, Func<string, string, Task<Refusal>> call)
    {
        var unknown = "unknown-" + Guid.NewGuid().ToString("N");
        var theirs = await call(Bob, id);
        var missing = await call(Bob, unknown);
        Assert.True(theirs.Code is A2AErrorCodes.TaskNotFound or 404, $"another's task: {theirs}");
        Assert.Equal(missing with { Message = missing.Message.Replace(unknown, "<id>", StringComparison.Ordinal) }, theirs with { Message = theirs.Message.Replace(id, "<id>", StringComparison.Ordinal) });
    }

    private async Task AssertUntouchedAsync(string id)
    {
        var snapshot = (await _server.Store.GetAsync(id))!;
        Assert.Equal(TaskState.InputRequired, snapshot.Task.Status.State);
        Assert.Equal(new TaskOwner("alice", ""), snapshot.Owner with { Tenant = "" });
        var events = await _server.Store.ReadAsync(id, 0, 100);
        Assert.DoesNotContain(events, e => e.Message?.GetText() == "Mallory");
        Assert.DoesNotContain(events, e => e.State == TaskState.Canceled);
    }

    /// <summary>An error answer: its JSON-RPC code (or HTTP status for REST), its message, and for REST the google.rpc status.</summary>
    private sealed record Refusal(int Code, string Message, string? Status = null);

    private async Task<JsonElement> RpcAsync(string user, string method, JsonObject parameters, string? version)
    {
        using var response = await SendAsync(user, HttpMethod.Post, "/", HeraldTestServer.Request(method, parameters), version);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        Assert.False(json.TryGetProperty("error", out var error), $"{method}: {error}");
        return json;
    }

    /// <summary>A JSON-RPC error, whether answered as JSON or as the one event of a refused stream.</summary>
    private async Task<Refusal> RpcErrorAsync(string user, string method, JsonObject parameters, string? version, string? lastEventId = null)
    {
        using var response = await SendAsync(user, HttpMethod.Post, "/", HeraldTestServer.Request(method, parameters), version, lastEventId);
        var body = await response.Content.ReadAsStringAsync();
        if (response.Content.Headers.ContentType?.MediaType == "text/event-stream")
        {
            body = body.Split('\n').First(l => l.StartsWith("data:", StringComparison.Ordinal))["data:".Length..];
        }

        var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
        return new Refusal(error.GetProperty("code").GetInt32(), error.GetProperty("message").GetString()!);
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> RestAsync(string user, HttpMethod method, string path, JsonObject? body = null)
    {
        using var response = await SendAsync(user, method, path, body?.ToJsonString(), "1.0");
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private async Task<Refusal> RestErrorAsync(string user, HttpMethod method, string path, JsonObject? body = null, string? lastEventId = null)
    {
        using var response = await SendAsync(user, method, path, body?.ToJsonString(), "1.0", lastEventId);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        return new Refusal((int)response.StatusCode, error.GetProperty("message").GetString()!, error.GetProperty("status").GetString());
    }

    private Task<HttpResponseMessage> SendAsync(string? user, HttpMethod method, string path, string? body, string? version, string? lastEventId = null) =>
        AuthorizedHttp.SendAsync(_server, user, method, path, body, version, lastEventId);
}
