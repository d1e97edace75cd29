using System.Text.Json.Nodes;
using Herald.Protocol;
using Herald.Server.Agents;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Testing.EndToEnd;

/// <summary>SendMessage and SendStreamingMessage: blocking, immediate, direct replies, multi-turn.</summary>
public abstract class SendMessageTests : BindingTests
{
    [Fact]
    public async Task SendMessage_Blocking_AnswersWhenTaskCompletesWithItsArtifacts()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);

        var send = server.Wire.SendBlockingAsync("write a poem");
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();
        await run.ArtifactAsync("roses are red, ", artifactId: "poem");
        await run.ArtifactAsync("violets are blue", artifactId: "poem", append: true, lastChunk: true);
        Assert.False(send.IsCompleted, "SendMessage answered before the task ended");
        await run.CompleteAsync("here it is");
        var task = await send.Within();

        Assert.Equal(run.TaskId, task.GetProperty("id").GetString());
        Assert.Equal("TASK_STATE_COMPLETED", task.GetProperty("status").GetProperty("state").GetString());
        var artifact = Assert.Single(task.GetProperty("artifacts").EnumerateArray());
        Assert.Equal("poem", artifact.GetProperty("artifactId").GetString());
        Assert.Equal(["roses are red, ", "violets are blue"], artifact.GetProperty("parts").EnumerateArray().Select(p => p.GetProperty("text").GetString()));
        var history = task.GetProperty("history").EnumerateArray().ToList();
        Assert.Equal(["ROLE_USER", "ROLE_AGENT"], history.Select(m => m.GetProperty("role").GetString()));
        Assert.Equal("write a poem", history[0].GetProperty("parts")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task SendMessage_Blocking_AnswersAtInputRequired()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);

        var send = server.Wire.SendBlockingAsync();
        var run = await agent.NextRunAsync();
        await run.StatusAsync(TaskState.InputRequired, "which city?");
        var task = await send.Within();

        Assert.Equal("TASK_STATE_INPUT_REQUIRED", task.GetProperty("status").GetProperty("state").GetString());
        Assert.Equal("which city?", task.GetProperty("status").GetProperty("message").GetProperty("parts")[0].GetProperty("text").GetString());
        await run.FinishAsync();
    }

    [Fact]
    public async Task SendMessage_ReturnImmediately_AnswersWithNonTerminalTaskWhileAgentRuns()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);

        var task = await server.Wire.SendImmediatelyAsync();
        var run = await agent.NextRunAsync();

        Assert.Equal(run.TaskId, task.GetProperty("id").GetString());
        Assert.Equal("TASK_STATE_SUBMITTED", task.GetProperty("status").GetProperty("state").GetString());
        Assert.False(run.Returned.IsCompleted);
        await run.CompleteAsync();
        var later = await server.Wire.GetTaskAsync(run.TaskId);
        Assert.Equal("TASK_STATE_COMPLETED", later.GetProperty("status").GetProperty("state").GetString());
    }

    [Fact]
    public async Task SendMessage_HistoryLengthZero_OmitsHistory()
    {
        await using var server = await StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync("done", ct).AsTask()));
        var wire = server.Wire;

        var withHistory = await wire.SendBlockingAsync();
        var withoutHistory = (await wire.SendMessageAsync(A2AWire.SendRequest(configuration: new JsonObject { ["historyLength"] = 0 }))).GetProperty("task");
        var lastOnly = (await wire.SendMessageAsync(A2AWire.SendRequest(configuration: new JsonObject { ["historyLength"] = 1 }))).GetProperty("task");

        Assert.Equal(2, withHistory.GetProperty("history").GetArrayLength());
        Assert.False(withoutHistory.TryGetProperty("history", out _));
        Assert.Equal("TASK_STATE_COMPLETED", withoutHistory.GetProperty("status").GetProperty("state").GetString());
        Assert.Equal("ROLE_AGENT", Assert.Single(lastOnly.GetProperty("history").EnumerateArray()).GetProperty("role").GetString());
    }

    [Fact]
    public async Task SendMessage_AgentRepliesDirectly_ResultIsMessageWithoutTask()
    {
        await using var server = await StartAsync(h => h.AddAgent((c, ct) => c.ReplyAsync($"echo: {c.UserText}", ct).AsTask(), AgentResponseMode.MessageOrTask));

        var result = await server.Wire.SendMessageAsync(A2AWire.SendRequest("ping", contextId: "ctx-1"));

        Assert.False(result.TryGetProperty("task", out _));
        var message = result.GetProperty("message");
        Assert.Equal("ROLE_AGENT", message.GetProperty("role").GetString());
        Assert.Equal("ctx-1", message.GetProperty("contextId").GetString());
        Assert.False(message.TryGetProperty("taskId", out _));
        Assert.Equal("echo: ping", message.GetProperty("parts")[0].GetProperty("text").GetString());
        var list = await server.Wire.ListTasksAsync();
        Assert.Equal(0, list.GetProperty("totalSize").GetInt32()); // a direct reply creates no task
    }

    [Fact]
    public async Task SendStreamingMessage_AgentRepliesDirectly_ExactlyOneMessageEventThenClose()
    {
        var replied = Bounded.NewSignal();
        await using var server = await StartAsync(h => h.AddAgent(async (c, ct) =>
        {
            await c.ReplyAsync($"echo: {c.UserText}", ct);
            replied.TrySetResult();
        }, AgentResponseMode.MessageOrTask));

        await using var stream = await server.Wire.StreamAsync("hi");
        var events = await stream.ReadToEndAsync();

        var only = Assert.Single(events);
        Assert.Equal("message", only.Kind);
        Assert.Null(only.Id); // a message is not a task event: it has no sequence
        Assert.Equal("echo: hi", only.Result.GetProperty("message").GetProperty("parts")[0].GetProperty("text").GetString());
        await replied.Task.Within();
    }

    [Fact]
    public async Task SendMessage_AgentThrows_TaskFailsWithSafeMessageAndErrorIsLogged()
    {
        await using var server = await StartAsync(h => h.AddAgent((c, ct) =>
            throw new InvalidOperationException("SECRET at /srv/agent/Program.cs:line 42")));

        var task = await server.Wire.SendBlockingAsync();

        Assert.Equal("TASK_STATE_FAILED", task.GetProperty("status").GetProperty("state").GetString());
        Assert.DoesNotContain("SECRET", task.GetRawText(), StringComparison.Ordinal);
        Assert.Contains(server.Logs.Entries, e => e.EventId.Id == 1001 && e.Exception?.Message.StartsWith("SECRET", StringComparison.Ordinal) == true);
    }

    // ---- multi-turn ----

    [Fact]
    public async Task SendStreamingMessage_InputRequiredThenFollowUp_ContinuesSameTaskToCompletion()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);

        await using var first = await server.Wire.StreamAsync("book a flight");
        var run1 = await agent.NextRunAsync();
        await run1.WorkingAsync();
        await run1.StatusAsync(TaskState.InputRequired, "to which city?");
        var turn1 = await first.ReadToEndAsync();
        await run1.FinishAsync();

        await using var second = await server.Wire.StreamAsync("Paris", taskId: run1.TaskId);
        var run2 = await agent.NextRunAsync();
        var snapshot = await second.NextAsync();
        await run2.WorkingAsync();
        await run2.CompleteAsync($"booked {run2.Context.UserText}");
        var turn2 = await second.ReadToEndAsync();

        Assert.Equal(["1", "2", "3"], turn1.Select(e => e.Id));
        Assert.Equal("TASK_STATE_INPUT_REQUIRED", turn1[^1].State);
        Assert.True(run2.Context.IsContinuation);
        Assert.Equal(run1.TaskId, run2.TaskId);
        Assert.Equal(run1.ContextId, run2.ContextId);

        // The follow-up stream starts with the task as of the appended user message (event 4).
        Assert.Equal("task", snapshot.Kind);
        Assert.Equal("4", snapshot.Id);
        var task = snapshot.Result.GetProperty("task");
        Assert.Equal(run1.TaskId, task.GetProperty("id").GetString());
        Assert.Equal("Paris", task.GetProperty("history").EnumerateArray().Last().GetProperty("parts")[0].GetProperty("text").GetString());
        Assert.Equal([5L, 6L], turn2.Select(e => e.Sequence));
        Assert.Equal("TASK_STATE_COMPLETED", turn2[^1].State);
    }

    [Fact]
    public async Task SendStreamingMessage_FollowUpWhileAskingAgentStillReturning_WaitsInsteadOfRefusing()
    {
        var store = new InterceptingTaskStore();
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent, configureServices: s => s.AddSingleton<Herald.Server.Storage.TaskStore>(store));
        var send = server.Wire.SendBlockingAsync("book a flight");
        var run1 = await agent.NextRunAsync();
        await run1.StatusAsync(TaskState.InputRequired, "to which city?");
        Assert.Equal("TASK_STATE_INPUT_REQUIRED", (await send.Within()).GetProperty("status").GetProperty("state").GetString());

        // The client answers at once, while the first turn's agent has not returned yet.
        var followUpRead = Bounded.NewSignal();
        store.OnGet = id => followUpRead.TrySetResult();
        var followUp = server.Wire.StreamAsync("Paris", taskId: run1.TaskId);
        await followUpRead.Task.Within();
        store.OnGet = null;
        await run1.FinishAsync();
        await using var second = await followUp;
        var run2 = await agent.NextRunAsync();
        await run2.CompleteAsync();
        var events = await second.ReadToEndAsync();

        Assert.Equal("task", events[0].Kind);
        Assert.Equal("TASK_STATE_COMPLETED", events[^1].State);
    }

    [Fact]
    public async Task SendMessage_ToCompletedTask_UnsupportedOperation()
    {
        await using var server = await StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync(cancellationToken: ct).AsTask()));
        var taskId = (await server.Wire.SendBlockingAsync()).GetProperty("id").GetString()!;

        var error = await ErrorAsync(() => server.Wire.SendMessageAsync(A2AWire.SendRequest("more", taskId: taskId)), A2AErrorCodes.UnsupportedOperation);
        await ErrorAsync(() => server.Wire.StreamAsync("more", taskId: taskId), A2AErrorCodes.UnsupportedOperation);

        Assert.Contains("TASK_STATE_COMPLETED", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendMessage_UnknownTaskId_TaskNotFound()
    {
        await using var server = await StartAsync(new ControlledAgent());

        await ErrorAsync(() => server.Wire.SendMessageAsync(A2AWire.SendRequest("hi", taskId: "no-such-task")), A2AErrorCodes.TaskNotFound);
        await ErrorAsync(() => server.Wire.StreamAsync("hi", taskId: "no-such-task"), A2AErrorCodes.TaskNotFound);
    }

    [Fact]
    public async Task SendMessage_FollowUpWithOtherContextId_InvalidParams()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);
        var send = server.Wire.SendBlockingAsync();
        var run = await agent.NextRunAsync();
        await run.StatusAsync(TaskState.InputRequired, "?");
        await send.Within();
        await run.FinishAsync();

        var error = await ErrorAsync(() => server.Wire.SendMessageAsync(A2AWire.SendRequest("x", taskId: run.TaskId, contextId: "another-context")), A2AErrorCodes.InvalidParams);

        Assert.Equal("message.contextId", error.Field);
    }

    [Fact]
    public async Task SendMessage_ManyConcurrentRequests_EachAnswerIsForItsOwnRequest()
    {
        // Regression: the parsed request once kept pointing into pipe buffers that later requests reused, so an answer
        // written after a wait could belong to another request (JSON-RPC: another id; the wire drivers check ids too).
        const int Requests = 100;
        var arrived = 0;
        var allArrived = Bounded.NewSignal();
        var release = Bounded.NewSignal();
        await using var server = await StartAsync(h => h.AddAgent(async (c, ct) =>
        {
            if (Interlocked.Increment(ref arrived) == Requests)
            {
                allArrived.TrySetResult();
            }

            await release.Task.WaitAsync(ct);
            await c.CompleteAsync(cancellationToken: ct);
        }));

        var texts = Enumerable.Range(0, Requests).Select(i => $"request-{i}-" + new string('p', i * 13)).ToList();
        var pending = texts.Select(text => server.Wire.SendBlockingAsync(text)).ToList();
        await allArrived.Task.Within(); // every request has been read and is now waiting for its agent
        release.TrySetResult();
        var tasks = await Task.WhenAll(pending).Within();

        for (var i = 0; i < Requests; i++)
        {
            Assert.Equal("TASK_STATE_COMPLETED", tasks[i].GetProperty("status").GetProperty("state").GetString());
            Assert.Equal(texts[i], tasks[i].GetProperty("history")[0].GetProperty("parts")[0].GetProperty("text").GetString());
        }
    }
}
