using System.Diagnostics;
using Herald.Protocol;
using Herald.Server;
using Herald.Server.Engine;
using Herald.Server.Storage;

namespace Herald.Server.Tests.Engine;

/// <summary>
/// The engine on a store that fails (<see cref="FaultyTaskStore"/>): ambiguous commits, short and long outages, lost
/// wake-ups. Nothing is lost or doubled, streams heal or end with a reason, and a task whose runner cannot go on is
/// ended with a reason, by the run itself or by maintenance. Back-off delays are jittered, so the tests drive the
/// clock (<see cref="DriveAsync"/>): they move it each time the code arms a timer, until what they wait for happens.
/// </summary>
public abstract class StoreFaultTests : EngineTests
{
    private const int Chunks = 5;

    [StoreTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task FailedAppend_IsRetried_EveryChunkOnceInOrder(bool afterCommit)
    {
        var store = new FaultyTaskStore(NewStore());
        await using var harness = EngineHarness.Create(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync(cancellationToken: ct);
            await ctx.FlushAsync(ct);

            // The next two writes (the chunks' first batch, then its first retry) fail.
            store.FailNext(StoreOp.Append, 2, afterCommit);
            for (var i = 0; i < Chunks; i++)
            {
                await ctx.AppendTextAsync("out", $"{i};", cancellationToken: ct);
            }
        }, store: () => store, clock: Clock);

        var task = await harness.SendForTaskAsync(EngineHarness.Request(), SendMode.Immediate);
        var run = Assert.Single(harness.Engine.Runner.SnapshotRuns()); // it cannot end before the clock moves: its write backs off

        // A subscriber may see the final event before the store's answer reaches the run: wait for both.
        var collecting = harness.Engine.SubscribeAsync(task.Id, 0).CollectWithin();
        await DriveAsync(Task.WhenAll(collecting, run.Finished), TimeSpan.FromMilliseconds(100));
        var events = await collecting;

        Assert.Equal(2, store.Faults);
        var log = await store.Inner.ReadAsync(task.Id, 0, 1000);
        AssertChunksOnceInOrder(log);
        Assert.Equal(TaskState.Completed, log[^1].StatusUpdate!.Status.State);
        Assert.Equal(log.Select(e => e.Sequence), events.Select(e => e.Sequence));
        AssertAcknowledgedIsTheLog(store, task.Id, log);
        var final = await store.Inner.GetAsync(task.Id);
        Assert.Equal(string.Concat(Enumerable.Range(0, Chunks).Select(i => $"{i};")), string.Concat(final!.Task.Artifacts![0].Parts.Select(p => p.Text)));
    }

    [StoreFact]
    public async Task FailedFinalWrite_AfterCommit_TaskCompletedOnce()
    {
        var store = new FaultyTaskStore(NewStore());
        await using var harness = EngineHarness.Create(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync(cancellationToken: ct);
            await ctx.FlushAsync(ct);
            store.FailNext(StoreOp.Append, 1, afterCommit: true); // the terminal write commits, and the runner is told it failed
            await ctx.CompleteAsync("done", ct);
        }, store: () => store, clock: Clock);

        var task = await harness.SendForTaskAsync(EngineHarness.Request(), SendMode.Immediate);
        var run = Assert.Single(harness.Engine.Runner.SnapshotRuns()); // it cannot end before the clock moves: its write backs off

        // A subscriber may see the final event before the store's answer reaches the run: wait for both.
        var collecting = harness.Engine.SubscribeAsync(task.Id, 0).CollectWithin();
        await DriveAsync(Task.WhenAll(collecting, run.Finished), TimeSpan.FromMilliseconds(100));
        var events = await collecting;

        Assert.Equal(1, store.Faults);
        var log = await store.Inner.ReadAsync(task.Id, 0, 1000);
        Assert.Single(log, e => e.IsTerminal);
        Assert.Equal(TaskState.Completed, log[^1].StatusUpdate!.Status.State);
        Assert.Equal(log.Select(e => e.Sequence), events.Select(e => e.Sequence));
        AssertAcknowledgedIsTheLog(store, task.Id, log);
    }

    [StoreFact]
    public async Task ShortOutageDuringRun_NothingLostOrDoubled_SubscriberGetsEveryEventOnce()
    {
        var store = new FaultyTaskStore(NewStore());
        var working = Bounded.NewSignal();
        var go = Bounded.NewSignal();
        await using var harness = EngineHarness.Create(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync(cancellationToken: ct);
            await ctx.FlushAsync(ct);
            working.TrySetResult();
            await go.Task.WaitAsync(ct);
            for (var i = 0; i < Chunks; i++)
            {
                await ctx.AppendTextAsync("out", $"{i};", cancellationToken: ct);
            }
        }, store: () => store, clock: Clock);

        var task = await harness.SendForTaskAsync(EngineHarness.Request(), SendMode.Immediate);
        await working.Task.Within();
        var run = Assert.Single(harness.Engine.Runner.SnapshotRuns());
        var from = (await store.Inner.GetAsync(task.Id))!.Sequence;
        await using var stream = await harness.Engine.SubscribeToTaskAsync(new SubscribeToTaskRequest { Id = task.Id }, from, CancellationToken.None);
        var reading = ReadToEndAsync(stream);

        store.GoDown();
        go.TrySetResult();

        // The writer (and the feed) fail a few times, backing off.
        await DriveAsync(store.WaitForFaultsAsync(6), TimeSpan.FromMilliseconds(250));
        Assert.DoesNotContain((await store.Inner.ReadAsync(task.Id, from, 100)), e => e.Kind == TaskEventKind.Artifact);
        store.ComeBack();
        await DriveAsync(Task.WhenAll(reading, run.Finished), TimeSpan.FromMilliseconds(250));
        var (delivered, _) = await reading;

        var log = await store.Inner.ReadAsync(task.Id, 0, 1000);
        AssertChunksOnceInOrder(log);
        Assert.Equal(TaskState.Completed, log[^1].StatusUpdate!.Status.State);
        AssertAcknowledgedIsTheLog(store, task.Id, log);

        // The subscriber got every streamed event after its position, once, in order.
        Assert.Equal(log.Where(e => e.Sequence > from && e.IsStreamed).Select(e => e.Sequence), delivered.Select(e => e.Sequence));
    }

    [StoreFact]
    public async Task OutageLongerThanHorizon_AgentStopped_TaskFailedWithReasonOnceStoreIsBack()
    {
        var store = new FaultyTaskStore(NewStore());
        var working = Bounded.NewSignal();
        var go = Bounded.NewSignal();
        var tokenFired = Bounded.NewSignal();
        var lateReport = Bounded.NewSignal<Exception?>();
        await using var harness = EngineHarness.Create(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync(cancellationToken: ct);
            await ctx.FlushAsync(ct);
            working.TrySetResult();
            await go.Task.WaitAsync(ct);
            await ctx.AppendTextAsync("out", "lost in the outage", cancellationToken: ct);
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            }
            catch (OperationCanceledException)
            {
                tokenFired.TrySetResult();
            }

            try
            {
                await ctx.AppendTextAsync("out", "after abandonment", cancellationToken: CancellationToken.None);
                await ctx.FlushAsync(CancellationToken.None);
                lateReport.TrySetResult(null);
            }
            catch (Exception ex)
            {
                lateReport.TrySetResult(ex);
            }
        }, o => o.StoreRetryHorizon = TimeSpan.FromSeconds(5), store: () => store, clock: Clock);

        var task = await harness.SendForTaskAsync(EngineHarness.Request(), SendMode.Immediate);
        await working.Task.Within();
        var run = Assert.Single(harness.Engine.Runner.SnapshotRuns());
        var downAt = Clock.GetUtcNow();
        store.GoDown();
        go.TrySetResult();

        await DriveAsync(tokenFired.Task, TimeSpan.FromMilliseconds(500));
        Assert.True(Clock.GetUtcNow() - downAt >= TimeSpan.FromSeconds(5), "The agent was stopped before the retry horizon passed.");
        var late = await lateReport.Task.Within();
        Assert.IsType<TaskStoreUnavailableException>(late);

        // While the store is down the task cannot be ended; once it is back, the run ends it with a reason.
        Assert.Equal(TaskState.Working, (await store.Inner.GetAsync(task.Id))!.Task.Status.State);
        store.ComeBack();
        await DriveAsync(run.Finished, TimeSpan.FromMilliseconds(500));

        var after = (await store.Inner.GetAsync(task.Id))!.Task;
        Assert.Equal(TaskState.Failed, after.Status.State);
        Assert.Contains("store", after.Status.Message!.GetText(), StringComparison.OrdinalIgnoreCase);
        var log = await store.Inner.ReadAsync(task.Id, 0, 1000);
        Assert.DoesNotContain(log, e => e.Kind == TaskEventKind.Artifact); // never acknowledged, never saved
        AssertAcknowledgedIsTheLog(store, task.Id, log);

        // The failed status cleared the lease: no orphan for maintenance, however long it waits, and no follow-up is taken.
        Clock.Advance(harness.Engine.Options.RunnerLeaseDuration * 2);
        Assert.Empty(await store.FindExpiredLeasesAsync(10));
        Assert.Equal(0, await harness.Engine.RecoverExpiredLeasesAsync());
        await Assert.ThrowsAsync<A2AException>(() => harness.Engine.SendAsync(Caller.Anonymous, EngineHarness.Request("more", taskId: task.Id), SendMode.Immediate, CancellationToken.None).Within());
    }

    [StoreFact]
    public async Task StreamDuringOutage_KeepAlivesThenEndsWithErrorNamingLastEventId()
    {
        var store = new FaultyTaskStore(NewStore());
        var working = Bounded.NewSignal();
        await using var harness = EngineHarness.Create(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync(cancellationToken: ct);
            await ctx.FlushAsync(ct);
            working.TrySetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
        }, o =>
        {
            o.KeepAliveInterval = TimeSpan.FromSeconds(1);
            o.StoreOutageStreamTimeout = TimeSpan.FromSeconds(5);
            o.WakeupFallbackInterval = TimeSpan.FromSeconds(2);
        }, store: () => store, clock: Clock);

        var task = await harness.SendForTaskAsync(EngineHarness.Request(), SendMode.Immediate);
        await working.Task.Within();
        await using var stream = await harness.Engine.SubscribeToTaskAsync(new SubscribeToTaskRequest { Id = task.Id }, null, CancellationToken.None);
        var position = stream.Position;
        var downAt = Clock.GetUtcNow();
        store.GoDown();

        var reads = new List<TaskStreamRead>();
        var batch = new List<TaskEvent>();
        A2AException? error = null;
        using var cts = Bounded.Token();
        while (error is null)
        {
            Assert.True(reads.Count < 100, "The stream never ended during the outage.");
            try
            {
                reads.Add(await DriveAsync(stream.ReadAsync(batch, cts.Token).AsTask(), TimeSpan.FromMilliseconds(500)));
            }
            catch (A2AException ex)
            {
                error = ex;
            }
        }

        Assert.NotEmpty(reads);
        Assert.All(reads, r => Assert.Equal(TaskStreamRead.KeepAlive, r));
        Assert.Empty(batch);
        Assert.Equal(A2AErrorCodes.InternalError, error.Code);
        Assert.Contains("Last-Event-ID", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{position}", error.Message, StringComparison.Ordinal);
        Assert.True(Clock.GetUtcNow() - downAt >= TimeSpan.FromSeconds(5), "The stream ended before StoreOutageStreamTimeout.");
        store.ComeBack();
    }

    [StoreFact]
    public async Task StreamDuringShortOutage_KeepAlivesThenResumesDelivering()
    {
        var store = new FaultyTaskStore(NewStore());
        var working = Bounded.NewSignal();
        var go = Bounded.NewSignal();
        await using var harness = EngineHarness.Create(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync(cancellationToken: ct);
            await ctx.FlushAsync(ct);
            working.TrySetResult();
            await go.Task.WaitAsync(ct);
            await ctx.AppendTextAsync("out", "after the outage", cancellationToken: ct);
        }, o =>
        {
            o.KeepAliveInterval = TimeSpan.FromSeconds(1);
            o.StoreOutageStreamTimeout = TimeSpan.FromSeconds(30);
            o.WakeupFallbackInterval = TimeSpan.FromSeconds(2);
        }, store: () => store, clock: Clock);

        var task = await harness.SendForTaskAsync(EngineHarness.Request(), SendMode.Immediate);
        await working.Task.Within();
        await using var stream = await harness.Engine.SubscribeToTaskAsync(new SubscribeToTaskRequest { Id = task.Id }, null, CancellationToken.None);
        var from = stream.Position;
        store.GoDown();

        // Keep-alives while the store is down (the feed's pump fails and backs off).
        var batch = new List<TaskEvent>();
        using var cts = Bounded.Token();
        var keepAlives = 0;
        while (store.Faults < 2 || keepAlives < 2)
        {
            Assert.True(keepAlives < 100, "No store fault seen while streaming.");
            Assert.Equal(TaskStreamRead.KeepAlive, await DriveAsync(stream.ReadAsync(batch, cts.Token).AsTask(), TimeSpan.FromMilliseconds(500)));
            keepAlives++;
        }

        store.ComeBack();
        go.TrySetResult();
        var (delivered, _) = await DriveAsync(ReadToEndAsync(stream), TimeSpan.FromMilliseconds(500));

        var log = await store.Inner.ReadAsync(task.Id, from, 100);
        Assert.Equal(log.Where(e => e.IsStreamed).Select(e => e.Sequence), delivered.Select(e => e.Sequence));
        Assert.Equal("after the outage", delivered[0].ArtifactUpdate!.Artifact.Parts[0].Text);
        Assert.Equal(TaskState.Completed, delivered[^1].StatusUpdate!.Status.State);
    }

    [StoreFact]
    public async Task LostWakeups_SubscriberStillGetsEventsAfterFallbackInterval()
    {
        var store = new FaultyTaskStore(NewStore());
        var working = Bounded.NewSignal();
        var go = Bounded.NewSignal();
        var reported = Bounded.NewSignal();
        var finish = Bounded.NewSignal();
        var fallback = TimeSpan.FromSeconds(3);
        await using var harness = EngineHarness.Create(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync(cancellationToken: ct);
            await ctx.FlushAsync(ct);
            working.TrySetResult();
            await go.Task.WaitAsync(ct);
            for (var i = 0; i < Chunks; i++)
            {
                await ctx.AppendTextAsync("out", $"{i};", cancellationToken: ct);
            }

            await ctx.FlushAsync(ct);
            reported.TrySetResult();
            await finish.Task.WaitAsync(ct);
        }, o => o.WakeupFallbackInterval = fallback, store: () => store, clock: Clock);

        // The notification channel is dead before anyone follows the task: no wake-up ever comes.
        store.DropWakeups();
        var task = await harness.SendForTaskAsync(EngineHarness.Request(), SendMode.Immediate);
        await working.Task.Within();
        var run = Assert.Single(harness.Engine.Runner.SnapshotRuns());
        var from = (await store.Inner.GetAsync(task.Id))!.Sequence;
        var events = new List<TaskEvent>();
        await using var subscription = harness.Engine.SubscribeAsync(task.Id, from).GetAsyncEnumerator(CancellationToken.None);
        var next = subscription.MoveNextAsync().AsTask();
        go.TrySetResult();
        await reported.Task.Within();

        // The chunks are in the store, but nobody was woken: they come with the next re-read, after the fallback interval.
        Assert.False(next.IsCompleted, "An event was delivered although no wake-up came and the fallback interval had not passed.");
        await Clock.WaitForTimerAsync(fallback);
        var rereads = Clock.TimersCreated(fallback);
        Clock.Advance(fallback);
        while (events.Count < Chunks)
        {
            Assert.True(await next.Within());
            events.Add(subscription.Current);
            next = subscription.MoveNextAsync().AsTask();
        }

        // The task completes; that too is seen only at the next re-read.
        await Clock.WaitForTimerAsync(fallback, rereads + 1);
        finish.TrySetResult();
        await run.Finished.Within();
        Assert.False(next.IsCompleted, "The completion was delivered although no wake-up came and the fallback interval had not passed.");
        Clock.Advance(fallback);
        while (await next.Within())
        {
            events.Add(subscription.Current);
            next = subscription.MoveNextAsync().AsTask();
        }

        var log = await store.Inner.ReadAsync(task.Id, from, 100);
        Assert.Equal(log.Select(e => e.Sequence), events.Select(e => e.Sequence));
        AssertChunksOnceInOrder(log);
        Assert.Equal(TaskState.Completed, events[^1].StatusUpdate!.Status.State);
    }

    [StoreFact]
    public async Task AbandonedRunThatCannotWriteItsEnd_LeavesAnOrphan_MaintenanceFailsIt()
    {
        var store = new FaultyTaskStore(NewStore());
        var working = Bounded.NewSignal();
        var go = Bounded.NewSignal();
        var lease = TimeSpan.FromSeconds(6);
        await using var harness = EngineHarness.Create(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync(cancellationToken: ct);
            await ctx.FlushAsync(ct);
            working.TrySetResult();
            await go.Task.WaitAsync(ct);
            await ctx.AppendTextAsync("out", "never saved", cancellationToken: ct);
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
        }, o =>
        {
            o.StoreRetryHorizon = TimeSpan.FromSeconds(2);
            o.RunnerLeaseDuration = lease;
        }, store: () => store, clock: Clock);

        var task = await harness.SendForTaskAsync(EngineHarness.Request(), SendMode.Immediate);
        await working.Task.Within();
        var run = Assert.Single(harness.Engine.Runner.SnapshotRuns());
        var downAt = Clock.GetUtcNow();
        store.GoDown();
        go.TrySetResult();

        // The run is abandoned, then gives up writing `failed` after twice the lease: it ends without ending the task.
        await DriveAsync(run.Finished, TimeSpan.FromSeconds(1));
        Assert.True(Clock.GetUtcNow() - downAt >= lease * 2, "The run gave up on its final write too early.");
        Assert.Equal(0, harness.Engine.Runner.RunningCount);
        store.ComeBack();

        // Its end was not durable, so it released nothing: the task is an orphan of an expired lease.
        var orphan = (await store.Inner.GetAsync(task.Id))!.Task;
        Assert.Equal(TaskState.Working, orphan.Status.State);
        Assert.Contains(task.Id, await store.FindExpiredLeasesAsync(10));
        Assert.Equal(1, await harness.Engine.RecoverExpiredLeasesAsync());

        var after = (await store.Inner.GetAsync(task.Id))!.Task;
        Assert.Equal(TaskState.Failed, after.Status.State);
        Assert.False(string.IsNullOrWhiteSpace(after.Status.Message?.GetText()));
        Assert.Equal(0, await harness.Engine.RecoverExpiredLeasesAsync());
        var log = await store.Inner.ReadAsync(task.Id, 0, 1000);
        Assert.DoesNotContain(log, e => e.Kind == TaskEventKind.Artifact);
        Assert.Single(log, e => e.IsTerminal);
    }

    [StoreFact]
    public async Task PauseWriteFailsPastHorizon_LeaseNotReleased_TaskLeftToRecovery()
    {
        // A turn that pauses for input releases its lease in the pause's own write. When that write never lands, nothing
        // else may release the lease: the task must stay an orphan (not a pause that nobody can resume or recover).
        var store = new FaultyTaskStore(NewStore());
        var working = Bounded.NewSignal();
        var go = Bounded.NewSignal();
        var lease = TimeSpan.FromSeconds(6);
        var pauseOutcome = Bounded.NewSignal<Exception?>();
        await using var harness = EngineHarness.Create(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync(cancellationToken: ct);
            await ctx.FlushAsync(ct);
            working.TrySetResult();
            await go.Task.WaitAsync(ct);
            try
            {
                await ctx.RequireInputAsync("which one?", CancellationToken.None);
                pauseOutcome.TrySetResult(null);
            }
            catch (Exception ex)
            {
                pauseOutcome.TrySetResult(ex);
            }
        }, o =>
        {
            o.StoreRetryHorizon = TimeSpan.FromSeconds(2);
            o.RunnerLeaseDuration = lease;
        }, store: () => store, clock: Clock);

        var task = await harness.SendForTaskAsync(EngineHarness.Request(), SendMode.Immediate);
        await working.Task.Within();
        var run = Assert.Single(harness.Engine.Runner.SnapshotRuns());
        store.GoDown();
        go.TrySetResult();

        await DriveAsync(run.Finished, TimeSpan.FromSeconds(1));
        Assert.IsType<TaskStoreUnavailableException>(await pauseOutcome.Task.Within());
        store.ComeBack();

        Assert.Equal(TaskState.Working, (await store.Inner.GetAsync(task.Id))!.Task.Status.State);
        Assert.Contains(task.Id, await store.FindExpiredLeasesAsync(10));
        Assert.Equal(1, await harness.Engine.RecoverExpiredLeasesAsync());
        Assert.Equal(TaskState.Failed, (await store.Inner.GetAsync(task.Id))!.Task.Status.State);
    }

    [StoreFact]
    public async Task TerminalWriteRetriedLongerThanTheLease_LeaseStillRenewed_TaskCompletes()
    {
        // Appends fail for longer than the lease while renewals still work (a full disk that refuses the event but not the
        // lease's small update): the run is still trying to end its turn, so its lease must stay live, and recovery must
        // not fail a task whose agent completed it.
        var store = new FaultyTaskStore(NewStore());
        var lease = TimeSpan.FromSeconds(3);
        await using var harness = EngineHarness.Create(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync(cancellationToken: ct);
            await ctx.FlushAsync(ct);
            store.FailNext(StoreOp.Append, 10); // back-off of at least 4.5 s in all, well past the lease
            await ctx.CompleteAsync("done", ct);
        }, o => o.RunnerLeaseDuration = lease, store: () => store, clock: Clock);

        var task = await harness.SendForTaskAsync(EngineHarness.Request(), SendMode.Immediate);
        var run = Assert.Single(harness.Engine.Runner.SnapshotRuns());
        await DriveAsync(store.WaitForFaultsAsync(10), TimeSpan.FromMilliseconds(500));
        Assert.False(run.Finished.IsCompleted);

        Assert.Equal(0, await harness.Engine.RecoverExpiredLeasesAsync());
        await DriveAsync(run.Finished, TimeSpan.FromMilliseconds(500));
        Assert.Equal(TaskState.Completed, (await store.Inner.GetAsync(task.Id))!.Task.Status.State);
    }

    private static void AssertChunksOnceInOrder(IReadOnlyList<TaskEvent> log)
    {
        var chunks = log.Where(e => e.Kind == TaskEventKind.Artifact).Select(e => e.ArtifactUpdate!.Artifact.Parts[0].Text).ToList();
        Assert.Equal(Enumerable.Range(0, Chunks).Select(i => $"{i};"), chunks);
        Assert.Equal(Enumerable.Range((int)log[0].Sequence, log.Count).Select(i => (long)i), log.Select(e => e.Sequence));
    }

    private static void AssertAcknowledgedIsTheLog(FaultyTaskStore store, string taskId, IReadOnlyList<TaskEvent> log)
    {
        var acknowledged = store.Acknowledged(taskId);
        Assert.Equal(log.Select(e => e.Sequence), acknowledged.Keys);
        Assert.All(log, e => Assert.Equal(Convert.ToHexString(e.GetV1Json().Span), acknowledged[e.Sequence]));
    }

    /// <summary>Reads a stream to its end, counting keep-alives.</summary>
    private static async Task<(List<TaskEvent> Events, int KeepAlives)> ReadToEndAsync(TaskStream stream)
    {
        using var cts = Bounded.Token();
        var all = new List<TaskEvent>();
        var batch = new List<TaskEvent>();
        var keepAlives = 0;
        while (true)
        {
            batch.Clear();
            switch (await stream.ReadAsync(batch, cts.Token))
            {
                case TaskStreamRead.End:
                    return (all, keepAlives);
                case TaskStreamRead.KeepAlive:
                    keepAlives++;
                    break;
                default:
                    all.AddRange(batch);
                    break;
            }
        }
    }

    /// <summary>
    /// Moves the clock by <paramref name="step"/> each time the code arms a timer (its back-off delays are jittered, so
    /// their due times are not known), until <paramref name="until"/> completes. Should the code be waiting on a timer
    /// armed earlier, a short real pause lets the loop move the clock anyway; the whole drive is bounded.
    /// </summary>
    private async Task<T> DriveAsync<T>(Task<T> until, TimeSpan step)
    {
        await DriveAsync((Task)until, step);
        return await until;
    }

    private async Task DriveAsync(Task until, TimeSpan step)
    {
        var real = Stopwatch.StartNew();
        while (!until.IsCompleted)
        {
            if (real.Elapsed > Bounded.Timeout)
            {
                throw new TimeoutException($"Not done within {Bounded.Timeout.TotalSeconds} s of real time (test clock at {Clock.GetUtcNow():O}).");
            }

            var armed = Clock.NextTimerAsync();
            Clock.Advance(step);
            await Task.WhenAny(until, armed, Task.Delay(TimeSpan.FromMilliseconds(100)));
        }

        await until;
    }
}
