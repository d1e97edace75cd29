using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Protocol;
using Herald.Protocol.V03;
using Herald.Server.Agents;

namespace Herald.AspNetCore.Tests;

/// <summary>
/// A2A v0.3 JSON-RPC on the same endpoint, end to end over Kestrel: v0.3 shapes (checked against the v0.3 JSON
/// schema), <c>final</c>, v0.3 error codes, and resumption with Last-Event-ID as on SubscribeToTask.
/// </summary>
public sealed class V03JsonRpcTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("0.3")]
    [InlineData("0.3.0")]
    public async Task MessageSend_Blocking_CompletedTaskInV03Shape(string? version)
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent(async (c, ct) =>
        {
            await c.AppendTextAsync("out", "answer", lastChunk: true, cancellationToken: ct);
            await c.CompleteAsync("done", ct);
        }));

        using var response = await server.PostAsync(HeraldTestServer.Request("message/send", Dialects.V03Send("hi", contextId: "ctx-1"), id: "r-1"), version);
        var text = await response.Content.ReadAsStringAsync();
        var task = JsonDocument.Parse(text).RootElement.GetProperty("result");

        V03Schema.AssertValid("SendMessageSuccessResponse", text);
        Assert.Equal("task", task.GetProperty("kind").GetString());
        Assert.Equal("ctx-1", task.GetProperty("contextId").GetString());
        Assert.Equal("completed", task.GetProperty("status").GetProperty("state").GetString());
        Assert.Equal("agent", task.GetProperty("status").GetProperty("message").GetProperty("role").GetString());
        var part = task.GetProperty("artifacts")[0].GetProperty("parts")[0];
        Assert.Equal(("text", "answer"), (part.GetProperty("kind").GetString(), part.GetProperty("text").GetString()));
        Assert.Equal(["user", "agent"], task.GetProperty("history").EnumerateArray().Select(m => m.GetProperty("role").GetString()));
        Assert.DoesNotContain("TASK_STATE", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MessageSend_NotBlocking_AnswersWhileTheAgentStillWorks()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent);

        var response = await server.PostJsonAsync(HeraldTestServer.Request("message/send", Dialects.V03Send(blocking: false)), version: null);
        var run = await agent.NextRunAsync();

        var task = response.GetProperty("result");
        Assert.Equal(run.TaskId, task.GetProperty("id").GetString());
        Assert.Equal("submitted", task.GetProperty("status").GetProperty("state").GetString());
        await run.FinishAsync();
    }

    [Fact]
    public async Task MessageSend_AgentRepliesDirectly_ResultIsAV03Message()
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent((c, ct) => c.ReplyAsync("echo " + c.UserText, ct).AsTask(), AgentResponseMode.MessageOrTask));

        using var response = await server.PostAsync(HeraldTestServer.Request("message/send", Dialects.V03Send("ping")), version: null);
        var text = await response.Content.ReadAsStringAsync();
        var message = JsonDocument.Parse(text).RootElement.GetProperty("result");

        V03Schema.AssertValid("SendMessageSuccessResponse", text);
        Assert.Equal("message", message.GetProperty("kind").GetString());
        Assert.Equal("agent", message.GetProperty("role").GetString());
        Assert.Equal("echo ping", message.GetProperty("parts")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task MessageStream_EveryEventInV03ShapeWithSequenceIdsAndFinalOnTheLast()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent);
        await using var stream = await server.StreamAsync("message/stream", Dialects.V03Send(), id: 7, version: null);
        var run = await agent.NextRunAsync();
        await run.WorkingAsync("thinking");
        await run.ArtifactAsync("a");
        await run.ArtifactAsync("b", append: true, lastChunk: true);
        await run.CompleteAsync("done");

        var events = await stream.ReadToEndAsync();

        Assert.Equal(["1", "2", "3", "4", "5"], events.Select(e => e.Id));
        Assert.Equal(["task", "status-update", "artifact-update", "artifact-update", "status-update"], events.Select(e => e.Kind()));
        Assert.Equal(["submitted", "working", "completed"], events.Where(e => e.Kind() != "artifact-update").Select(e => e.V03State()));
        Assert.Equal([false, false, false, false, true], events.Select(e => e.Final()));
        Assert.True(events[1].Result.GetProperty("final").ValueKind == JsonValueKind.False, "final is always written on status updates");
        Assert.False(events[2].Result.Has("append"));
        Assert.True(events[3].Result.GetProperty("append").GetBoolean());
        Assert.True(events[3].Result.GetProperty("lastChunk").GetBoolean());
        Assert.Equal(["a", "b"], events.Skip(2).Take(2).Select(e => e.ArtifactText()));
        Assert.All(events, e => Assert.Equal(7, e.Json.GetProperty("id").GetInt32()));
        Assert.All(events, e => V03Schema.AssertValid("SendStreamingMessageSuccessResponse", e.Data));
        Assert.All(RawSse.Blocks(stream.RawText).Skip(1), block => Assert.Equal("data", block[0].Field));
        await run.FinishAsync();
    }

    [Fact]
    public async Task MessageStream_InputRequiredThenFollowUp_BothStreamsEndWithFinal()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent);
        await using var first = await server.StreamAsync("message/stream", Dialects.V03Send("ask"), version: null);
        var run = await agent.NextRunAsync();
        await run.StatusAsync(TaskState.InputRequired, "Your name?");
        var firstEvents = await first.ReadToEndAsync();
        await run.FinishAsync();

        await using var second = await server.StreamAsync("message/stream", Dialects.V03Send("Ada", taskId: run.TaskId, contextId: run.ContextId), version: null);
        var followUp = await agent.NextRunAsync();
        await followUp.CompleteAsync("hello Ada");
        var secondEvents = await second.ReadToEndAsync();

        Assert.Equal("input-required", firstEvents[^1].V03State());
        Assert.True(firstEvents[^1].Final());
        Assert.Equal("Your name?", firstEvents[^1].Result.GetProperty("status").GetProperty("message").GetProperty("parts")[0].GetProperty("text").GetString());
        Assert.Equal(run.TaskId, followUp.TaskId);
        Assert.Equal("task", secondEvents[0].Kind());
        Assert.Equal(["user", "agent", "user"], secondEvents[0].Result.GetProperty("history").EnumerateArray().Select(m => m.GetProperty("role").GetString()));
        Assert.Equal(("completed", true), (secondEvents[^1].V03State(), secondEvents[^1].Final()));
        await followUp.FinishAsync();
    }

    [Fact]
    public async Task Resubscribe_WithLastEventId_ExactlyTheEventsAfterItThenTheLiveTail()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent);
        var first = await server.StreamAsync("message/stream", Dialects.V03Send(), version: "0.3");
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();
        await run.ArtifactAsync("a");
        await first.NextAsync(3);
        await first.DisposeAsync(); // dropped after event 3
        await run.ArtifactAsync("b", append: true); // 4, while away

        await using var resumed = await server.StreamAsync("tasks/resubscribe", Dialects.Id(run.TaskId), lastEventId: "3", version: "0.3");
        var missed = await resumed.NextAsync();
        await run.CompleteAsync(); // 5, live
        var tail = await resumed.ReadToEndAsync();

        Assert.Equal((4L, "artifact-update", "b"), (missed.Sequence, missed.Kind(), missed.ArtifactText()));
        Assert.Equal([5L], tail.Select(e => e.Sequence));
        Assert.Equal(("completed", true), (tail[0].V03State(), tail[0].Final()));
        Assert.All([missed, .. tail], e => V03Schema.AssertValid("SendStreamingMessageSuccessResponse", e.Data));

        // Asked as v0.3: plain v0.3 objects, without the tutorial-era members.
        Assert.False(missed.Result.Has("id"));
        Assert.False(missed.Result.GetProperty("artifact").Has("index"));
        await run.FinishAsync();
    }

    [Fact]
    public async Task Resubscribe_WithoutLastEventId_SnapshotFirstThenTail()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent);
        var taskId = (await server.SendImmediatelyAsync()).GetProperty("id").GetString()!;
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();

        await using var stream = await server.StreamAsync("tasks/resubscribe", Dialects.Id(taskId), version: "0.3");
        var snapshot = await stream.NextAsync();
        await run.CompleteAsync();
        var rest = await stream.ReadToEndAsync();

        Assert.Equal(("task", "working", "2"), (snapshot.Kind(), snapshot.V03State(), snapshot.Id));
        Assert.Equal(["status-update"], rest.Select(e => e.Kind()));
        await run.FinishAsync();
    }

    [Fact]
    public async Task Resubscribe_TaskFinishedWhileAway_ReplaysUpToTheFinalEventThenCloses()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent);
        var first = await server.StreamAsync("message/stream", Dialects.V03Send(), version: null);
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();
        await first.NextAsync(2);
        await first.DisposeAsync();
        await run.ArtifactAsync("x", lastChunk: true);
        await run.CompleteAsync();

        await using var resumed = await server.StreamAsync("tasks/resubscribe", Dialects.Id(run.TaskId), lastEventId: "2", version: "0.3");
        var events = await resumed.ReadToEndAsync();

        Assert.Equal([3L, 4L], events.Select(e => e.Sequence));
        Assert.True(events[^1].Final());
        await run.FinishAsync();
    }

    [Fact]
    public async Task Resubscribe_FinishedTaskWithoutLastEventId_UnsupportedOperationAsTheStreamsOnlyEvent()
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync(cancellationToken: ct).AsTask()));
        var task = await server.PostJsonAsync(HeraldTestServer.Request("message/send", Dialects.V03Send()), version: null);

        await using var stream = await server.StreamAsync("tasks/resubscribe", Dialects.Id(task.GetProperty("result").GetProperty("id").GetString()!), id: 4, version: "0.3");
        var only = Assert.Single(await stream.ReadToEndAsync());

        HeraldTestServer.AssertError(only.Json, V03ErrorCodes.UnsupportedOperation);
        Assert.Equal(4, only.Json.GetProperty("id").GetInt32());
        V03Schema.AssertValid("JSONRPCErrorResponse", only.Data);
    }

    [Fact]
    public async Task TasksGet_WithVersion_PlainV03TaskWithHistoryLength()
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync("done", ct).AsTask()));
        var taskId = (await server.SendBlockingAsync()).GetProperty("id").GetString()!;

        using var response = await server.PostAsync(HeraldTestServer.Request("tasks/get", new JsonObject { ["id"] = taskId, ["historyLength"] = 1 }), "0.3");
        var text = await response.Content.ReadAsStringAsync();
        var task = JsonDocument.Parse(text).RootElement.GetProperty("result");

        V03Schema.AssertValid("GetTaskSuccessResponse", text);
        Assert.Equal(("task", "completed"), (task.GetProperty("kind").GetString(), task.GetProperty("status").GetProperty("state").GetString()));
        Assert.Single(task.GetProperty("history").EnumerateArray());
        Assert.False(task.Has("sessionId"));
    }

    [Fact]
    public async Task TasksCancel_RunningTask_CanceledThenNotCancelable()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent);
        var taskId = (await server.SendImmediatelyAsync()).GetProperty("id").GetString()!;
        var run = await agent.NextRunAsync();

        using var response = await server.PostAsync(HeraldTestServer.Request("tasks/cancel", Dialects.Id(taskId)), "0.3");
        var text = await response.Content.ReadAsStringAsync();
        await run.Canceled.Within();
        var again = await server.PostJsonAsync(HeraldTestServer.Request("tasks/cancel", Dialects.Id(taskId)), "0.3");

        V03Schema.AssertValid("CancelTaskSuccessResponse", text);
        Assert.Equal("canceled", JsonDocument.Parse(text).RootElement.GetProperty("result").GetProperty("status").GetProperty("state").GetString());
        HeraldTestServer.AssertError(again, V03ErrorCodes.TaskNotCancelable);
    }

    [Fact]
    public async Task MessageSend_ToACompletedTask_UnsupportedOperation()
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync(cancellationToken: ct).AsTask()));
        var taskId = (await server.SendBlockingAsync()).GetProperty("id").GetString()!;

        var response = await server.PostJsonAsync(HeraldTestServer.Request("message/send", Dialects.V03Send(taskId: taskId)), version: null);

        HeraldTestServer.AssertError(response, V03ErrorCodes.UnsupportedOperation);
    }

    [Theory]
    [InlineData("tasks/get", """{"id":"no-such-task"}""", V03ErrorCodes.TaskNotFound)]
    [InlineData("tasks/cancel", """{"id":"no-such-task"}""", V03ErrorCodes.TaskNotFound)]
    [InlineData("tasks/pushNotificationConfig/set", """{"taskId":"t","pushNotificationConfig":{"url":"https://example.com/hook"}}""", V03ErrorCodes.PushNotificationNotSupported)]
    [InlineData("tasks/pushNotificationConfig/get", """{"id":"t"}""", V03ErrorCodes.PushNotificationNotSupported)]
    [InlineData("tasks/pushNotificationConfig/list", """{"id":"t"}""", V03ErrorCodes.PushNotificationNotSupported)]
    [InlineData("tasks/pushNotificationConfig/delete", """{"id":"t","pushNotificationConfigId":"c"}""", V03ErrorCodes.PushNotificationNotSupported)]
    [InlineData("agent/getAuthenticatedExtendedCard", "{}", V03ErrorCodes.AuthenticatedExtendedCardNotConfigured)]
    [InlineData("message/send", "{}", A2AErrorCodes.InvalidParams)]
    [InlineData("message/send", """{"message":{"kind":"message","messageId":"m","role":"robot","parts":[{"kind":"text","text":"x"}]}}""", A2AErrorCodes.InvalidParams)]
    [InlineData("message/send", """{"message":{"kind":"message","messageId":"m","role":"user","parts":[{"kind":"video","text":"x"}]}}""", A2AErrorCodes.InvalidParams)]
    [InlineData("message/send", """{"message":{"kind":"message","messageId":"m","role":"user","parts":[{"kind":"file","file":{"name":"a.txt"}}]}}""", A2AErrorCodes.InvalidParams)]
    [InlineData("message/send", """{"message":{"kind":"message","role":"user","parts":[{"kind":"text","text":"x"}]}}""", A2AErrorCodes.InvalidParams)]
    [InlineData("tasks/get", "[1]", A2AErrorCodes.InvalidParams)]
    [InlineData("tasks/get", "{}", A2AErrorCodes.InvalidParams)]
    public async Task Errors_V03Codes(string method, string parameters, int code)
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync(cancellationToken: ct).AsTask()));

        using var response = await server.PostAsync($$"""{"jsonrpc":"2.0","id":"e","method":"{{method}}","params":{{parameters}}}""", version: null);
        var text = await response.Content.ReadAsStringAsync();

        HeraldTestServer.AssertError(await HeraldTestServer.ReadJsonRpcAsync(response), code);
        V03Schema.AssertValid("JSONRPCErrorResponse", text);
    }

    [Fact]
    public async Task MessageStream_SameTaskReadAsV1AndV03_SameSequencesAndStates()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent);
        await using var v03 = await server.StreamAsync("message/stream", Dialects.V03Send(), version: null);
        var run = await agent.NextRunAsync();
        await using var v1 = await server.SubscribeAsync(run.TaskId);
        await v1.NextAsync(); // snapshot
        await run.WorkingAsync();
        await run.ArtifactAsync("a");
        await run.CompleteAsync();

        var v03Events = (await v03.ReadToEndAsync()).Skip(1).ToList();
        var v1Events = await v1.ReadToEndAsync();

        Assert.Equal(v1Events.Select(e => e.Id), v03Events.Select(e => e.Id));
        Assert.Equal(["TASK_STATE_WORKING", "TASK_STATE_COMPLETED"], v1Events.Where(e => e.Kind == "statusUpdate").Select(e => e.State));
        Assert.Equal(["working", "completed"], v03Events.Where(e => e.Kind() == "status-update").Select(e => e.V03State()));
        await run.FinishAsync();
    }
}
