using Herald.Protocol;
using Herald.Server;
using Herald.Server.Agents;
using Herald.Server.Engine;
using Herald.Server.Storage;

namespace Herald.Server.Tests.Engine;

/// <summary>
/// <see cref="SendOptions.CreateTaskWithClientId"/> (tutorial-era <c>tasks/send</c>): a task is created under the
/// id the client chose, continued while it waits for input, and refused otherwise; the store decides races.
/// </summary>
public abstract class ClientChosenTaskIdTests : EngineTests
{
    private static readonly SendOptions ClientId = new() { CreateTaskWithClientId = true };

    private static Task<SendResult> SendAsync(EngineHarness harness, SendMessageRequest request, SendMode mode = SendMode.Blocking) =>
        harness.Engine.SendAsync(Caller.Anonymous, request, mode, ClientId, CancellationToken.None).Within();

    [StoreFact]
    public async Task Send_UnknownClientId_CreatesTheTaskUnderThatIdAndContext()
    {
        var seen = Bounded.NewSignal<(string TaskId, string ContextId, bool Continuation)>();
        await using var harness = Harness((ctx, ct) =>
        {
            seen.TrySetResult((ctx.TaskId, ctx.ContextId, ctx.IsContinuation));
            return ctx.CompleteAsync("done", ct).AsTask();
        });

        var start = await SendAsync(harness, EngineHarness.Request("hi", taskId: "client-task-1", contextId: "session-1"));

        var task = start.Task!.Task;
        Assert.Equal("client-task-1", task.Id);
        Assert.Equal("session-1", task.ContextId);
        Assert.Equal(TaskState.Completed, task.Status.State);
        Assert.Equal(("client-task-1", "session-1", false), await seen.Task.Within());
        Assert.Equal("client-task-1", Assert.Single(task.History!, m => m.Role == Role.User).TaskId);
        Assert.NotNull(await harness.Store.GetAsync("client-task-1"));
    }

    [StoreFact]
    public async Task Send_UnknownClientIdWithoutContext_GetsANewContext()
    {
        await using var harness = Harness((ctx, ct) => ctx.CompleteAsync(cancellationToken: ct).AsTask());

        var task = (await SendAsync(harness, EngineHarness.Request(taskId: "client-task-2"))).Task!.Task;

        Assert.Equal("client-task-2", task.Id);
        Assert.False(string.IsNullOrEmpty(task.ContextId));
    }

    [StoreFact]
    public async Task Send_ClientIdOfTaskWaitingForInput_ContinuesIt()
    {
        await using var harness = Harness((ctx, ct) => ctx.IsContinuation
            ? ctx.CompleteAsync($"hello {ctx.UserText}", ct).AsTask()
            : ctx.RequireInputAsync("name?", ct).AsTask());
        var first = await SendAsync(harness, EngineHarness.Request("ask", taskId: "client-task-3", contextId: "s"));
        Assert.Equal(TaskState.InputRequired, first.Task!.Task.Status.State);

        var second = await SendAsync(harness, EngineHarness.Request("Ada", taskId: "client-task-3", contextId: "s"));

        var task = second.Task!.Task;
        Assert.Equal("client-task-3", task.Id);
        Assert.Equal(TaskState.Completed, task.Status.State);
        Assert.Equal("hello Ada", task.Status.Message!.GetText());
        Assert.Equal(["ask", "name?", "Ada", "hello Ada"], task.History!.Select(m => m.GetText()));
    }

    [StoreFact]
    public async Task Send_ClientIdOfCompletedTask_RefusedAsInvalidIdAndTaskUnchanged()
    {
        await using var harness = Harness((ctx, ct) => ctx.CompleteAsync(cancellationToken: ct).AsTask());
        await SendAsync(harness, EngineHarness.Request(taskId: "client-task-4"));

        var error = await Assert.ThrowsAsync<A2AException>(() => SendAsync(harness, EngineHarness.Request("again", taskId: "client-task-4")));

        Assert.Equal(A2AErrorCodes.InvalidParams, error.Code);
        Assert.Equal("message.taskId", error.Field);
        Assert.Contains("'client-task-4' is not available for a new task", error.Message, StringComparison.Ordinal);
        var after = await harness.Store.GetAsync("client-task-4");
        Assert.Single(after!.Task.History!, m => m.Role == Role.User);
    }

    [StoreFact]
    public async Task Send_ClientIdOfTaskStillWorking_Refused()
    {
        var gate = Bounded.NewSignal();
        await using var harness = Harness(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync(cancellationToken: ct);
            await gate.Task.WaitAsync(ct);
        });
        await SendAsync(harness, EngineHarness.Request(taskId: "client-task-5"), SendMode.Immediate);

        var error = await Assert.ThrowsAsync<A2AException>(() => SendAsync(harness, EngineHarness.Request("again", taskId: "client-task-5")));

        Assert.Equal(A2AErrorCodes.UnsupportedOperation, error.Code);
        Assert.Contains("still being worked on", error.Message, StringComparison.Ordinal);
        gate.TrySetResult();
    }

    [StoreTheory]
    [InlineData("empty")]
    [InlineData("too long")]
    [InlineData("newline")]
    [InlineData("nul")]
    public async Task Send_InvalidClientId_InvalidParamsAndNothingRuns(string scenario)
    {
        var agentRan = false;
        await using var harness = Harness((_, _) =>
        {
            agentRan = true;
            return Task.CompletedTask;
        });
        var id = scenario switch
        {
            "empty" => "",
            "too long" => new string('x', SendOptions.MaxClientTaskIdLength + 1),
            "newline" => "task\nforged log line",
            "nul" => "task\0",
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        };

        var error = await Assert.ThrowsAsync<A2AException>(() => SendAsync(harness, EngineHarness.Request(taskId: id)));

        Assert.Equal(A2AErrorCodes.InvalidParams, error.Code);
        Assert.Equal("message.taskId", error.Field);
        Assert.False(agentRan);
        Assert.Equal(0, (await harness.Store.ListAsync(new TaskQuery { PageSize = 10 })).TotalSize);
    }

    [StoreFact]
    public async Task Send_LongestAllowedClientId_IsAccepted()
    {
        await using var harness = Harness((ctx, ct) => ctx.CompleteAsync(cancellationToken: ct).AsTask());
        var id = new string('é', SendOptions.MaxClientTaskIdLength);

        var task = (await SendAsync(harness, EngineHarness.Request(taskId: id))).Task!.Task;

        Assert.Equal(id, task.Id);
    }

    [StoreFact]
    public async Task Send_WithoutTheOption_UnknownIdIsStillTaskNotFound()
    {
        await using var harness = Harness((ctx, ct) => ctx.CompleteAsync(cancellationToken: ct).AsTask());

        var error = await Assert.ThrowsAsync<A2AException>(() => harness.Engine.SendAsync(Caller.Anonymous, EngineHarness.Request(taskId: "client-task-6"), SendMode.Blocking, CancellationToken.None).Within());

        Assert.Equal(A2AErrorCodes.TaskNotFound, error.Code);
    }

    [StoreFact]
    public async Task Send_MessageOrTaskAgentReplies_ReplyAndNoTask()
    {
        await using var harness = Harness((ctx, ct) => ctx.ReplyAsync($"echo {ctx.UserText}", ct).AsTask(), mode: AgentResponseMode.MessageOrTask);

        var start = await SendAsync(harness, EngineHarness.Request("ping", taskId: "client-task-7", contextId: "s7"));

        Assert.Null(start.Task);
        Assert.Equal("echo ping", start.Reply!.GetText());
        Assert.Equal("s7", start.Reply.ContextId);
        Assert.Null(await harness.Store.GetAsync("client-task-7"));
    }

    [StoreFact]
    public async Task Send_MessageOrTaskAgentReports_CreatesTheTaskUnderTheClientId()
    {
        await using var harness = Harness((ctx, ct) => ctx.CompleteAsync("done", ct).AsTask(), mode: AgentResponseMode.MessageOrTask);

        var start = await SendAsync(harness, EngineHarness.Request(taskId: "client-task-8"));

        Assert.Equal("client-task-8", start.Task!.Task.Id);
        Assert.Equal(TaskState.Completed, start.Task.Task.Status.State);
    }

    // ---- races: the store's duplicate check decides ----

    [StoreFact]
    public async Task Send_AnotherSenderCreatesTheIdFirstAndWorksOnIt_RefusedAndTheirTaskUntouched()
    {
        var store = new InterceptingTaskStore(NewStore());
        var agentRan = false;
        await using var harness = EngineHarness.Create((_, _) =>
        {
            agentRan = true;
            return Task.CompletedTask;
        }, store: () => store, clock: Clock);
        var theirs = new AgentTask { Id = "client-task-9", ContextId = "theirs", Status = new AgentTaskStatus { State = TaskState.Working, Timestamp = harness.Clock.GetUtcNow() } };
        store.BeforeCreate = async task =>
        {
            store.BeforeCreate = null;
            await store.Inner.CreateAsync(theirs, new RunnerLease("another-runner", TimeSpan.FromMinutes(1)));
        };

        var error = await Assert.ThrowsAsync<A2AException>(() => SendAsync(harness, EngineHarness.Request(taskId: "client-task-9")));

        Assert.Equal(A2AErrorCodes.UnsupportedOperation, error.Code);
        Assert.False(agentRan);
        var after = await store.GetAsync("client-task-9");
        Assert.Equal("theirs", after!.Task.ContextId);
        Assert.Equal(1, after.Sequence);
    }

    [StoreFact]
    public async Task Send_AnotherSenderCreatesTheIdFirstAndItWaitsForInput_ContinuesTheirTask()
    {
        var store = new InterceptingTaskStore(NewStore());
        await using var harness = EngineHarness.Create((ctx, ct) => ctx.CompleteAsync($"continued: {ctx.IsContinuation}", ct).AsTask(), store: () => store, clock: Clock);
        var theirs = new AgentTask { Id = "client-task-10", ContextId = "theirs", Status = new AgentTaskStatus { State = TaskState.InputRequired, Timestamp = harness.Clock.GetUtcNow() } };
        store.BeforeCreate = async task =>
        {
            store.BeforeCreate = null;
            await store.Inner.CreateAsync(theirs);
        };

        var task = (await SendAsync(harness, EngineHarness.Request("answer", taskId: "client-task-10"))).Task!.Task;

        Assert.Equal("theirs", task.ContextId);
        Assert.Equal(TaskState.Completed, task.Status.State);
        Assert.Equal("continued: True", task.Status.Message!.GetText());
    }

    [StoreFact]
    public async Task Send_MessageOrTaskAgentLosesTheIdToAnotherSender_SenderGetsAClearError()
    {
        var store = new InterceptingTaskStore(NewStore());
        await using var harness = EngineHarness.Create((ctx, ct) => ctx.CompleteAsync(cancellationToken: ct).AsTask(), mode: AgentResponseMode.MessageOrTask, store: () => store, clock: Clock);
        var theirs = new AgentTask { Id = "client-task-11", ContextId = "theirs", Status = new AgentTaskStatus { State = TaskState.Working, Timestamp = harness.Clock.GetUtcNow() } };
        store.BeforeCreate = async task =>
        {
            store.BeforeCreate = null;
            await store.Inner.CreateAsync(theirs);
        };

        var error = await Assert.ThrowsAsync<A2AException>(() => SendAsync(harness, EngineHarness.Request(taskId: "client-task-11")));

        Assert.Equal(A2AErrorCodes.InvalidParams, error.Code);
        Assert.Contains("created by another message at the same time", error.Message, StringComparison.Ordinal);
        var after = await store.GetAsync("client-task-11");
        Assert.Equal(TaskState.Working, after!.Task.Status.State);
        Assert.Equal(1, after.Sequence);
    }
}
