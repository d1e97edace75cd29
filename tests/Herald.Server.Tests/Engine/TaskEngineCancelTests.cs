using Herald.Protocol;
using Herald.Server;
using Herald.Server.Engine;
using Herald.Server.Storage;

namespace Herald.Server.Tests.Engine;

public abstract class TaskEngineCancelTests : EngineTests
{
    [StoreFact]
    public async Task CancelAsync_RunningTask_CancelsTaskAndFiresAgentToken()
    {
        var tokenFired = Bounded.NewSignal();
        var agentReturned = Bounded.NewSignal<Exception?>();
        await using var harness = Harness(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync(cancellationToken: ct);
            using var registration = ct.Register(tokenFired.SetResult);
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            finally
            {
                // An agent that reports after being canceled is refused; the task stays canceled.
                try
                {
                    await ctx.CompleteAsync("finished anyway", CancellationToken.None);
                    agentReturned.TrySetResult(null);
                }
                catch (Exception ex)
                {
                    agentReturned.TrySetResult(ex);
                }
            }
        });
        var task = await harness.SendForTaskAsync(EngineHarness.Request(), SendMode.Immediate);

        var canceled = await harness.Engine.CancelTaskAsync(new CancelTaskRequest { Id = task.Id }, CancellationToken.None).Within();

        Assert.Equal(TaskState.Canceled, canceled.Status.State);
        await tokenFired.Task.Within();
        Assert.IsType<TaskAlreadyTerminalException>(await agentReturned.Task.Within());
        var after = await harness.Store.GetAsync(task.Id);
        Assert.Equal(TaskState.Canceled, after!.Task.Status.State);
        var events = await harness.Engine.SubscribeAsync(task.Id).CollectWithin();
        Assert.Equal(TaskState.Canceled, events[^1].StatusUpdate!.Status.State);
    }

    [StoreFact]
    public async Task CancelAsync_BlockingSenderWaiting_SenderGetsCanceledTask()
    {
        var working = Bounded.NewSignal<string>();
        await using var harness = Harness(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync(cancellationToken: ct);
            working.TrySetResult(ctx.TaskId);
            await Task.Delay(Timeout.Infinite, ct);
        });
        var send = harness.Engine.SendAsync(Caller.Anonymous, EngineHarness.Request(), SendMode.Blocking, CancellationToken.None);
        var taskId = await working.Task.Within();

        await harness.Engine.CancelTaskAsync(new CancelTaskRequest { Id = taskId }, CancellationToken.None).Within();

        var start = await send.Within();
        Assert.Equal(TaskState.Canceled, start.Task!.Task.Status.State);
    }

    [StoreFact]
    public async Task CancelAsync_InputRequiredTask_CancelsIt()
    {
        await using var harness = Harness((ctx, ct) => ctx.RequireInputAsync("?", ct).AsTask());
        var task = await harness.SendForTaskAsync(EngineHarness.Request());

        var canceled = await harness.Engine.CancelTaskAsync(new CancelTaskRequest { Id = task.Id }, CancellationToken.None).Within();

        Assert.Equal(TaskState.Canceled, canceled.Status.State);
    }

    [StoreFact]
    public async Task CancelAsync_SecondTime_ThrowsTaskNotCancelable()
    {
        await using var harness = Harness((ctx, ct) => ctx.RequireInputAsync("?", ct).AsTask());
        var task = await harness.SendForTaskAsync(EngineHarness.Request());
        await harness.Engine.CancelTaskAsync(new CancelTaskRequest { Id = task.Id }, CancellationToken.None).Within();

        var error = await Assert.ThrowsAsync<A2AException>(() => harness.Engine.CancelTaskAsync(new CancelTaskRequest { Id = task.Id }, CancellationToken.None).Within());

        Assert.Equal(A2AErrorCodes.TaskNotCancelable, error.Code);
        var events = await harness.Store.ReadAsync(task.Id, 0, 100);
        Assert.Single(events, e => e.StatusUpdate?.Status.State == TaskState.Canceled);
    }

    [StoreFact]
    public async Task CancelAsync_CompletedTask_ThrowsTaskNotCancelable()
    {
        await using var harness = Harness((_, _) => Task.CompletedTask);
        var task = await harness.SendForTaskAsync(EngineHarness.Request());

        var error = await Assert.ThrowsAsync<A2AException>(() => harness.Engine.CancelTaskAsync(new CancelTaskRequest { Id = task.Id }, CancellationToken.None).Within());

        Assert.Equal(A2AErrorCodes.TaskNotCancelable, error.Code);
        Assert.Equal(TaskState.Completed, (await harness.Store.GetAsync(task.Id))!.Task.Status.State);
    }

    [StoreFact]
    public async Task CancelAsync_UnknownTask_ThrowsTaskNotFound()
    {
        await using var harness = Harness((_, _) => Task.CompletedTask);

        var error = await Assert.ThrowsAsync<A2AException>(() => harness.Engine.CancelTaskAsync(new CancelTaskRequest { Id = "nope" }, CancellationToken.None).Within());

        Assert.Equal(A2AErrorCodes.TaskNotFound, error.Code);
    }

    [StoreFact]
    public async Task CancelAsync_MissingId_ThrowsInvalidParams()
    {
        await using var harness = Harness((_, _) => Task.CompletedTask);

        var error = await Assert.ThrowsAsync<A2AException>(() => harness.Engine.CancelTaskAsync(new CancelTaskRequest(), CancellationToken.None).Within());

        Assert.Equal(A2AErrorCodes.InvalidParams, error.Code);
        Assert.Equal("id", error.Field);
    }

    [StoreFact]
    public async Task ShutdownAsync_RunningAgent_CancelsTaskAndRefusesNewMessages()
    {
        var tokenFired = Bounded.NewSignal();
        var working = Bounded.NewSignal();
        await using var harness = Harness(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync(cancellationToken: ct);
            using var registration = ct.Register(tokenFired.SetResult);
            working.SetResult();
            await Task.Delay(Timeout.Infinite, ct);
        });
        var task = await harness.SendForTaskAsync(EngineHarness.Request(), SendMode.Immediate);
        await working.Task.Within(); // shut down while the agent runs (a report after shutdown began is refused)

        await harness.Engine.ShutdownAsync(CancellationToken.None).Within();

        await tokenFired.Task.Within();
        var after = await harness.Store.GetAsync(task.Id);
        Assert.Equal(TaskState.Canceled, after!.Task.Status.State);
        Assert.NotNull(after.Task.Status.Message);
        Assert.Equal(0, harness.Engine.RunningCount);
        var error = await Assert.ThrowsAsync<A2AException>(() => harness.SendAsync(EngineHarness.Request()));
        Assert.Equal(A2AErrorCodes.UnsupportedOperation, error.Code);
    }

    [Fact]
    public async Task ShutdownAsync_AgentReportsAfterShutdownBegan_RefusedAndTheTaskStaysCanceled()
    {
        var working = Bounded.NewSignal();
        var release = Bounded.NewSignal();
        var refusal = Bounded.NewSignal<Exception?>();
        await using var harness = Harness(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync(cancellationToken: ct);
            working.SetResult();
            await release.Task; // ignores its token: reports once it is let go
            try
            {
                await ctx.CompleteAsync("finished anyway", CancellationToken.None);
                refusal.SetResult(null);
            }
            catch (Exception ex)
            {
                refusal.SetResult(ex);
                throw;
            }
        });
        var task = await harness.SendForTaskAsync(EngineHarness.Request(), SendMode.Immediate);
        await working.Task.Within();

        var shutdown = harness.Engine.ShutdownAsync(CancellationToken.None);
        release.SetResult();
        await shutdown.Within();

        Assert.IsAssignableFrom<OperationCanceledException>(await refusal.Task.Within());
        var after = await harness.Store.GetAsync(task.Id);
        Assert.Equal(TaskState.Canceled, after!.Task.Status.State);
        var log = await harness.Store.ReadAsync(task.Id, 0, 100);
        Assert.DoesNotContain(log, e => e.State == TaskState.Completed);
    }
}
