
namespace Herald.AspNetCore.Tests;

/// <summary>
/// <c>HeraldOptions.JsonRpcNotificationEvents</c> (the cleveragents convention): the first item answers the request;
/// every update after it is a JSON-RPC notification named in <c>event:</c>, with its sequence in <c>id:</c>.
/// </summary>
public sealed class JsonRpcNotificationTests
{
    private static async Task<(HeraldTestServer Server, ControlledAgent Agent)> StartAsync()
    {
        var agent = new ControlledAgent();
        return (await HeraldTestServer.StartAsync(agent, o => o.JsonRpcNotificationEvents = true), agent);
    }

    [Fact]
    public async Task V1Stream_UpdatesAreNotificationsCarryingTheBareEvent()
    {
        var (server, agent) = await StartAsync();
        await using var _ = server;
        await using var stream = await server.StreamAsync("SendStreamingMessage", HeraldTestServer.SendParams(), id: 5);
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();
        await run.ArtifactAsync("a");
        await run.CompleteAsync();

        var events = await stream.ReadToEndAsync();

        Assert.Equal(["task", "task/statusUpdate", "task/artifactUpdate", "task/statusUpdate"], events.Select(e => e.EventType));
        Assert.Equal(["1", "2", "3", "4"], events.Select(e => e.Id));
        Assert.Equal(5, events[0].Json.GetProperty("id").GetInt32());
        Assert.True(events[0].Json.GetProperty("result").Has("task"));
        foreach (var e in events.Skip(1))
        {
            Assert.False(e.Json.Has("id"), "a notification has no id");
            Assert.False(e.Json.Has("result"));
            Assert.Equal("2.0", e.Json.GetProperty("jsonrpc").GetString());
            Assert.Equal(e.EventType, e.Json.GetProperty("method").GetString());
            Assert.Equal(run.TaskId, e.Json.GetProperty("params").GetProperty("taskId").GetString());
        }

        Assert.Equal("TASK_STATE_COMPLETED", events[^1].Json.GetProperty("params").GetProperty("status").GetProperty("state").GetString());
        Assert.Equal("a", events[2].Json.GetProperty("params").GetProperty("artifact").GetProperty("parts")[0].GetProperty("text").GetString());
        await run.FinishAsync();
    }

    [Fact]
    public async Task V1ResumedStream_ReplayedUpdatesAreNotificationsToo()
    {
        var (server, agent) = await StartAsync();
        await using var _ = server;
        var taskId = (await server.SendImmediatelyAsync()).GetProperty("id").GetString()!;
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();
        await run.CompleteAsync();

        // Replayed from the log after Last-Event-ID, not taken from the live tail: framed the same way.
        await using var resumed = await server.SubscribeAsync(taskId, lastEventId: "1");
        var events = await resumed.ReadToEndAsync();

        Assert.Equal(["task/statusUpdate", "task/statusUpdate"], events.Select(e => e.Json.GetProperty("method").GetString()));
        Assert.Equal(["2", "3"], events.Select(e => e.Id));
        await run.FinishAsync();
    }

    [Fact]
    public async Task V03Stream_NotificationParamsAreTheV03Event()
    {
        var (server, agent) = await StartAsync();
        await using var _ = server;
        await using var stream = await server.StreamAsync("message/stream", Dialects.V03Send(), version: null);
        var run = await agent.NextRunAsync();
        await run.ArtifactAsync("a");
        await run.CompleteAsync();

        var events = await stream.ReadToEndAsync();

        Assert.Equal("task", events[0].Json.GetProperty("result").GetProperty("kind").GetString());
        Assert.Equal(["task/artifactUpdate", "task/statusUpdate"], events.Skip(1).Select(e => e.EventType));
        Assert.Equal("artifact-update", events[1].Json.GetProperty("params").GetProperty("kind").GetString());
        Assert.True(events[2].Json.GetProperty("params").GetProperty("final").GetBoolean());
        await run.FinishAsync();
    }

    [Fact]
    public async Task TutorialStream_KeepsTheResponsesItsClientsRead()
    {
        var (server, agent) = await StartAsync();
        await using var _ = server;
        await using var stream = await server.StreamAsync("tasks/sendSubscribe", Dialects.TutorialSend("notify-tutorial-1"), version: null);
        var run = await agent.NextRunAsync();
        await run.CompleteAsync();

        var events = await stream.ReadToEndAsync();

        Assert.All(events, e => Assert.True(e.Json.Has("result")));
        Assert.DoesNotContain("event:", stream.RawText, StringComparison.Ordinal);
        await run.FinishAsync();
    }
}
