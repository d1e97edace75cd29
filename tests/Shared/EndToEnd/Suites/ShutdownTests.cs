using Herald.Protocol;

namespace Herald.Testing.EndToEnd;

/// <summary>Stopping the host ends running tasks as canceled and closes every stream instead of hanging.</summary>
public abstract class ShutdownTests : BindingTests
{
    [Fact]
    public async Task StopAsync_StreamingTaskRunning_StreamReceivesCanceledAndCloses()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);
        await using var stream = await server.Wire.StreamAsync();
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();
        await stream.NextAsync(2);

        var stopping = server.StopAsync();
        var rest = await stream.ReadToEndAsync();
        await stopping;

        var canceled = Assert.Single(rest);
        Assert.Equal("TASK_STATE_CANCELED", canceled.State);
        Assert.Contains("shut down", canceled.Result.GetProperty("statusUpdate").GetProperty("status").GetProperty("message").GetProperty("parts")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
        await run.Canceled.Within();
    }

    [Fact]
    public async Task StopAsync_SubscriberOfTaskWithoutRunningAgent_StreamCloses()
    {
        await using var server = await StartAsync(new ControlledAgent());
        var task = await server.Tasks.CreateTaskAsync(); // a task no agent works on: nothing will end it
        await using var stream = await server.Wire.SubscribeToTaskAsync(task.Id);
        Assert.Equal("task", (await stream.NextAsync()).Kind);

        var stopping = server.StopAsync();
        var rest = await stream.ReadToEndAsync();
        await stopping;

        Assert.Empty(rest);
    }

    [Fact]
    public async Task SendMessage_AfterShutdownBegan_IsRefused()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);
        var engine = (Herald.Server.Engine.TaskEngine)server.Tasks; // internal: a test project running this suite needs Herald.Server's InternalsVisibleTo

        await engine.ShutdownAsync(CancellationToken.None).Within();
        var error = await ErrorAsync(() => server.Wire.SendMessageAsync(A2AWire.SendRequest()), A2AErrorCodes.UnsupportedOperation);

        Assert.Contains("shutting down", error.Message, StringComparison.Ordinal);
    }
}
