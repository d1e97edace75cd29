using System.Text.Json.Nodes;
using Herald.AspNetCore.Tests.Infrastructure;
using Herald.Protocol;

namespace Herald.AspNetCore.Tests;

public sealed class CancelTaskTests
{
    [Fact]
    public async Task CancelTask_RunningTaskWithOpenStream_CanceledEverywhereAndAgentTokenFires()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent);
        await using var stream = await server.StreamAsync("SendStreamingMessage", HeraldTestServer.SendParams());
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();
        await stream.NextAsync(2);

        var result = await server.ResultAsync("CancelTask", new JsonObject { ["id"] = run.TaskId });
        var rest = await stream.ReadToEndAsync();
        await run.Canceled.Within();
        await run.Returned.Within();

        Assert.Equal(run.TaskId, result.GetProperty("id").GetString());
        Assert.Equal("TASK_STATE_CANCELED", result.GetProperty("status").GetProperty("state").GetString());
        var canceled = Assert.Single(rest);
        Assert.Equal("TASK_STATE_CANCELED", canceled.State);
        Assert.Equal("3", canceled.Id);
        var task = await server.GetTaskAsync(run.TaskId);
        Assert.Equal("TASK_STATE_CANCELED", task.GetProperty("status").GetProperty("state").GetString());
    }

    [Fact]
    public async Task CancelTask_AgentReportsAfterCancel_ReportIsRefusedAndTaskStaysCanceled()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent);
        var taskId = (await server.SendImmediatelyAsync()).GetProperty("id").GetString()!;
        var run = await agent.NextRunAsync();

        await server.ResultAsync("CancelTask", new JsonObject { ["id"] = taskId });
        await run.Canceled.Within();

        await Assert.ThrowsAsync<Herald.Server.Storage.TaskAlreadyTerminalException>(() =>
            server.Tasks.UpdateStatusAsync(taskId, TaskState.Completed).AsTask());
        var task = await server.GetTaskAsync(taskId);
        Assert.Equal("TASK_STATE_CANCELED", task.GetProperty("status").GetProperty("state").GetString());
    }

    [Fact]
    public async Task CancelTask_AlreadyCanceled_TaskNotCancelable()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent);
        var taskId = (await server.SendImmediatelyAsync()).GetProperty("id").GetString()!;
        await agent.NextRunAsync();
        await server.ResultAsync("CancelTask", new JsonObject { ["id"] = taskId });

        var error = await server.ErrorAsync("CancelTask", new JsonObject { ["id"] = taskId }, A2AErrorCodes.TaskNotCancelable);

        Assert.Equal("TASK_NOT_CANCELABLE", error.GetProperty("data")[0].GetProperty("reason").GetString());
    }

    [Fact]
    public async Task CancelTask_CompletedTask_TaskNotCancelable()
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync(cancellationToken: ct).AsTask()));
        var taskId = (await server.SendBlockingAsync()).GetProperty("id").GetString()!;

        await server.ErrorAsync("CancelTask", new JsonObject { ["id"] = taskId }, A2AErrorCodes.TaskNotCancelable);
    }

    [Fact]
    public async Task CancelTask_UnknownTask_TaskNotFound()
    {
        await using var server = await HeraldTestServer.StartAsync(new ControlledAgent());

        await server.ErrorAsync("CancelTask", new JsonObject { ["id"] = "no-such-task" }, A2AErrorCodes.TaskNotFound);
    }
}
