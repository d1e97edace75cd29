using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Protocol;
using Herald.Server.Agents;

namespace Herald.AspNetCore.Tests;

/// <summary>
/// The A2A tutorial's methods: <c>tasks/send</c> and <c>tasks/sendSubscribe</c> with a client-chosen task id,
/// <c>sessionId</c> and typed parts, answered in the shapes those clients read; and the names both eras share
/// (<c>tasks/get</c>, <c>tasks/cancel</c>, <c>tasks/resubscribe</c>) answered so that either era reads them.
/// </summary>
public sealed class TutorialMethodsTests
{
    private static string NewId() => "tutorial-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task SendSubscribe_ClientChosenId_StatusAndArtifactEventsUnderThatId()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent);
        var taskId = NewId();

        await using var stream = await server.StreamAsync("tasks/sendSubscribe", Dialects.TutorialSend(taskId, "hi", "session-9"), id: 1, version: null);
        var run = await agent.NextRunAsync();
        await run.WorkingAsync("thinking");
        await run.ArtifactAsync("a", artifactId: "first");
        await run.ArtifactAsync("b", artifactId: "first", append: true, lastChunk: true);
        await run.ArtifactAsync("other", artifactId: "second", lastChunk: true);
        await run.CompleteAsync("done");
        var events = await stream.ReadToEndAsync();

        Assert.Equal(taskId, run.TaskId);
        Assert.Equal("session-9", run.ContextId);
        // Framed as the tutorial's server framed it: each message is one data: line, no id: (its client parses the whole message).
        Assert.Equal(6, events.Count);
        Assert.All(events, e => Assert.Null(e.Id));
        Assert.DoesNotContain("\nid:", stream.RawText, StringComparison.Ordinal);
        var messages = stream.RawText.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(messages, m => Assert.DoesNotContain('\n', m));
        Assert.StartsWith("retry: ", messages[0], StringComparison.Ordinal);
        Assert.Equal(6, messages.Count(m => m.StartsWith("data: ", StringComparison.Ordinal)));
        Assert.All(events, e => Assert.Equal(taskId, e.Result.GetProperty("id").GetString()));
        Assert.Equal(["submitted", "working", "completed"], events.Where(e => e.Result.Has("status")).Select(e => e.V03State()));
        Assert.Equal([false, false, true], events.Where(e => e.Result.Has("status")).Select(e => e.Final()));
        var artifacts = events.Where(e => e.Result.Has("artifact")).Select(e => e.Result.GetProperty("artifact")).ToArray();
        Assert.Equal([0, 0, 1], artifacts.Select(a => a.GetProperty("index").GetInt32()));
        Assert.Equal(["first", "first", "second"], artifacts.Select(a => a.GetProperty("name").GetString()));
        Assert.True(artifacts[1].GetProperty("append").GetBoolean());
        Assert.True(artifacts[1].GetProperty("lastChunk").GetBoolean());
        Assert.Equal("text", artifacts[0].GetProperty("parts")[0].GetProperty("type").GetString());
        Assert.Equal("done", events[^1].Result.GetProperty("status").GetProperty("message").GetProperty("parts")[0].GetProperty("text").GetString());
        await run.FinishAsync();
    }

    [Fact]
    public async Task Send_ClientChosenId_TaskWithSessionIdAndTypedParts()
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent(async (c, ct) =>
        {
            await c.AppendTextAsync("out", "answer to " + c.UserText, lastChunk: true, cancellationToken: ct);
            await c.CompleteAsync(cancellationToken: ct);
        }));
        var taskId = NewId();

        var task = (await server.PostJsonAsync(HeraldTestServer.Request("tasks/send", Dialects.TutorialSend(taskId, "hi", "s-2")), version: null)).GetProperty("result");

        Assert.Equal(taskId, task.GetProperty("id").GetString());
        Assert.Equal("s-2", task.GetProperty("sessionId").GetString());
        Assert.Equal("completed", task.GetProperty("status").GetProperty("state").GetString());
        var artifact = Assert.Single(task.GetProperty("artifacts").EnumerateArray());
        Assert.Equal(0, artifact.GetProperty("index").GetInt32());
        var part = artifact.GetProperty("parts")[0];
        Assert.Equal(("text", "answer to hi"), (part.GetProperty("type").GetString(), part.GetProperty("text").GetString()));

        // The task is a real task under the client's id, for every dialect.
        var v1 = await server.GetTaskAsync(taskId);
        Assert.Equal("s-2", v1.GetProperty("contextId").GetString());
    }

    [Fact]
    public async Task Send_InputRequiredThenFollowUpUnderTheSameId_Completes()
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent((c, ct) => c.IsContinuation
            ? c.CompleteAsync("hello " + c.UserText, ct).AsTask()
            : c.RequireInputAsync("Your name?", ct).AsTask()));
        var taskId = NewId();

        var first = (await server.PostJsonAsync(HeraldTestServer.Request("tasks/send", Dialects.TutorialSend(taskId, "ask")), version: null)).GetProperty("result");
        var second = (await server.PostJsonAsync(HeraldTestServer.Request("tasks/send", Dialects.TutorialSend(taskId, "Ada")), version: null)).GetProperty("result");

        Assert.Equal("input-required", first.GetProperty("status").GetProperty("state").GetString());
        Assert.Equal("completed", second.GetProperty("status").GetProperty("state").GetString());
        Assert.Equal("hello Ada", second.GetProperty("status").GetProperty("message").GetProperty("parts")[0].GetProperty("text").GetString());
        Assert.Equal(taskId, second.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Send_IdOfACompletedTask_InvalidParamsNamingId()
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync(cancellationToken: ct).AsTask()));
        var taskId = NewId();
        await server.PostJsonAsync(HeraldTestServer.Request("tasks/send", Dialects.TutorialSend(taskId)), version: null);

        var response = await server.PostJsonAsync(HeraldTestServer.Request("tasks/send", Dialects.TutorialSend(taskId, "again")), version: null);

        var error = HeraldTestServer.AssertError(response, A2AErrorCodes.InvalidParams);
        Assert.Equal("id", SubscribeToTaskTests.FieldViolation(error));
        Assert.Contains(taskId, error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("with\nnewline", "id")]
    [InlineData("", "id")]
    public async Task Send_InvalidClientId_InvalidParamsNamingId(string taskId, string field)
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync(cancellationToken: ct).AsTask()));

        var response = await server.PostJsonAsync(HeraldTestServer.Request("tasks/send", Dialects.TutorialSend(taskId)), version: null);

        var error = HeraldTestServer.AssertError(response, A2AErrorCodes.InvalidParams);
        Assert.Equal(field, SubscribeToTaskTests.FieldViolation(error));
    }

    [Fact]
    public async Task Send_TooLongClientId_InvalidParamsWithTheLimit()
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync(cancellationToken: ct).AsTask()));

        var response = await server.PostJsonAsync(HeraldTestServer.Request("tasks/send", Dialects.TutorialSend(new string('x', 300))), version: null);

        var error = HeraldTestServer.AssertError(response, A2AErrorCodes.InvalidParams);
        Assert.Contains("256", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_PartWithUnknownType_InvalidParams()
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync(cancellationToken: ct).AsTask()));
        var parameters = Dialects.TutorialSend(NewId());
        parameters["message"]!["parts"] = new JsonArray(new JsonObject { ["type"] = "video", ["url"] = "x" });

        var response = await server.PostJsonAsync(HeraldTestServer.Request("tasks/send", parameters), version: null);

        HeraldTestServer.AssertError(response, A2AErrorCodes.InvalidParams);
    }

    [Fact]
    public async Task SendAndSendSubscribe_AgentRepliesDirectly_ReportedAsACompletedStatusCarryingTheReply()
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent((c, ct) => c.ReplyAsync("echo " + c.UserText, ct).AsTask(), AgentResponseMode.MessageOrTask));
        var sendId = NewId();
        var streamId = NewId();

        var task = (await server.PostJsonAsync(HeraldTestServer.Request("tasks/send", Dialects.TutorialSend(sendId, "ping")), version: null)).GetProperty("result");
        await using var stream = await server.StreamAsync("tasks/sendSubscribe", Dialects.TutorialSend(streamId, "pong"), version: null);
        var only = Assert.Single(await stream.ReadToEndAsync());

        Assert.Equal((sendId, "completed"), (task.GetProperty("id").GetString(), task.GetProperty("status").GetProperty("state").GetString()));
        Assert.Equal("echo ping", task.GetProperty("status").GetProperty("message").GetProperty("parts")[0].GetProperty("text").GetString());
        Assert.Equal((streamId, "completed", true), (only.Result.GetProperty("id").GetString(), only.V03State(), only.Final()));
        Assert.Equal("echo pong", only.Result.GetProperty("status").GetProperty("message").GetProperty("parts")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task SendSubscribe_RejectedAndAuthRequired_SentAsStatesThatEraKnows()
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent((c, ct) => c.UserText == "reject"
            ? c.RejectAsync("no", ct).AsTask()
            : c.RequireAuthAsync("log in", ct).AsTask()));

        await using var rejected = await server.StreamAsync("tasks/sendSubscribe", Dialects.TutorialSend(NewId(), "reject"), version: null);
        await using var auth = await server.StreamAsync("tasks/sendSubscribe", Dialects.TutorialSend(NewId(), "auth"), version: null);

        var end = (await rejected.ReadToEndAsync())[^1];
        Assert.Equal(("failed", true), (end.V03State(), end.Final()));
        var last = (await auth.ReadToEndAsync())[^1];
        Assert.Equal(("input-required", true), (last.V03State(), last.Final()));
    }

    // ---- the names both eras call, without a version ----

    [Fact]
    public async Task TasksGet_WithoutVersion_V03TaskThatAlsoCarriesTheTutorialMembers()
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent(async (c, ct) =>
        {
            await c.AppendTextAsync("out", "answer", lastChunk: true, cancellationToken: ct);
            await c.RejectAsync("not today", ct);
        }));
        var taskId = NewId();
        await server.PostJsonAsync(HeraldTestServer.Request("tasks/send", Dialects.TutorialSend(taskId, "hi", "s-5")), version: null);

        using var response = await server.PostAsync(HeraldTestServer.Request("tasks/get", Dialects.Id(taskId)), version: null);
        var text = await response.Content.ReadAsStringAsync();
        var task = JsonDocument.Parse(text).RootElement.GetProperty("result");

        V03Schema.AssertValid("GetTaskSuccessResponse", text);
        Assert.Equal(("task", "s-5", "s-5"), (task.GetProperty("kind").GetString(), task.GetProperty("contextId").GetString(), task.GetProperty("sessionId").GetString()));
        Assert.Equal("rejected", task.GetProperty("status").GetProperty("state").GetString()); // v0.3's state wins
        var artifact = task.GetProperty("artifacts")[0];
        Assert.Equal(0, artifact.GetProperty("index").GetInt32());
        var part = artifact.GetProperty("parts")[0];
        Assert.Equal(("text", "text", "answer"), (part.GetProperty("kind").GetString(), part.GetProperty("type").GetString(), part.GetProperty("text").GetString()));
        Assert.All(task.GetProperty("history").EnumerateArray().SelectMany(m => m.GetProperty("parts").EnumerateArray()), p => Assert.Equal("text", p.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task TasksCancel_WithoutVersion_CanceledTaskReadableByBothEras()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent);
        var taskId = NewId();
        await using var stream = await server.StreamAsync("tasks/sendSubscribe", Dialects.TutorialSend(taskId), version: null);
        var run = await agent.NextRunAsync();

        using var response = await server.PostAsync(HeraldTestServer.Request("tasks/cancel", Dialects.Id(taskId)), version: null);
        var text = await response.Content.ReadAsStringAsync();
        var events = await stream.ReadToEndAsync();

        var task = JsonDocument.Parse(text).RootElement.GetProperty("result");
        V03Schema.AssertValid("CancelTaskSuccessResponse", text);
        Assert.Equal(("canceled", "session-1"), (task.GetProperty("status").GetProperty("state").GetString(), task.GetProperty("sessionId").GetString()));
        Assert.Equal(("canceled", true), (events[^1].V03State(), events[^1].Final()));
        await run.Canceled.Within();
    }

    [Fact]
    public async Task Resubscribe_WithoutVersionWithLastEventId_EventsCarryBothErasMembersAndTaskArtifactIndexes()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent);
        var taskId = NewId();
        var first = await server.StreamAsync("tasks/sendSubscribe", Dialects.TutorialSend(taskId), version: null);
        var run = await agent.NextRunAsync();
        await run.ArtifactAsync("zero", artifactId: "a0");   // 2: index 0
        await run.ArtifactAsync("one", artifactId: "a1");    // 3: index 1
        var seen = await first.NextAsync(3);
        await first.DisposeAsync();
        await run.ArtifactAsync("more", artifactId: "a1", append: true); // 4: still index 1, though this stream never saw a1 appear
        await run.ArtifactAsync("two", artifactId: "a2");    // 5: index 2

        await using var resumed = await server.StreamAsync("tasks/resubscribe", Dialects.Id(taskId), lastEventId: "3", version: null);
        var missed = await resumed.NextAsync(2);
        await run.CompleteAsync();
        var tail = await resumed.ReadToEndAsync();

        // A client that resumes reads ids, so this stream keeps them (the tutorial's client never sends Last-Event-ID).
        Assert.Equal(["4", "5", "6"], missed.Concat(tail).Select(e => e.Id));
        Assert.Equal([0, 1], seen.Skip(1).Select(e => e.Result.GetProperty("artifact").GetProperty("index").GetInt32()));
        Assert.Equal([1, 2], missed.Select(e => e.Result.GetProperty("artifact").GetProperty("index").GetInt32()));
        Assert.All(missed, e =>
        {
            Assert.Equal(("artifact-update", taskId, taskId), (e.Kind(), e.Result.GetProperty("id").GetString(), e.Result.GetProperty("taskId").GetString()));
            V03Schema.AssertValid("SendStreamingMessageSuccessResponse", e.Data);
        });
        Assert.True(missed[0].Result.GetProperty("append").GetBoolean());
        Assert.True(missed[0].Result.GetProperty("artifact").GetProperty("append").GetBoolean());
        Assert.Equal(("completed", true, taskId), (tail[^1].V03State(), tail[^1].Final(), tail[^1].Result.GetProperty("id").GetString()));
        await run.FinishAsync();
    }

    [Fact]
    public async Task SendSubscribeAndResubscribe_OneTask_ArtifactsKeepTheirTaskWideIndexOnBoth()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent);
        var taskId = NewId();
        await using var a = await server.StreamAsync("tasks/sendSubscribe", Dialects.TutorialSend(taskId), version: null);
        var run = await agent.NextRunAsync();
        await run.ArtifactAsync("x", artifactId: "a0");
        await a.NextAsync(2);
        await using var b = await server.StreamAsync("tasks/resubscribe", Dialects.Id(taskId), lastEventId: "1", version: null);
        await run.ArtifactAsync("y", artifactId: "a1");
        await run.CompleteAsync();

        var fromA = await a.ReadToEndAsync();
        var fromB = await b.ReadToEndAsync();

        // Resumed with the other method name (v0.3 plus tutorial members), the artifacts keep their task-wide index.
        Assert.Equal([0, 1], fromB.Where(e => e.Result.Has("artifact")).Select(e => e.Result.GetProperty("artifact").GetProperty("index").GetInt32()));
        Assert.Equal([1], fromA.Where(e => e.Result.Has("artifact")).Select(e => e.Result.GetProperty("artifact").GetProperty("index").GetInt32()));
        await run.FinishAsync();
    }
}
