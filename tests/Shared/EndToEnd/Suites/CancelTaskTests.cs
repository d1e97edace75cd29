using Herald.Protocol;

namespace Herald.Testing.EndToEnd;

/// <summary>CancelTask: canceled everywhere (streams, the agent's token, the store), and its refusals.</summary>
public abstract class CancelTaskTests : BindingTests
{
    [Fact]
    public async Task CancelTask_RunningTaskWithOpenStream_CanceledEverywhereAndAgentTokenFires()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);
        await using var stream = await server.Wire.StreamAsync();
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();
        await stream.NextAsync(2);

        var result = await server.Wire.CancelTaskAsync(run.TaskId);
        var rest = await stream.ReadToEndAsync();
        await run.Canceled.Within();
        await run.Returned.Within();

        Assert.Equal(run.TaskId, result.GetProperty("id").GetString());
        Assert.Equal("TASK_STATE_CANCELED", result.GetProperty("status").GetProperty("state").GetString());
        var canceled = Assert.Single(rest);
        Assert.Equal("TASK_STATE_CANCELED", canceled.State);
        Assert.Equal("3", canceled.Id);
        var task = await server.Wire.GetTaskAsync(run.TaskId);
        Assert.Equal("TASK_STATE_CANCELED", task.GetProperty("status").GetProperty("state").GetString());
    }

    [Fact]
    public async Task CancelTask_AgentReportsAfterCancel_ReportIsRefusedAndTaskStaysCanceled()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);
        var taskId = (await server.Wire.SendImmediatelyAsync()).GetProperty("id").GetString()!;
        var run = await agent.NextRunAsync();

        await server.Wire.CancelTaskAsync(taskId);
        await run.Canceled.Within();

        await Assert.ThrowsAsync<Herald.Server.Storage.TaskAlreadyTerminalException>(() =>
            server.Tasks.UpdateStatusAsync(taskId, TaskState.Completed).AsTask());
        var task = await server.Wire.GetTaskAsync(taskId);
        Assert.Equal("TASK_STATE_CANCELED", task.GetProperty("status").GetProperty("state").GetString());
    }

    [Fact]
    public async Task CancelTask_AlreadyCanceled_TaskNotCancelable()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);
        var taskId = (await server.Wire.SendImmediatelyAsync()).GetProperty("id").GetString()!;
        await agent.NextRunAsync();
        await server.Wire.CancelTaskAsync(taskId);

        var error = await ErrorAsync(() => server.Wire.CancelTaskAsync(taskId), A2AErrorCodes.TaskNotCancelable);

        Assert.Equal("TASK_NOT_CANCELABLE", error.Reason);
    }

    [Fact]
    public async Task CancelTask_CompletedTask_TaskNotCancelable()
    {
        await using var server = await StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync(cancellationToken: ct).AsTask()));
        var taskId = (await server.Wire.SendBlockingAsync()).GetProperty("id").GetString()!;

        await ErrorAsync(() => server.Wire.CancelTaskAsync(taskId), A2AErrorCodes.TaskNotCancelable);
    }

    [Fact]
    public async Task CancelTask_UnknownTask_TaskNotFound()
    {
        await using var server = await StartAsync(new ControlledAgent());

        await ErrorAsync(() => server.Wire.CancelTaskAsync("no-such-task"), A2AErrorCodes.TaskNotFound);
    }
}
