using System.Globalization;
using Herald.Protocol;
using Herald.Server.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Testing.EndToEnd;

/// <summary>What every stream guarantees whatever the binding: ids are the log's sequences, order, end rules, errors.</summary>
public abstract class StreamTests : BindingTests
{
    [Fact]
    public async Task SendStreamingMessage_AgentReports_EachEventCarriesItsSequenceAsId()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);

        await using var stream = await server.Wire.StreamAsync("go");
        var run = await agent.NextRunAsync();
        await run.WorkingAsync("thinking");
        await run.ArtifactAsync("a");
        await run.ArtifactAsync("b", append: true, lastChunk: true);
        await run.CompleteAsync();
        var events = await stream.ReadToEndAsync();

        Assert.Equal(["1", "2", "3", "4", "5"], events.Select(e => e.Id));
        Assert.Equal(["task", "statusUpdate", "artifactUpdate", "artifactUpdate", "statusUpdate"], events.Select(e => e.Kind));

        // The first event is the task as created, and its id is the sequence that snapshot reflects.
        var task = events[0].Result.GetProperty("task");
        Assert.Equal(run.TaskId, task.GetProperty("id").GetString());
        Assert.Equal("TASK_STATE_SUBMITTED", task.GetProperty("status").GetProperty("state").GetString());
        Assert.Equal("TASK_STATE_COMPLETED", events[^1].State);

        // The ids are the log's sequences, not a per-stream counter.
        var log = await server.Store.ReadAsync(run.TaskId, 0, 100);
        Assert.Equal(log.Where(e => e.IsStreamed).Select(e => e.Sequence.ToString(CultureInfo.InvariantCulture)), events.Skip(1).Select(e => e.Id));
        Assert.Equal("b", events[3].Text);
        Assert.True(events[3].Result.GetProperty("artifactUpdate").GetProperty("append").GetBoolean());
    }

    [Theory]
    [InlineData(TaskState.Completed)]
    [InlineData(TaskState.Failed)]
    [InlineData(TaskState.Canceled)]
    [InlineData(TaskState.Rejected)]
    [InlineData(TaskState.InputRequired)]
    [InlineData(TaskState.AuthRequired)]
    public async Task SendStreamingMessage_StateThatEndsStreams_StreamClosesWhileAgentStillRuns(TaskState state)
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);

        await using var stream = await server.Wire.StreamAsync();
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();
        await run.StatusAsync(state, "the end of this stream");
        var events = await stream.ReadToEndAsync();

        // The event closed the stream, not the agent returning: the agent has not returned yet.
        Assert.False(run.Returned.IsCompleted);
        Assert.Equal(state.ToWireName(), events[^1].State);
        Assert.Equal(["task", "statusUpdate", "statusUpdate"], events.Select(e => e.Kind));
        await run.FinishAsync();
    }

    [Fact]
    public async Task SendStreamingMessage_WorkingStatus_DoesNotCloseStream()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);

        await using var stream = await server.Wire.StreamAsync();
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();
        await run.StatusAsync(TaskState.Working, "still going");
        await run.ArtifactAsync("late");
        await run.CompleteAsync();
        var events = await stream.ReadToEndAsync();

        Assert.Equal(["task", "statusUpdate", "statusUpdate", "artifactUpdate", "statusUpdate"], events.Select(e => e.Kind));
    }

    [Fact]
    public async Task SendStreamingMessage_AgentReturnsWithoutEnding_StreamEndsCompleted()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);

        await using var stream = await server.Wire.StreamAsync();
        var run = await agent.NextRunAsync();
        await run.ArtifactAsync("result");
        run.Finish();
        var events = await stream.ReadToEndAsync();

        Assert.Equal("TASK_STATE_COMPLETED", events[^1].State);
    }

    [Fact]
    public async Task SendStreamingMessage_AgentThrows_StreamEndsFailedWithoutExceptionDetails()
    {
        await using var server = await StartAsync(h => h.AddAgent(async (context, ct) =>
        {
            await context.StartWorkAsync(cancellationToken: ct);
            throw new InvalidOperationException("SECRET-connection-string=Server=db;Password=hunter2");
        }));

        await using var stream = await server.Wire.StreamAsync();
        var events = await stream.ReadToEndAsync();

        Assert.Equal("TASK_STATE_FAILED", events[^1].State);
        Assert.All(events, e => Assert.DoesNotContain("SECRET", e.Data, StringComparison.Ordinal));
        Assert.All(events, e => HeraldTestServer.AssertNoInternals(e.Data));
        Assert.Contains(server.Logs.Entries, e => e.Exception?.Message.Contains("SECRET", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task SendStreamingMessage_ManyEventsFromFastAgent_EveryEventArrivesOnceInOrder()
    {
        const int count = 1000;
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);

        await using var stream = await server.Wire.StreamAsync();
        var run = await agent.NextRunAsync();
        await run.Do(async (c, ct) =>
        {
            for (var i = 0; i < count; i++)
            {
                await c.AppendTextAsync("out", i.ToString(CultureInfo.InvariantCulture), cancellationToken: ct);
            }

            await c.CompleteAsync(cancellationToken: ct);
        });
        var events = await stream.ReadToEndAsync();

        Assert.Equal(Enumerable.Range(1, count + 2).Select(i => (long)i), events.Select(e => e.Sequence));
        Assert.Equal(Enumerable.Range(0, count).Select(i => i.ToString(CultureInfo.InvariantCulture)), events.Skip(1).Take(count).Select(e => e.Text));
    }

    [Fact]
    public async Task SendStreamingMessage_StoreFailsMidStream_KeepAlivesThenErrorItemWithoutDetailsThenClose()
    {
        // The store keeps failing: the stream is kept open (keep-alives) for StoreOutageStreamTimeout, then ends with an
        // error item that says how to resume and nothing of the cause, which goes to the server's log.
        var store = new InterceptingTaskStore();
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent,
            o => (o.StoreOutageStreamTimeout, o.KeepAliveInterval) = (TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(200)),
            s => s.AddSingleton<TaskStore>(store));
        await using var stream = await server.Wire.StreamAsync();
        var run = await agent.NextRunAsync();
        Assert.Equal("task", (await stream.NextAsync()).Kind);

        store.FailRead = () => new InvalidOperationException("SECRET: disk /var/lib/herald is full");
        await run.WorkingAsync();
        var rest = await stream.ReadToEndAsync();

        var last = Assert.Single(rest);
        var error = Assert.IsType<WireError>(last.Error);
        Assert.Equal(A2AErrorCodes.InternalError, error.Code);
        Assert.Contains("Last-Event-ID", last.Data, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", last.Data, StringComparison.Ordinal);
        HeraldTestServer.AssertNoInternals(last.Data);
        Assert.Contains(server.Logs.Entries, e => e.EventId.Id == 1009 && e.Exception?.Message.StartsWith("SECRET", StringComparison.Ordinal) == true);
        store.FailRead = null;
    }

    [Fact]
    public async Task SendStreamingMessage_StoreFailsBrieflyMidStream_StreamGoesOnAndEndsWithTheFinalEvent()
    {
        var store = new FaultyTaskStore();
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent, o => o.StoreOutageStreamTimeout = TimeSpan.FromSeconds(30), s => s.AddSingleton<TaskStore>(store));
        await using var stream = await server.Wire.StreamAsync();
        var run = await agent.NextRunAsync();
        Assert.Equal("task", (await stream.NextAsync()).Kind);

        store.FailNext(StoreOp.Read, 3);
        await run.WorkingAsync();
        await store.WaitForFaultsAsync(3).Within();
        await run.CompleteAsync();
        var rest = await stream.ReadToEndAsync();

        Assert.All(rest, e => Assert.Null(e.Error));
        Assert.Equal(["TASK_STATE_WORKING", "TASK_STATE_COMPLETED"], rest.Select(e => e.State));
    }

    [Fact]
    public async Task StopAsync_ReaderFarBehind_GetsEveryEventWholeEndingWithCanceled()
    {
        const int Count = 2_000;
        var payload = new string('y', 8192); // ~16 MB queued for a client that is not reading yet
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);
        var taskId = (await server.Wire.SendImmediatelyAsync()).GetProperty("id").GetString()!;
        var run = await agent.NextRunAsync();
        await using var behind = await server.Wire.SubscribeToTaskAsync(taskId, read: false);
        await run.Do(async (c, ct) =>
        {
            for (var i = 0; i < Count; i++)
            {
                await c.AddArtifactAsync(new Artifact { ArtifactId = "big", Parts = [Part.FromText(payload)] }, cancellationToken: ct);
            }

            await c.FlushAsync(ct);
        }).WaitAsync(TimeSpan.FromSeconds(30));

        // The server shuts down while this client is thousands of events behind; then the client reads.
        var stopping = server.StopAsync();
        behind.StartReading();
        var events = await behind.ReadToEndAsync(TimeSpan.FromSeconds(30));
        await stopping;

        Assert.Equal(Enumerable.Range(1, Count + 2).Select(i => (long)i), events.Select(e => e.Sequence)); // the snapshot, every chunk, canceled
        Assert.Equal("TASK_STATE_CANCELED", events[^1].State);
        Assert.All(events.Skip(1).SkipLast(1), e => Assert.Equal(payload, e.Text));
    }
}
