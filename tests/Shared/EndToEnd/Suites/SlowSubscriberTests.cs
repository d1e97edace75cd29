using Herald.Protocol;

namespace Herald.Testing.EndToEnd;

/// <summary>Producers never wait for consumers: a client that stops reading costs only itself.</summary>
public abstract class SlowSubscriberTests : BindingTests
{
    [Fact]
    public async Task SubscribeToTask_SubscriberStopsReading_AgentAndOtherSubscriberAreNotStalled()
    {
        const int Count = 20_000;
        var payload = new string('x', 1024); // ~20 MB in all: far more than socket buffers absorb
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);
        var taskId = (await server.Wire.SendImmediatelyAsync()).GetProperty("id").GetString()!;
        var run = await agent.NextRunAsync();

        // The stalled client: the stream is open, and never read.
        await using var stalled = await server.Wire.SubscribeToTaskAsync(taskId, read: false);
        await using var reader = await server.Wire.SubscribeToTaskAsync(taskId);
        Assert.Equal("task", (await reader.NextAsync()).Kind);

        // Each event replaces the same artifact, so the task stays small while the log grows.
        await run.Do(async (c, ct) =>
        {
            for (var i = 0; i < Count; i++)
            {
                await c.AddArtifactAsync(new Artifact { ArtifactId = "big", Parts = [Part.FromText(payload)] }, cancellationToken: ct);
            }

            await c.CompleteAsync("all appended", ct);
        }).WaitAsync(TimeSpan.FromSeconds(30));

        var task = await server.Wire.GetTaskAsync(taskId, historyLength: 0);
        Assert.Equal("TASK_STATE_COMPLETED", task.GetProperty("status").GetProperty("state").GetString());

        var events = await reader.ReadToEndAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Count + 1, events.Count);
        Assert.Equal(Enumerable.Range(2, Count + 1).Select(i => (long)i), events.Select(e => e.Sequence));
        Assert.Equal("TASK_STATE_COMPLETED", events[^1].State);
    }
}
