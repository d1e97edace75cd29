using Herald.Protocol;
using Herald.Server.Engine;
using Herald.Server.Storage;

namespace Herald.Server.Tests.Engine;

public abstract class SubscriptionTests : EngineTests
{
    [StoreFact]
    public async Task SubscribeAsync_FromPositionN_YieldsLaterEventsInOrderAndEndsAtTerminal()
    {
        await using var harness = Harness();
        var tasks = harness.Tasks;
        var task = await tasks.CreateTaskAsync();
        await tasks.UpdateStatusAsync(task.Id, TaskState.Working);
        for (var i = 0; i < 4; i++)
        {
            await tasks.AddArtifactAsync(task.Id, Text("out", $"c{i}"), append: i > 0);
        }

        await tasks.UpdateStatusAsync(task.Id, TaskState.Completed);

        var events = await harness.Engine.SubscribeAsync(task.Id, afterSequence: 3).CollectWithin();

        Assert.Equal([4L, 5, 6, 7], events.Select(e => e.Sequence));
        Assert.Equal(["c1", "c2", "c3"], events.Take(3).Select(e => e.ArtifactUpdate!.Artifact.Parts[0].Text));
        Assert.Equal(TaskState.Completed, events[^1].StatusUpdate!.Status.State);
    }

    [StoreFact]
    public async Task SubscribeAsync_FromStart_YieldsCreatedEventFirst()
    {
        await using var harness = Harness();
        var task = await harness.Tasks.CreateTaskAsync();
        await harness.Tasks.UpdateStatusAsync(task.Id, TaskState.Completed);

        var events = await harness.Engine.SubscribeAsync(task.Id).CollectWithin();

        Assert.Equal([TaskEventKind.Created, TaskEventKind.Status], events.Select(e => e.Kind));
        Assert.Equal([1L, 2], events.Select(e => e.Sequence));
    }

    [StoreFact]
    public async Task SubscribeAsync_LiveTail_ReceivesEventsAppendedAfterSubscribing()
    {
        var gate = Bounded.NewSignal();
        await using var harness = Harness(async (ctx, ct) =>
        {
            await ctx.EnsureTaskAsync(ct);
            await gate.Task.WaitAsync(ct);
            for (var i = 0; i < 20; i++)
            {
                await ctx.AppendTextAsync("out", $"{i}", cancellationToken: ct);
            }

            await ctx.CompleteAsync(cancellationToken: ct);
        });
        var start = await harness.SendAsync(EngineHarness.Request(), SendMode.Streaming);

        var subscription = harness.Engine.SubscribeAsync(start.Task!.Task.Id, start.Task.Sequence).CollectWithin();
        gate.TrySetResult();
        var events = await subscription;

        Assert.Equal(Enumerable.Range(2, 21).Select(i => (long)i), events.Select(e => e.Sequence));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"{i}"), events.SkipLast(1).Select(e => e.ArtifactUpdate!.Artifact.Parts[0].Text));
        Assert.Equal(TaskState.Completed, events[^1].StatusUpdate!.Status.State);
    }

    [StoreFact]
    public async Task SubscribeAsync_StopAtInterrupt_EndsAtInputRequired()
    {
        await using var harness = Harness();
        var task = await harness.Tasks.CreateTaskAsync();
        await harness.Tasks.UpdateStatusAsync(task.Id, TaskState.Working);
        await harness.Tasks.UpdateStatusAsync(task.Id, TaskState.InputRequired);
        await harness.Tasks.UpdateStatusAsync(task.Id, TaskState.Working);
        await harness.Tasks.UpdateStatusAsync(task.Id, TaskState.Completed);

        var stopping = await harness.Engine.SubscribeAsync(task.Id, 1, stopAtInterrupt: true).CollectWithin();
        var continuing = await harness.Engine.SubscribeAsync(task.Id, 1, stopAtInterrupt: false).CollectWithin();

        Assert.Equal([TaskState.Working, TaskState.InputRequired], stopping.Select(e => e.StatusUpdate!.Status.State));
        Assert.Equal([TaskState.Working, TaskState.InputRequired, TaskState.Working, TaskState.Completed], continuing.Select(e => e.StatusUpdate!.Status.State));
    }

    [StoreFact]
    public async Task SubscribeAsync_AuthRequiredWithStopAtInterrupt_Ends()
    {
        await using var harness = Harness();
        var task = await harness.Tasks.CreateTaskAsync();
        await harness.Tasks.UpdateStatusAsync(task.Id, TaskState.AuthRequired);

        var events = await harness.Engine.SubscribeAsync(task.Id, 1, stopAtInterrupt: true).CollectWithin();

        Assert.Equal([TaskState.AuthRequired], events.Select(e => e.StatusUpdate!.Status.State));
    }

    [StoreFact]
    public async Task SubscribeAsync_AfterTheTerminalEvent_EndsWithoutEvents()
    {
        // A client that already saw the terminal event reconnects with Last-Event-ID = its sequence.
        await using var harness = Harness();
        var task = await harness.Tasks.CreateTaskAsync();
        await harness.Tasks.UpdateStatusAsync(task.Id, TaskState.Working);
        var last = await harness.Tasks.UpdateStatusAsync(task.Id, TaskState.Completed);
        await using var stream = await harness.Engine.SubscribeToTaskAsync(new SubscribeToTaskRequest { Id = task.Id }, last.Sequence, CancellationToken.None);

        var events = await harness.Engine.SubscribeAsync(task.Id, last.Sequence).CollectWithin();

        Assert.Null(stream.Snapshot);
        Assert.Empty(await EngineHarness.DrainAsync(stream));
        Assert.Empty(events);
    }

    [StoreFact]
    public async Task SubscribeAsync_TwoConcurrentSubscribers_GetIdenticalSequences()
    {
        var gate = Bounded.NewSignal();
        await using var harness = Harness(async (ctx, ct) =>
        {
            await ctx.EnsureTaskAsync(ct);
            await gate.Task.WaitAsync(ct);
            await ctx.StartWorkAsync(cancellationToken: ct);
            for (var i = 0; i < 500; i++)
            {
                await ctx.AppendTextAsync("out", $"{i}", cancellationToken: ct);
            }

            await ctx.CompleteAsync(cancellationToken: ct);
        });
        var start = await harness.SendAsync(EngineHarness.Request(), SendMode.Streaming);
        var id = start.Task!.Task.Id;

        var first = Task.Run(() => harness.Engine.SubscribeAsync(id).CollectWithin());
        var second = Task.Run(() => harness.Engine.SubscribeAsync(id).CollectWithin());
        gate.TrySetResult();
        var a = await first;
        var b = await second;

        Assert.Equal(Enumerable.Range(1, 503).Select(i => (long)i), a.Select(e => e.Sequence));
        Assert.Equal(a.Select(e => e.Sequence), b.Select(e => e.Sequence));
        Assert.Equal(a.Select(e => e.Kind), b.Select(e => e.Kind));
    }

    [StoreFact]
    public async Task SubscribeAsync_SubscriberThatNeverReads_DoesNotStallAgentOrOtherSubscribers()
    {
        const int chunks = 10_000;
        var gate = Bounded.NewSignal();
        var agentDone = Bounded.NewSignal();
        await using var harness = Harness(async (ctx, ct) =>
        {
            await ctx.EnsureTaskAsync(ct);
            await gate.Task.WaitAsync(ct);
            for (var i = 0; i < chunks; i++)
            {
                await ctx.AppendTextAsync("stream", "x", cancellationToken: ct);
            }

            await ctx.CompleteAsync(cancellationToken: ct);
            agentDone.TrySetResult();
        });
        var start = await harness.SendAsync(EngineHarness.Request(), SendMode.Streaming);
        var id = start.Task!.Task.Id;

        // The stalled subscriber reads one event, then is never advanced while the agent runs.
        await using var stalled = harness.Engine.SubscribeAsync(id, start.Task.Sequence).GetAsyncEnumerator();
        var firstRead = stalled.MoveNextAsync().AsTask();
        var reader = harness.Engine.SubscribeAsync(id).CollectWithin();
        gate.TrySetResult();

        await agentDone.Task.WaitAsync(TimeSpan.FromSeconds(15));
        var events = await reader;

        Assert.True(await firstRead.Within());
        Assert.Equal(chunks + 2, events.Count);
        Assert.Equal(Enumerable.Range(1, chunks + 2).Select(i => (long)i), events.Select(e => e.Sequence));
        Assert.Equal(TaskState.Completed, events[^1].StatusUpdate!.Status.State);

        // The stalled one still gets everything, in order, when it resumes reading.
        var expected = stalled.Current.Sequence + 1;
        while (await stalled.MoveNextAsync().AsTask().Within())
        {
            Assert.Equal(expected++, stalled.Current.Sequence);
        }

        Assert.Equal(chunks + 3, expected);
        var task = await harness.Engine.GetTaskAsync(new GetTaskRequest { Id = id }, CancellationToken.None);
        Assert.Equal(chunks, task.Artifacts!.Single().Parts.Count);
    }

    [StoreFact]
    public async Task SubscribeAsync_Canceled_StopsWaiting()
    {
        await using var harness = Harness();
        var task = await harness.Tasks.CreateTaskAsync();
        using var cts = new CancellationTokenSource();
        var enumerator = harness.Engine.SubscribeAsync(task.Id, 1, cancellationToken: cts.Token).GetAsyncEnumerator();
        var next = enumerator.MoveNextAsync().AsTask();
        Assert.False(next.IsCompleted);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next.Within());
        await enumerator.DisposeAsync();
    }

    [StoreFact]
    public async Task SubscribeAsync_UnknownTask_ThrowsTaskNotFound()
    {
        await using var harness = Harness();

        var error = await Assert.ThrowsAsync<A2AException>(() => harness.Engine.SubscribeAsync("missing").CollectWithin());

        Assert.Equal(A2AErrorCodes.TaskNotFound, error.Code);
    }

    // ---- SubscribeToTaskAsync ----

    [StoreFact]
    public async Task SubscribeToTaskAsync_LastEventIdBeyondEnd_ThrowsInvalidParams()
    {
        await using var harness = Harness();
        var task = await harness.Tasks.CreateTaskAsync();

        var error = await Assert.ThrowsAsync<A2AException>(() => harness.Engine.SubscribeToTaskAsync(new SubscribeToTaskRequest { Id = task.Id }, 2, CancellationToken.None).Within());

        Assert.Equal(A2AErrorCodes.InvalidParams, error.Code);
    }

    [StoreFact]
    public async Task SubscribeToTaskAsync_TerminalTaskWithoutLastEventId_ThrowsUnsupportedOperation()
    {
        await using var harness = Harness();
        var task = await harness.Tasks.CreateTaskAsync();
        await harness.Tasks.UpdateStatusAsync(task.Id, TaskState.Completed);

        var error = await Assert.ThrowsAsync<A2AException>(() => harness.Engine.SubscribeToTaskAsync(new SubscribeToTaskRequest { Id = task.Id }, null, CancellationToken.None).Within());

        Assert.Equal(A2AErrorCodes.UnsupportedOperation, error.Code);
    }

    [StoreFact]
    public async Task SubscribeToTaskAsync_TerminalTaskWithLastEventId_ReplaysMissedEvents()
    {
        await using var harness = Harness();
        var task = await harness.Tasks.CreateTaskAsync();
        await harness.Tasks.UpdateStatusAsync(task.Id, TaskState.Working);
        await harness.Tasks.UpdateStatusAsync(task.Id, TaskState.Completed);

        await using var stream = await harness.Engine.SubscribeToTaskAsync(new SubscribeToTaskRequest { Id = task.Id }, 1, CancellationToken.None);
        var events = await EngineHarness.DrainAsync(stream);

        Assert.Null(stream.Snapshot);
        Assert.Equal([2L, 3], events.Select(e => e.Sequence));
        Assert.Equal(3, stream.Position);
    }

    private static Artifact Text(string id, string text) => new() { ArtifactId = id, Parts = [Part.FromText(text)] };
}
