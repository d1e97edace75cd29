using Herald.Protocol;

namespace Herald.Testing.EndToEnd;

/// <summary>SubscribeToTask: the snapshot-first stream, several readers, and resumption with Last-Event-ID.</summary>
public abstract class SubscribeToTaskTests : BindingTests
{
    [Fact]
    public async Task SubscribeToTask_RunningTask_StartsWithSnapshotWhoseIdIsItsSequence()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);
        var taskId = (await server.Wire.SendImmediatelyAsync()).GetProperty("id").GetString()!;
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();
        await run.ArtifactAsync("so far");

        await using var stream = await server.Wire.SubscribeToTaskAsync(taskId);
        var snapshot = await stream.NextAsync();
        await run.ArtifactAsync("more", append: true);
        await run.CompleteAsync();
        var rest = await stream.ReadToEndAsync();

        Assert.Equal("task", snapshot.Kind);
        Assert.Equal("3", snapshot.Id);
        var task = snapshot.Result.GetProperty("task");
        Assert.Equal("TASK_STATE_WORKING", task.GetProperty("status").GetProperty("state").GetString());
        Assert.Equal("so far", task.GetProperty("artifacts")[0].GetProperty("parts")[0].GetProperty("text").GetString());
        Assert.Equal([4L, 5L], rest.Select(e => e.Sequence));
        Assert.Equal("TASK_STATE_COMPLETED", rest[^1].State);
    }

    [Fact]
    public async Task SubscribeToTask_TwoConcurrentSubscribers_ReceiveIdenticalSequences()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);
        var taskId = (await server.Wire.SendImmediatelyAsync()).GetProperty("id").GetString()!;
        var run = await agent.NextRunAsync();

        await using var a = await server.Wire.SubscribeToTaskAsync(taskId);
        await using var b = await server.Wire.SubscribeToTaskAsync(taskId);
        var firstA = await a.NextAsync();
        var firstB = await b.NextAsync();
        await run.WorkingAsync();
        for (var i = 0; i < 50; i++)
        {
            await run.ArtifactAsync($"chunk {i}", append: i > 0);
        }

        await run.CompleteAsync();
        var restA = await a.ReadToEndAsync();
        var restB = await b.ReadToEndAsync();

        Assert.Equal((firstA.Id, firstA.Result.GetRawText()), (firstB.Id, firstB.Result.GetRawText()));
        Assert.Equal(52, restA.Count);
        Assert.Equal(restA.Select(e => (e.Id, e.Result.GetRawText())), restB.Select(e => (e.Id, e.Result.GetRawText())));
        Assert.Equal(Enumerable.Range(2, 52).Select(i => (long)i), restA.Select(e => e.Sequence));
    }

    [Fact]
    public async Task SubscribeToTask_LastEventIdMidStream_SendsExactlyTheEventsAfterItThenTheLiveTail()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);
        var first = await server.Wire.StreamAsync();
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();          // 2
        await run.ArtifactAsync("a");      // 3
        await run.ArtifactAsync("b", append: true); // 4
        var seen = await first.NextAsync(3);
        await first.DisposeAsync();        // the connection drops after event 3

        await run.ArtifactAsync("c", append: true); // 5, while the client is away
        await using var resumed = await server.Wire.SubscribeToTaskAsync(run.TaskId, lastEventId: "3");
        var missed = await resumed.NextAsync(2);
        await run.ArtifactAsync("d", append: true); // 6, live
        await run.CompleteAsync();                  // 7
        var tail = await resumed.ReadToEndAsync();

        Assert.Equal(["1", "2", "3"], seen.Select(e => e.Id));
        Assert.Equal([4L, 5L], missed.Select(e => e.Sequence));
        Assert.Equal(["b", "c"], missed.Select(e => e.Text));
        Assert.Equal([6L, 7L], tail.Select(e => e.Sequence));
        Assert.DoesNotContain(missed.Concat(tail), e => e.Kind == "task"); // no snapshot on resume
        Assert.Equal("TASK_STATE_COMPLETED", tail[^1].State);
    }

    [Fact]
    public async Task SubscribeToTask_LastEventIdIsLatestEventOfRunningTask_OpensBeforeNextEvent()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);
        var taskId = (await server.Wire.SendImmediatelyAsync()).GetProperty("id").GetString()!;
        var run = await agent.NextRunAsync();
        await run.WorkingAsync(); // 2, the latest event

        // Opening returns only once the stream is open (HTTP: the response headers arrived); nothing new has been appended yet.
        await using var resumed = await server.Wire.SubscribeToTaskAsync(taskId, lastEventId: "2");
        if (resumed is SseWireStream sse)
        {
            await sse.Sse.WaitForRawAsync("retry: 2000\n\n");
            Assert.Equal("retry: 2000\n\n", sse.Sse.RawText);
        }

        await run.CompleteAsync();
        var events = await resumed.ReadToEndAsync();

        Assert.Equal([3L], events.Select(e => e.Sequence));
    }

    [Fact]
    public async Task SubscribeToTask_TaskFinishedWhileAway_ReplaysMissedEventsUpToTerminalThenCloses()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);
        var first = await server.Wire.StreamAsync();
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();
        await first.NextAsync(2);
        await first.DisposeAsync();
        await run.ArtifactAsync("x");
        await run.ArtifactAsync("y", append: true, lastChunk: true);
        await run.CompleteAsync("done");

        await using var resumed = await server.Wire.SubscribeToTaskAsync(run.TaskId, lastEventId: "2");
        var events = await resumed.ReadToEndAsync();

        Assert.Equal([3L, 4L, 5L], events.Select(e => e.Sequence));
        Assert.Equal(["artifactUpdate", "artifactUpdate", "statusUpdate"], events.Select(e => e.Kind));
        Assert.Equal("TASK_STATE_COMPLETED", events[^1].State);
        await run.FinishAsync();
    }

    [Fact]
    public async Task SubscribeToTask_LastEventIdOfTerminalEvent_EmptyStreamThatCloses()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);
        var taskId = (await server.Wire.SendImmediatelyAsync()).GetProperty("id").GetString()!;
        var run = await agent.NextRunAsync();
        await run.CompleteAsync(); // event 2 is terminal

        await using var resumed = await server.Wire.SubscribeToTaskAsync(taskId, lastEventId: "2");
        var events = await resumed.ReadToEndAsync();

        Assert.Empty(events);
        if (resumed is SseWireStream sse)
        {
            Assert.Equal("retry: 2000\n\n", sse.Sse.RawText);
        }
    }

    [Fact]
    public async Task SubscribeToTask_LastEventIdOfInputRequiredEvent_EmptyStreamThatCloses()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);
        var taskId = (await server.Wire.SendImmediatelyAsync()).GetProperty("id").GetString()!;
        var run = await agent.NextRunAsync();
        await run.StatusAsync(TaskState.InputRequired, "which one?"); // event 2 ended every stream
        await run.FinishAsync();

        await using var resumed = await server.Wire.SubscribeToTaskAsync(taskId, lastEventId: "2");
        var events = await resumed.ReadToEndAsync();

        Assert.Empty(events);
    }

    [Fact]
    public async Task SubscribeToTask_LastEventIdOfFollowUpMessage_StreamsTheNewTurn()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);
        var taskId = (await server.Wire.SendImmediatelyAsync()).GetProperty("id").GetString()!;
        var run1 = await agent.NextRunAsync();
        await run1.StatusAsync(TaskState.InputRequired, "which one?"); // 2
        await run1.FinishAsync();
        await server.Wire.SendImmediatelyAsync("this one", taskId: taskId); // 3: the message
        var run2 = await agent.NextRunAsync();

        // Still input-required, but the last event is the answer: the next turn is under way.
        await using var resumed = await server.Wire.SubscribeToTaskAsync(taskId, lastEventId: "3");
        await run2.WorkingAsync();
        await run2.CompleteAsync();
        var events = await resumed.ReadToEndAsync();

        Assert.Equal([4L, 5L], events.Select(e => e.Sequence));
        Assert.Equal("TASK_STATE_COMPLETED", events[^1].State);
    }

    [Fact]
    public async Task SubscribeToTask_LastEventIdZero_ReplaysWholeLogWithoutSnapshot()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);
        var taskId = (await server.Wire.SendImmediatelyAsync()).GetProperty("id").GetString()!;
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();
        await run.CompleteAsync();

        await using var resumed = await server.Wire.SubscribeToTaskAsync(taskId, lastEventId: "0");
        var events = await resumed.ReadToEndAsync();

        Assert.Equal(["statusUpdate", "statusUpdate"], events.Select(e => e.Kind));
        Assert.Equal([2L, 3L], events.Select(e => e.Sequence));
    }

    [Theory]
    [InlineData("99", "beyond the end")]
    [InlineData("abc", "Last-Event-ID")]
    [InlineData("-1", "Last-Event-ID")]
    [InlineData("3.0", "Last-Event-ID")]
    public async Task SubscribeToTask_BadLastEventId_InvalidParamsInsteadOfAStream(string lastEventId, string expected)
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);
        var taskId = (await server.Wire.SendImmediatelyAsync()).GetProperty("id").GetString()!;
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();

        var error = await ErrorAsync(() => server.Wire.SubscribeToTaskAsync(taskId, lastEventId), A2AErrorCodes.InvalidParams);

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal("Last-Event-ID", error.Field);
    }

    [Fact]
    public async Task SubscribeToTask_TerminalTaskWithoutLastEventId_UnsupportedOperation()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);
        var taskId = (await server.Wire.SendImmediatelyAsync()).GetProperty("id").GetString()!;
        var run = await agent.NextRunAsync();
        await run.StatusAsync(TaskState.Failed, "no");

        var error = await ErrorAsync(() => server.Wire.SubscribeToTaskAsync(taskId), A2AErrorCodes.UnsupportedOperation);

        Assert.Contains(taskId, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubscribeToTask_UnknownTask_TaskNotFound()
    {
        await using var server = await StartAsync(new ControlledAgent());

        var error = await ErrorAsync(() => server.Wire.SubscribeToTaskAsync("no-such-task"), A2AErrorCodes.TaskNotFound);

        Assert.Equal("TASK_NOT_FOUND", error.Reason);
        Assert.Equal("no-such-task", error.Metadata["taskId"]);
    }

    [Fact]
    public async Task SubscribeToTask_UnknownTaskWithLastEventId_TaskNotFound()
    {
        await using var server = await StartAsync(new ControlledAgent());

        await ErrorAsync(() => server.Wire.SubscribeToTaskAsync("no-such-task", lastEventId: "1"), A2AErrorCodes.TaskNotFound);
    }

    /// <summary>The field named by a JSON-RPC error object's BadRequest detail (for the JSON-RPC-only tests).</summary>
    internal static string? FieldViolation(System.Text.Json.JsonElement error) =>
        error.GetProperty("data").EnumerateArray()
            .Single(d => d.GetProperty("@type").GetString() == "type.googleapis.com/google.rpc.BadRequest")
            .GetProperty("fieldViolations")[0].GetProperty("field").GetString();
}
