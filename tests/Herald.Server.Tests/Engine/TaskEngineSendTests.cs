using Herald.Protocol;
using Herald.Server;
using Herald.Server.Agents;
using Herald.Server.Engine;
using Herald.Server.Storage;

namespace Herald.Server.Tests.Engine;

public abstract class TaskEngineSendTests : EngineTests
{
    [StoreFact]
    public async Task SendAsync_NewMessage_GeneratesTaskIdAndContextId()
    {
        var seen = Bounded.NewSignal<(string TaskId, string ContextId, bool Continuation)>();
        await using var harness = Harness((ctx, _) =>
        {
            seen.TrySetResult((ctx.TaskId, ctx.ContextId, ctx.IsContinuation));
            return Task.CompletedTask;
        });
        var request = EngineHarness.Request("hi");

        var task = await harness.SendForTaskAsync(request);

        Assert.False(string.IsNullOrEmpty(task.Id));
        Assert.False(string.IsNullOrEmpty(task.ContextId));
        var agentSaw = await seen.Task.Within();
        Assert.Equal(task.Id, agentSaw.TaskId);
        Assert.Equal(task.ContextId, agentSaw.ContextId);
        Assert.False(agentSaw.Continuation);
        var first = Assert.Single(task.History!);
        Assert.Equal(request.Message!.MessageId, first.MessageId);
        Assert.Equal(task.Id, first.TaskId);
        Assert.Equal(task.ContextId, first.ContextId);
    }

    [StoreFact]
    public async Task SendAsync_TwoNewMessages_GetDifferentIds()
    {
        await using var harness = Harness((_, _) => Task.CompletedTask);

        var first = await harness.SendForTaskAsync(EngineHarness.Request());
        var second = await harness.SendForTaskAsync(EngineHarness.Request());

        Assert.NotEqual(first.Id, second.Id);
        Assert.NotEqual(first.ContextId, second.ContextId);
    }

    [StoreFact]
    public async Task SendAsync_MessageWithContextId_ReusesContextId()
    {
        await using var harness = Harness((ctx, ct) => ctx.CompleteAsync("ok", ct).AsTask());

        var task = await harness.SendForTaskAsync(EngineHarness.Request(contextId: "my-conversation"));

        Assert.Equal("my-conversation", task.ContextId);
        Assert.Equal("my-conversation", task.History![0].ContextId);
    }

    [StoreFact]
    public async Task SendAsync_Blocking_ReturnsOnlyOnceCompleted()
    {
        var working = Bounded.NewSignal<string>();
        var gate = Bounded.NewSignal();
        await using var harness = Harness(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync("thinking", ct);
            working.TrySetResult(ctx.TaskId);
            await gate.Task.WaitAsync(ct);
            await ctx.AppendTextAsync("answer", "42", lastChunk: true, cancellationToken: ct);
            await ctx.CompleteAsync("done", ct);
        });

        var send = harness.Engine.SendAsync(Caller.Anonymous, EngineHarness.Request(), SendMode.Blocking, CancellationToken.None);
        var taskId = await working.Task.Within();

        // Read the log up to the working event ourselves: a sender that stopped there could have returned by now.
        await foreach (var e in harness.Engine.SubscribeAsync(taskId, 0, stopAtInterrupt: true))
        {
            if (e.StatusUpdate?.Status.State == TaskState.Working)
            {
                break;
            }
        }

        Assert.False(send.IsCompleted, "A blocking send returned while the task was still working.");
        gate.TrySetResult();
        var start = await send.Within();

        Assert.Equal(TaskState.Completed, start.Task!.Task.Status.State);
        Assert.Equal("42", start.Task.Task.Artifacts!.Single().Parts.Single().Text);
        Assert.Equal("done", start.Task.Task.Status.Message!.GetText());
    }

    [StoreFact]
    public async Task SendAsync_BlockingAgentRequiresInput_ReturnsInputRequired()
    {
        await using var harness = Harness((ctx, ct) => ctx.RequireInputAsync("Which city?", ct).AsTask());

        var task = await harness.SendForTaskAsync(EngineHarness.Request("weather"));

        Assert.Equal(TaskState.InputRequired, task.Status.State);
        Assert.Equal("Which city?", task.Status.Message!.GetText());
        Assert.Equal(Role.Agent, task.Status.Message.Role);
    }

    [StoreFact]
    public async Task SendAsync_Immediate_ReturnsWhileAgentStillWorks()
    {
        var gate = Bounded.NewSignal();
        var finished = Bounded.NewSignal();
        await using var harness = Harness(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync(cancellationToken: ct);
            await gate.Task.WaitAsync(ct);
            await ctx.CompleteAsync(cancellationToken: ct);
            finished.TrySetResult();
        });

        // The gate opens only after the send returned: a send that waited would time out here.
        var task = await harness.SendForTaskAsync(EngineHarness.Request(), SendMode.Immediate);

        Assert.False(task.Status.State.IsTerminal());
        Assert.False(finished.Task.IsCompleted);
        gate.TrySetResult();
        await finished.Task.Within();
        var events = await harness.Engine.SubscribeAsync(task.Id).CollectWithin();
        Assert.Equal(TaskState.Completed, events[^1].StatusUpdate!.Status.State);
    }

    [StoreFact]
    public async Task SendAsync_Streaming_ReturnsSnapshotAtCreation()
    {
        var gate = Bounded.NewSignal();
        await using var harness = Harness(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync(cancellationToken: ct);
            await gate.Task.WaitAsync(ct);
            await ctx.CompleteAsync(cancellationToken: ct);
        });

        var start = await harness.SendAsync(EngineHarness.Request(), SendMode.Streaming);

        Assert.NotNull(start.Task);
        Assert.Equal(1, start.Task.Sequence);
        Assert.Equal(TaskState.Submitted, start.Task.Task.Status.State);
        gate.TrySetResult();
        var events = await harness.Engine.SubscribeAsync(start.Task.Task.Id, start.Task.Sequence).CollectWithin();
        Assert.Equal([TaskState.Working, TaskState.Completed], events.Select(e => e.StatusUpdate!.Status.State));
        Assert.Equal([2L, 3], events.Select(e => e.Sequence));
    }

    [StoreFact]
    public async Task SendAsync_BlockingWithHistoryLength_TrimsReturnedHistory()
    {
        await using var harness = Harness(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync("one", ct);
            await ctx.UpdateStatusAsync(TaskState.Working, "two", ct);
            await ctx.CompleteAsync("three", ct);
        });

        var task = await harness.SendForTaskAsync(EngineHarness.Request(historyLength: 2));

        Assert.Equal(["two", "three"], task.History!.Select(m => m.GetText()));
    }

    // ---- multi-turn ----

    [StoreFact]
    public async Task SendAsync_FollowUpToInputRequiredTask_ResumesWithContinuationAndHistory()
    {
        var secondTurn = Bounded.NewSignal<(bool Continuation, AgentTask? Existing, string Text, string TaskId)>();
        await using var harness = Harness(async (ctx, ct) =>
        {
            if (!ctx.IsContinuation)
            {
                await ctx.RequireInputAsync("Which city?", ct);
                return;
            }

            secondTurn.TrySetResult((ctx.IsContinuation, ctx.ExistingTask, ctx.UserText, ctx.TaskId));
            await ctx.CompleteAsync($"Sunny in {ctx.UserText}", ct);
        });
        var first = await harness.SendForTaskAsync(EngineHarness.Request("weather?"));
        Assert.Equal(TaskState.InputRequired, first.Status.State);

        var second = await harness.SendForTaskAsync(EngineHarness.Request("Paris", taskId: first.Id));

        var agentSaw = await secondTurn.Task.Within();
        Assert.True(agentSaw.Continuation);
        Assert.Equal(first.Id, agentSaw.TaskId);
        Assert.Equal("Paris", agentSaw.Text);
        // ExistingTask is the task as the message found it; the message itself is ctx.Message.
        Assert.Equal(["weather?", "Which city?"], agentSaw.Existing!.History!.Select(m => m.GetText()));
        Assert.Equal(first.Id, second.Id);
        Assert.Equal(first.ContextId, second.ContextId);
        Assert.Equal(TaskState.Completed, second.Status.State);
        Assert.Equal(["weather?", "Which city?", "Paris", "Sunny in Paris"], second.History!.Select(m => m.GetText()));
        Assert.All(second.History!, m => Assert.Equal(first.ContextId, m.ContextId));
    }

    [StoreFact]
    public async Task SendAsync_FollowUpWithMatchingContextId_IsAccepted()
    {
        await using var harness = Harness(async (ctx, ct) =>
        {
            if (ctx.IsContinuation)
            {
                await ctx.CompleteAsync(cancellationToken: ct);
            }
            else
            {
                await ctx.RequireInputAsync("more?", ct);
            }
        });
        var first = await harness.SendForTaskAsync(EngineHarness.Request());

        var second = await harness.SendForTaskAsync(EngineHarness.Request("more", taskId: first.Id, contextId: first.ContextId));

        Assert.Equal(TaskState.Completed, second.Status.State);
    }

    [StoreFact]
    public async Task SendAsync_FollowUpWhoseAgentReturnsWithoutReporting_CompletesTask()
    {
        await using var harness = Harness(async (ctx, ct) =>
        {
            if (!ctx.IsContinuation)
            {
                await ctx.RequireInputAsync("more?", ct);
            }

            // The second turn returns without a status: that completes the task, as on the first turn.
        });
        var first = await harness.SendForTaskAsync(EngineHarness.Request());

        var second = await harness.SendForTaskAsync(EngineHarness.Request("more", taskId: first.Id));

        Assert.Equal(TaskState.Completed, second.Status.State);
    }

    [StoreFact]
    public async Task SendAsync_FollowUpWhilePreviousTurnIsStillReturning_IsAccepted()
    {
        // The first turn asks for input, then takes a moment before returning (logging, cleanup...).
        var firstTurnMayReturn = Bounded.NewSignal();
        await using var harness = Harness(async (ctx, ct) =>
        {
            if (ctx.IsContinuation)
            {
                await ctx.CompleteAsync("thanks", ct);
                return;
            }

            await ctx.RequireInputAsync("more?", ct);
            await firstTurnMayReturn.Task.WaitAsync(ct);
        });
        var first = await harness.SendForTaskAsync(EngineHarness.Request());

        // A client that answers at once, as soon as it sees input-required.
        var followUp = harness.Engine.SendAsync(Caller.Anonymous, EngineHarness.Request("answer", taskId: first.Id), SendMode.Blocking, CancellationToken.None);
        firstTurnMayReturn.TrySetResult();

        var second = await followUp.Within();
        Assert.Equal(TaskState.Completed, second.Task!.Task.Status.State);
    }

    [StoreFact]
    public async Task SendAsync_FollowUpWhoseAgentAsksAgain_StaysInputRequired()
    {
        var turns = 0;
        await using var harness = Harness(async (ctx, ct) =>
        {
            var turn = Interlocked.Increment(ref turns);
            await ctx.RequireInputAsync($"question {turn}", ct);
        });
        var first = await harness.SendForTaskAsync(EngineHarness.Request());

        var second = await harness.SendForTaskAsync(EngineHarness.Request("answer 1", taskId: first.Id));

        Assert.Equal(TaskState.InputRequired, second.Status.State);
        Assert.Equal("question 2", second.Status.Message!.GetText());
        var events = await harness.Store.ReadAsync(first.Id, 0, 100);
        Assert.DoesNotContain(events, e => e.StatusUpdate?.Status.State == TaskState.Completed);
    }

    [StoreFact]
    public async Task SendAsync_FollowUpInStreamingMode_SnapshotIncludesTheNewMessage()
    {
        var gate = Bounded.NewSignal();
        await using var harness = Harness(async (ctx, ct) =>
        {
            if (!ctx.IsContinuation)
            {
                await ctx.RequireInputAsync("?", ct);
                return;
            }

            await gate.Task.WaitAsync(ct);
            await ctx.CompleteAsync(cancellationToken: ct);
        });
        var first = await harness.SendForTaskAsync(EngineHarness.Request("q"));

        var start = await harness.SendAsync(EngineHarness.Request("a", taskId: first.Id), SendMode.Streaming);

        var events = await harness.Store.ReadAsync(first.Id, 0, 100);
        var messageEvent = Assert.Single(events, e => e.Kind == TaskEventKind.Message);
        Assert.Equal(messageEvent.Sequence, start.Task!.Sequence);
        Assert.Equal("a", start.Task.Task.History![^1].GetText());
        gate.TrySetResult();
        var rest = await harness.Engine.SubscribeAsync(first.Id, start.Task.Sequence).CollectWithin();
        Assert.Equal([TaskState.Completed], rest.Select(e => e.StatusUpdate!.Status.State));
    }

    [StoreFact]
    public async Task SendAsync_FollowUpWhilePreviousTurnStillRuns_PreviousTurnCanReportNothingMore()
    {
        // The first turn's lease went with its input-required report: a follow-up is accepted at once, and the
        // first turn, still running, is fenced off - its late reports are refused, not mixed into the new turn.
        var firstTurnMayGoOn = Bounded.NewSignal();
        var secondTurnMayEnd = Bounded.NewSignal();
        var lateReport = Bounded.NewSignal<Exception?>();
        await using var harness = Harness(async (ctx, ct) =>
        {
            if (ctx.IsContinuation)
            {
                await secondTurnMayEnd.Task.WaitAsync(ct);
                await ctx.CompleteAsync("thanks", ct);
                return;
            }

            await ctx.RequireInputAsync("more?", ct);
            await firstTurnMayGoOn.Task.WaitAsync(ct);
            try
            {
                await ctx.AppendTextAsync("late", "from the old turn", cancellationToken: ct);
                await ctx.FlushAsync(ct);
                lateReport.TrySetResult(null);
            }
            catch (InvalidOperationException ex)
            {
                lateReport.TrySetResult(ex);
            }
        });
        var first = await harness.SendForTaskAsync(EngineHarness.Request());

        var followUp = await harness.SendAsync(EngineHarness.Request("answer", taskId: first.Id), SendMode.Streaming);
        firstTurnMayGoOn.TrySetResult();
        Assert.NotNull(await lateReport.Task.Within());
        secondTurnMayEnd.TrySetResult();
        var rest = await harness.Engine.SubscribeAsync(first.Id, followUp.Task!.Sequence).CollectWithin();

        Assert.Equal(TaskState.Completed, rest[^1].StatusUpdate!.Status.State);
        var after = await harness.Store.GetAsync(first.Id);
        Assert.Empty(after!.Task.Artifacts!);
        Assert.Equal(["hello", "more?", "answer", "thanks"], after.Task.History!.Select(m => m.GetText()));
    }

    [StoreFact]
    public async Task SendAsync_TaskIdOfCompletedTask_ThrowsUnsupportedOperation()
    {
        await using var harness = Harness((_, _) => Task.CompletedTask);
        var done = await harness.SendForTaskAsync(EngineHarness.Request());
        Assert.Equal(TaskState.Completed, done.Status.State);

        var error = await Assert.ThrowsAsync<A2AException>(() => harness.SendAsync(EngineHarness.Request("again", taskId: done.Id)));

        Assert.Equal(A2AErrorCodes.UnsupportedOperation, error.Code);
        var after = await harness.Store.GetAsync(done.Id);
        Assert.Single(after!.Task.History!);
    }

    [StoreFact]
    public async Task SendAsync_UnknownTaskId_ThrowsTaskNotFound()
    {
        await using var harness = Harness((_, _) => Task.CompletedTask);

        var error = await Assert.ThrowsAsync<A2AException>(() => harness.SendAsync(EngineHarness.Request(taskId: "no-such-task")));

        Assert.Equal(A2AErrorCodes.TaskNotFound, error.Code);
    }

    [StoreFact]
    public async Task SendAsync_TaskIdWithOtherContextId_ThrowsInvalidParams()
    {
        await using var harness = Harness((ctx, ct) => ctx.RequireInputAsync("?", ct).AsTask());
        var first = await harness.SendForTaskAsync(EngineHarness.Request());

        var error = await Assert.ThrowsAsync<A2AException>(() => harness.SendAsync(EngineHarness.Request(taskId: first.Id, contextId: "another-context")));

        Assert.Equal(A2AErrorCodes.InvalidParams, error.Code);
        Assert.Equal("message.contextId", error.Field);
        var after = await harness.Store.GetAsync(first.Id);
        Assert.Equal(TaskState.InputRequired, after!.Task.Status.State);
        Assert.Equal(first.History!.Count, after.Task.History!.Count);
    }

    [StoreFact]
    public async Task SendAsync_TaskIdOfTaskStillWorking_ThrowsUnsupportedOperation()
    {
        var gate = Bounded.NewSignal();
        await using var harness = Harness(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync(cancellationToken: ct);
            await gate.Task.WaitAsync(ct);
        });
        var running = await harness.SendForTaskAsync(EngineHarness.Request(), SendMode.Immediate);

        var error = await Assert.ThrowsAsync<A2AException>(() => harness.SendAsync(EngineHarness.Request(taskId: running.Id)));

        Assert.Equal(A2AErrorCodes.UnsupportedOperation, error.Code);
        gate.TrySetResult();
    }

    // ---- validation ----

    [StoreTheory]
    [InlineData("no params", "params")]
    [InlineData("no message", "message")]
    [InlineData("no messageId", "message.messageId")]
    [InlineData("agent role", "message.role")]
    [InlineData("unspecified role", "message.role")]
    [InlineData("no parts", "message.parts")]
    [InlineData("part with two contents", "message.parts[1]")]
    [InlineData("empty part", "message.parts[0]")]
    [InlineData("negative historyLength", "configuration.historyLength")]
    public async Task SendAsync_InvalidRequest_ThrowsInvalidParamsNamingTheFieldAndRunsNothing(string scenario, string field)
    {
        var agentRan = false;
        await using var harness = Harness((_, _) =>
        {
            agentRan = true;
            return Task.CompletedTask;
        });
        var valid = Message.UserText("hi");
        var request = scenario switch
        {
            "no params" => null,
            "no message" => new SendMessageRequest(),
            "no messageId" => new SendMessageRequest { Message = valid with { MessageId = "" } },
            "agent role" => new SendMessageRequest { Message = valid with { Role = Role.Agent } },
            "unspecified role" => new SendMessageRequest { Message = valid with { Role = Role.Unspecified } },
            "no parts" => new SendMessageRequest { Message = valid with { Parts = [] } },
            "part with two contents" => new SendMessageRequest { Message = valid with { Parts = [Part.FromText("ok"), new Part { Text = "a", Url = "https://example.com/a" }] } },
            "empty part" => new SendMessageRequest { Message = valid with { Parts = [new Part()] } },
            "negative historyLength" => new SendMessageRequest { Message = valid, Configuration = new SendMessageConfiguration { HistoryLength = -1 } },
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        };

        var error = await Assert.ThrowsAsync<A2AException>(() => harness.Engine.SendAsync(Caller.Anonymous, request!, SendMode.Blocking, CancellationToken.None).Within());

        Assert.Equal(A2AErrorCodes.InvalidParams, error.Code);
        Assert.Equal(field, error.Field);
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
        Assert.False(agentRan);
        Assert.Equal(0, harness.Engine.RunningCount);
        var page = await harness.Store.ListAsync(new TaskQuery { PageSize = 10 });
        Assert.Equal(0, page.TotalSize);
    }

    // ---- how agents end ----

    [StoreFact]
    public async Task SendAsync_AgentThrows_TaskFailsWithSafeMessage()
    {
        await using var harness = Harness(async (ctx, ct) =>
        {
            await ctx.AppendTextAsync("partial", "half", cancellationToken: ct);
            throw new InvalidOperationException("database password is hunter2");
        });

        var task = await harness.SendForTaskAsync(EngineHarness.Request());

        Assert.Equal(TaskState.Failed, task.Status.State);
        var text = task.Status.Message!.GetText();
        Assert.False(string.IsNullOrWhiteSpace(text));
        Assert.DoesNotContain("hunter2", text, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", text, StringComparison.Ordinal);
        Assert.Equal("half", task.Artifacts!.Single().Parts.Single().Text);
    }

    [StoreFact]
    public async Task SendAsync_AgentThrowsBeforeReporting_TaskIsCreatedAndFailed()
    {
        await using var harness = Harness((_, _) => throw new InvalidOperationException("secret detail"));

        var task = await harness.SendForTaskAsync(EngineHarness.Request());

        Assert.Equal(TaskState.Failed, task.Status.State);
        Assert.DoesNotContain("secret detail", task.Status.Message!.GetText(), StringComparison.Ordinal);
        Assert.NotNull(await harness.Store.GetAsync(task.Id));
    }

    [StoreFact]
    public async Task SendAsync_AgentReturnsWithoutTerminalState_CompletesTask()
    {
        await using var harness = Harness(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync(cancellationToken: ct);
            await ctx.AppendTextAsync("out", "result", cancellationToken: ct);
        });

        var task = await harness.SendForTaskAsync(EngineHarness.Request());

        Assert.Equal(TaskState.Completed, task.Status.State);
        Assert.Equal("result", task.Artifacts!.Single().Parts.Single().Text);
    }

    [StoreFact]
    public async Task SendAsync_AgentDoesNothing_CreatesAndCompletesTask()
    {
        await using var harness = Harness((_, _) => Task.CompletedTask);

        var start = await harness.SendAsync(EngineHarness.Request());

        Assert.Null(start.Reply);
        Assert.Equal(TaskState.Completed, start.Task!.Task.Status.State);
        var events = await harness.Store.ReadAsync(start.Task.Task.Id, 0, 10);
        Assert.Equal([TaskEventKind.Created, TaskEventKind.Status], events.Select(e => e.Kind));
        Assert.Equal(start.Task.Sequence, events[^1].Sequence);
    }

    [StoreFact]
    public async Task SendAsync_AgentRejects_ReturnsRejected()
    {
        await using var harness = Harness((ctx, ct) => ctx.RejectAsync("not my job", ct).AsTask());

        var task = await harness.SendForTaskAsync(EngineHarness.Request());

        Assert.Equal(TaskState.Rejected, task.Status.State);
        Assert.Equal("not my job", task.Status.Message!.GetText());
    }

    [StoreFact]
    public async Task SendAsync_AgentReplies_ReturnsMessageAndCreatesNoTask()
    {
        await using var harness = Harness((ctx, ct) => ctx.ReplyAsync($"echo: {ctx.UserText}", ct).AsTask(), mode: AgentResponseMode.MessageOrTask);

        var start = await harness.SendAsync(EngineHarness.Request("ping", contextId: "c-1"));

        Assert.Null(start.Task);
        Assert.NotNull(start.Reply);
        Assert.Equal("echo: ping", start.Reply.GetText());
        Assert.Equal(Role.Agent, start.Reply.Role);
        Assert.Equal("c-1", start.Reply.ContextId);
        Assert.Null(start.Reply.TaskId);
        var page = await harness.Store.ListAsync(new TaskQuery { PageSize = 10 });
        Assert.Equal(0, page.TotalSize);
    }

    [StoreFact]
    public async Task SendAsync_AgentRepliesInStreamingMode_ReturnsMessage()
    {
        await using var harness = Harness((ctx, ct) => ctx.ReplyAsync("direct", ct).AsTask(), mode: AgentResponseMode.MessageOrTask);

        var start = await harness.SendAsync(EngineHarness.Request(), SendMode.Streaming);

        Assert.Null(start.Task);
        Assert.Equal("direct", start.Reply!.GetText());
    }

    [StoreFact]
    public async Task AgentContext_ReplyAfterReporting_IsRefused()
    {
        var refusal = Bounded.NewSignal<Exception?>();
        await using var harness = Harness(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync(cancellationToken: ct);
            try
            {
                await ctx.ReplyAsync("too late", ct);
                refusal.TrySetResult(null);
            }
            catch (InvalidOperationException ex)
            {
                refusal.TrySetResult(ex);
            }

            await ctx.CompleteAsync(cancellationToken: ct);
        }, mode: AgentResponseMode.MessageOrTask);

        var task = await harness.SendForTaskAsync(EngineHarness.Request());

        Assert.NotNull(await refusal.Task.Within());
        Assert.Equal(TaskState.Completed, task.Status.State);
    }

    [StoreFact]
    public async Task AgentContext_ReplyFromTaskModeAgent_IsRefusedWithAdvice()
    {
        var refusal = Bounded.NewSignal<Exception?>();
        await using var harness = Harness(async (ctx, ct) =>
        {
            try
            {
                await ctx.ReplyAsync("direct", ct);
                refusal.TrySetResult(null);
            }
            catch (InvalidOperationException ex)
            {
                refusal.TrySetResult(ex);
            }
        });

        var task = await harness.SendForTaskAsync(EngineHarness.Request());

        var error = await refusal.Task.Within();
        Assert.NotNull(error);
        Assert.Contains("MessageOrTask", error.Message, StringComparison.Ordinal);
        Assert.Equal(TaskState.Completed, task.Status.State);
    }

    [StoreFact]
    public async Task SendAsync_TaskModeAgent_TaskIsListedBeforeAgentCodeRuns()
    {
        var agentMayRun = Bounded.NewSignal();
        await using var harness = Harness(async (ctx, ct) =>
        {
            await agentMayRun.Task.WaitAsync(ct);
            await ctx.CompleteAsync(cancellationToken: ct);
        });

        var streaming = await harness.SendAsync(EngineHarness.Request("s"), SendMode.Streaming);
        var immediate = await harness.SendForTaskAsync(EngineHarness.Request("i"), SendMode.Immediate);

        // Neither send waited for the agent (it is still blocked); both tasks exist and are listed.
        var page = await harness.Engine.ListTasksAsync(new ListTasksRequest(), CancellationToken.None);
        Assert.Equal(TaskState.Submitted, streaming.Task!.Task.Status.State);
        Assert.Equal(TaskState.Submitted, immediate.Status.State);
        Assert.Equal(new[] { streaming.Task.Task.Id, immediate.Id }.Order(), page.Tasks.Select(t => t.Id).Order());
        agentMayRun.TrySetResult();
    }

    [StoreFact]
    public async Task AgentContext_ReportAfterReply_IsRefusedAndNoTaskIsCreated()
    {
        var refusal = Bounded.NewSignal<Exception?>();
        await using var harness = Harness(async (ctx, ct) =>
        {
            await ctx.ReplyAsync("hi", ct);
            try
            {
                await ctx.StartWorkAsync(cancellationToken: ct);
                refusal.TrySetResult(null);
            }
            catch (InvalidOperationException ex)
            {
                refusal.TrySetResult(ex);
            }
        }, mode: AgentResponseMode.MessageOrTask);

        var start = await harness.SendAsync(EngineHarness.Request());

        Assert.Equal("hi", start.Reply!.GetText());
        Assert.NotNull(await refusal.Task.Within());
        var page = await harness.Store.ListAsync(new TaskQuery { PageSize = 10 });
        Assert.Equal(0, page.TotalSize);
    }

    [StoreFact]
    public async Task AgentContext_AppendTextTwice_CreatesThenAppends()
    {
        await using var harness = Harness(async (ctx, ct) =>
        {
            await ctx.AppendTextAsync("story", "Once", name: "Story", cancellationToken: ct);
            await ctx.AppendTextAsync("story", " upon", cancellationToken: ct);
            await ctx.AppendTextAsync("story", " a time", lastChunk: true, cancellationToken: ct);
        });

        var task = await harness.SendForTaskAsync(EngineHarness.Request());

        var artifact = Assert.Single(task.Artifacts!);
        Assert.Equal("Story", artifact.Name);
        Assert.Equal("Once upon a time", string.Concat(artifact.Parts.Select(p => p.Text)));
        var events = await harness.Store.ReadAsync(task.Id, 0, 10);
        var chunks = events.Where(e => e.Kind == TaskEventKind.Artifact).Select(e => e.ArtifactUpdate!).ToList();
        Assert.Equal([null, true, true], chunks.Select(c => c.Append));
        Assert.Equal([null, null, true], chunks.Select(c => c.LastChunk));
    }

    [StoreFact]
    public async Task AgentContext_StatusMessage_IsStampedWithTaskContextAndAgentRole()
    {
        await using var harness = Harness((ctx, ct) =>
            ctx.UpdateStatusAsync(TaskState.Completed, new Message { MessageId = "x", Role = Role.User, Parts = [Part.FromText("bye")] }, ct).AsTask());

        var task = await harness.SendForTaskAsync(EngineHarness.Request());

        var message = task.Status.Message!;
        Assert.Equal(Role.Agent, message.Role);
        Assert.Equal(task.Id, message.TaskId);
        Assert.Equal(task.ContextId, message.ContextId);
    }

    [StoreFact]
    public async Task SendAsync_StatusTimestamps_ComeFromTheInjectedClock()
    {
        var clock = Bounded.NewSignal<TestClock>();
        await using var harness = Harness(async (ctx, ct) =>
        {
            await ctx.EnsureTaskAsync(ct);
            (await clock.Task).Advance(TimeSpan.FromMinutes(5));
            await ctx.CompleteAsync(cancellationToken: ct);
        });
        clock.TrySetResult(harness.Clock);
        var start = harness.Clock.GetUtcNow();

        var task = await harness.SendForTaskAsync(EngineHarness.Request());

        Assert.Equal(start.AddMinutes(5), task.Status.Timestamp);
        var events = await harness.Store.ReadAsync(task.Id, 0, 10);
        Assert.Equal(start, events[0].CreatedTask!.Status.Timestamp);
    }
}
