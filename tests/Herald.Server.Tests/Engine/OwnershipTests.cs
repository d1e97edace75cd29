using Herald.Protocol;
using Herald.Server.Engine;
using Herald.Server.Storage;

namespace Herald.Server.Tests.Engine;

/// <summary>
/// Who runs a task, who stops it, and what happens when a runner dies: all decided through the store
/// and its log, so the same behaviour holds on every store.
/// </summary>
public abstract class OwnershipTests : EngineTests
{
    [StoreFact]
    public async Task TerminalUpdateThroughHeraldTasks_CancelsTheRunningAgentsToken()
    {
        var tokenFired = Bounded.NewSignal();
        await using var harness = Harness(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync(cancellationToken: ct);
            await using (ct.Register(() => tokenFired.TrySetResult()))
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, ct); // blocked in "I/O" until told to stop
            }
        });
        var task = await harness.SendForTaskAsync(EngineHarness.Request(), SendMode.Immediate);

        // Application code ends the task by id; it never touches the run.
        await harness.Tasks.UpdateStatusAsync(task.Id, TaskState.Failed, Message.AgentText("upstream order was withdrawn"));

        await tokenFired.Task.Within();
        var after = await harness.Tasks.GetTaskAsync(task.Id);
        Assert.Equal(TaskState.Failed, after!.Status.State);
        Assert.Equal("upstream order was withdrawn", after.Status.Message!.GetText());
    }

    [StoreFact]
    public async Task CancelTask_AgentBlockedInIo_TokenFiresAndLateReportsAreRefused()
    {
        var working = Bounded.NewSignal();
        var tokenFired = Bounded.NewSignal();
        var lateReport = Bounded.NewSignal<Exception?>();
        await using var harness = Harness(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync(cancellationToken: ct);
            await ctx.FlushAsync(ct);
            working.TrySetResult();
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            }
            catch (OperationCanceledException)
            {
                tokenFired.TrySetResult();
            }

            // An agent that ignores the cancellation and keeps reporting: the store refuses it.
            try
            {
                await ctx.AppendTextAsync("out", "after cancel", cancellationToken: CancellationToken.None);
                await ctx.FlushAsync(CancellationToken.None);
                lateReport.TrySetResult(null);
            }
            catch (Exception ex)
            {
                lateReport.TrySetResult(ex);
            }
        });
        var task = await harness.SendForTaskAsync(EngineHarness.Request(), SendMode.Immediate);
        await working.Task.Within();

        await harness.Engine.CancelTaskAsync(new CancelTaskRequest { Id = task.Id }, CancellationToken.None);

        await tokenFired.Task.Within();
        Assert.IsType<TaskAlreadyTerminalException>(await lateReport.Task.Within());
        var after = await harness.Store.GetAsync(task.Id);
        Assert.Equal(TaskState.Canceled, after!.Task.Status.State);
        Assert.Empty(after.Task.Artifacts!);
    }

    [StoreFact]
    public async Task ExpiredLease_MaintenanceFailsTheTaskWithAReasonAndStreamsEnd()
    {
        // A runner that died: its task was created leased, and nobody renews the lease any more.
        await using var harness = Harness((_, _) => Task.CompletedTask, o => o.RunnerLeaseDuration = TimeSpan.FromSeconds(30));
        var task = new AgentTask
        {
            Id = Guid.NewGuid().ToString(),
            ContextId = "ctx",
            Status = new AgentTaskStatus { State = TaskState.Working, Timestamp = harness.Clock.GetUtcNow() },
        };
        await harness.Store.CreateAsync(task, new RunnerLease("dead-process/run-1", TimeSpan.FromSeconds(30)));
        var stream = harness.Engine.SubscribeAsync(task.Id, 1).CollectWithin();

        Assert.Equal(0, await harness.Engine.RecoverExpiredLeasesAsync());
        harness.Clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(1, await harness.Engine.RecoverExpiredLeasesAsync());

        var events = await stream;
        var failed = Assert.Single(events).StatusUpdate!.Status;
        Assert.Equal(TaskState.Failed, failed.State);
        Assert.Contains("stopped before finishing", failed.Message!.GetText(), StringComparison.Ordinal);
        Assert.Equal(0, await harness.Engine.RecoverExpiredLeasesAsync());
    }

    [StoreFact]
    public async Task RunningAgent_RenewsItsLease_SoRecoveryLeavesItAlone()
    {
        var store = new InterceptingTaskStore(NewStore(), Clock);
        var working = Bounded.NewSignal();
        var agentMayFinish = Bounded.NewSignal();
        await using var harness = EngineHarness.Create(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync(cancellationToken: ct);
            await ctx.FlushAsync(ct);
            working.TrySetResult();
            await agentMayFinish.Task.WaitAsync(ct);
        }, o => o.RunnerLeaseDuration = TimeSpan.FromSeconds(30), store: () => store, clock: Clock);
        var task = await harness.SendForTaskAsync(EngineHarness.Request(), SendMode.Immediate);
        await working.Task.Within();

        // Two minutes pass in steps of a third of the lease; at each, the run renews it (a renewal still in flight
        // when the next tick comes covers that tick too, so each step waits for one made at most a tick ago).
        for (var i = 0; i < 12; i++)
        {
            harness.Clock.Advance(TimeSpan.FromSeconds(10));
            try
            {
                await store.WaitForRenewalAsync(harness.Clock.GetUtcNow().AddSeconds(20)).Within();
            }
            catch (TimeoutException)
            {
                Assert.Fail($"No renewal at step {i}; logged: {string.Join(" | ", harness.Logs.Entries)}");
            }
        }

        Assert.Empty(await harness.Store.FindExpiredLeasesAsync(10));
        Assert.Equal(0, await harness.Engine.RecoverExpiredLeasesAsync());
        agentMayFinish.TrySetResult();
        var events = await harness.Engine.SubscribeAsync(task.Id, 1).CollectWithin();
        Assert.Equal(TaskState.Completed, events[^1].StatusUpdate!.Status.State);
    }

    [StoreFact]
    public async Task Retention_EndedTasksOlderThanRetention_AreDeletedOthersKept()
    {
        await using var harness = Harness((ctx, ct) => ctx.CompleteAsync("done", ct).AsTask(), o => o.TaskRetention = TimeSpan.FromHours(1));
        var old = await harness.SendForTaskAsync(EngineHarness.Request("old"));
        harness.Clock.Advance(TimeSpan.FromMinutes(50));
        var recent = await harness.SendForTaskAsync(EngineHarness.Request("recent"));
        var open = await harness.Tasks.CreateTaskAsync();

        harness.Clock.Advance(TimeSpan.FromMinutes(20));
        var deleted = await harness.Engine.DeleteExpiredTasksAsync();

        Assert.Equal(1, deleted);
        Assert.Null(await harness.Tasks.GetTaskAsync(old.Id));
        Assert.NotNull(await harness.Tasks.GetTaskAsync(recent.Id));
        Assert.NotNull(await harness.Tasks.GetTaskAsync(open.Id)); // not ended: never deleted, however old
        var error = await Assert.ThrowsAsync<A2AException>(() => harness.Engine.GetTaskAsync(new GetTaskRequest { Id = old.Id }, CancellationToken.None).AsTask());
        Assert.Equal(A2AErrorCodes.TaskNotFound, error.Code);
    }

    [StoreFact]
    public async Task Retention_Off_KeepsEndedTasks()
    {
        await using var harness = Harness((ctx, ct) => ctx.CompleteAsync(cancellationToken: ct).AsTask(), o => o.TaskRetention = null);
        var task = await harness.SendForTaskAsync(EngineHarness.Request());

        harness.Clock.Advance(TimeSpan.FromDays(3650));

        Assert.Equal(0, await harness.Engine.DeleteExpiredTasksAsync());
        Assert.NotNull(await harness.Tasks.GetTaskAsync(task.Id));
    }

    [StoreFact]
    public async Task AgentBatch_SeveralReports_OneStoreWrite()
    {
        var counting = new InterceptingTaskStore(NewStore());
        var reported = Bounded.NewSignal<int>();
        await using var harness = EngineHarness.Create(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync(cancellationToken: ct);
            await ctx.FlushAsync(ct);
            var before = counting.Appends;
            var batch = ctx.CreateBatch();
            for (var i = 0; i < 100; i++)
            {
                batch.AppendText("out", $"{i},");
            }

            await batch.SendAsync(ct);
            await ctx.FlushAsync(ct);
            reported.TrySetResult(counting.Appends - before);
        }, store: () => counting, clock: Clock);

        var task = await harness.SendForTaskAsync(EngineHarness.Request());

        Assert.Equal(1, await reported.Task.Within());
        Assert.Equal(string.Concat(Enumerable.Range(0, 100).Select(i => $"{i},")), string.Concat(task.Artifacts![0].Parts.Select(p => p.Text)));
    }

    [StoreFact]
    public async Task ManySubscribers_OneStoreReadPerWakeUp()
    {
        const int subscribers = 50;
        var counting = new InterceptingTaskStore(NewStore());
        await using var harness = EngineHarness.Create(store: () => counting, clock: Clock);
        var task = await harness.Tasks.CreateTaskAsync();
        var streams = new List<TaskStream>();
        for (var i = 0; i < subscribers; i++)
        {
            streams.Add(await harness.Engine.SubscribeToTaskAsync(new SubscribeToTaskRequest { Id = task.Id }, 1, CancellationToken.None));
        }

        // Every subscriber follows the task through the one feed of this process.
        var reading = streams.Select(EngineHarness.DrainAsync).ToList();
        Assert.Equal(1, harness.Engine.Feeds.Count);
        var readsBefore = counting.Reads;
        for (var i = 0; i < 10; i++)
        {
            await harness.Tasks.AddArtifactAsync(task.Id, new Artifact { ArtifactId = "a", Parts = [Part.FromText($"{i}")] }, append: i > 0);
        }

        await harness.Tasks.UpdateStatusAsync(task.Id, TaskState.Completed);
        var results = await Task.WhenAll(reading).Within();

        Assert.All(results, events => Assert.Equal(Enumerable.Range(2, 11).Select(i => (long)i), events.Select(e => e.Sequence)));

        // One reader per task: at most one read per append (11), not one per subscriber per append (550).
        Assert.InRange(counting.Reads - readsBefore, 1, 11);

        // Every subscriber got the very same event objects: serialized once, whatever the number of readers.
        Assert.All(results, events => Assert.Same(results[0][0], events[0]));
        foreach (var stream in streams)
        {
            await stream.DisposeAsync();
        }
    }
}

public sealed class OwnershipTestsInMemory : OwnershipTests
{
    protected override StoreKind Kind => StoreKind.InMemory;
}

public sealed class OwnershipTestsSqlite : OwnershipTests
{
    protected override StoreKind Kind => StoreKind.Sqlite;
}

public sealed class OwnershipTestsPostgres : OwnershipTests, INeedPostgres
{
    protected override StoreKind Kind => StoreKind.Postgres;
}
