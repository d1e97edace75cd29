using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Server.Tests.Storage;

/// <summary>Runner leases: who may run a task's agent, decided by the store alone.</summary>
public abstract partial class TaskStoreConformanceTests
{
    [StoreFact]
    public async Task AppendAsync_LeaseOwnerHoldsLease_IsAccepted()
    {
        var store = Store();
        var task = NewTask();
        await store.CreateAsync(task, new RunnerLease("runner-a", TimeSpan.FromSeconds(30)));

        var appended = await store.AppendAsync(task.Id, Status(task, TaskState.Working, T0.AddSeconds(1)), new AppendOptions { LeaseOwner = "runner-a" });

        Assert.Equal(2, appended.Sequence);
    }

    [StoreFact]
    public async Task AppendAsync_OtherLeaseOwner_ThrowsLeaseLostAndAppendsNothing()
    {
        var store = Store();
        var task = NewTask();
        await store.CreateAsync(task, new RunnerLease("runner-a", TimeSpan.FromSeconds(30)));

        var error = await Assert.ThrowsAsync<LeaseLostException>(() =>
            store.AppendAsync(task.Id, Status(task, TaskState.Working, T0.AddSeconds(1)), new AppendOptions { LeaseOwner = "runner-b" }).AsTask());

        Assert.Equal(task.Id, error.TaskId);
        Assert.Equal("runner-b", error.Owner);
        Assert.Equal(1, (await store.GetAsync(task.Id))!.Sequence);
    }

    [StoreFact]
    public async Task AppendAsync_WithoutLeaseOwner_IsAcceptedWhateverTheLease()
    {
        // Updates from outside the run (CancelTask, IHeraldTasks) name no lease.
        var store = Store();
        var task = NewTask();
        await store.CreateAsync(task, new RunnerLease("runner-a", TimeSpan.FromSeconds(30)));

        var canceled = await store.AppendAsync(task.Id, Status(task, TaskState.Canceled, T0.AddSeconds(1)));

        Assert.Equal(2, canceled.Sequence);
        await Assert.ThrowsAsync<TaskAlreadyTerminalException>(() =>
            store.AppendAsync(task.Id, Chunk(task, "a", "late", append: false), new AppendOptions { LeaseOwner = "runner-a" }).AsTask());
    }

    [StoreFact]
    public async Task AppendAsync_ReleaseLease_LetsAFollowUpContinueAtOnce()
    {
        var store = Store();
        var task = NewTask();
        await store.CreateAsync(task, new RunnerLease("runner-a", TimeSpan.FromSeconds(30)));
        await store.AppendAsync(task.Id, Status(task, TaskState.InputRequired, T0.AddSeconds(1)), new AppendOptions { LeaseOwner = "runner-a", ReleaseLease = true });

        var result = await store.ContinueAsync(task.Id, UserMessage(task, "answer"), new RunnerLease("runner-b", TimeSpan.FromSeconds(30)));

        Assert.Equal(ContinueOutcome.Continued, result.Outcome);
        Assert.Equal(TaskState.InputRequired, result.State);
        Assert.Equal(3, result.Message!.Sequence);
        await Assert.ThrowsAsync<LeaseLostException>(() =>
            store.AppendAsync(task.Id, Chunk(task, "a", "old turn", append: false), new AppendOptions { LeaseOwner = "runner-a" }).AsTask());
        var accepted = await store.AppendAsync(task.Id, Chunk(task, "a", "new turn", append: false), new AppendOptions { LeaseOwner = "runner-b" });
        Assert.Equal(4, accepted.Sequence);
    }

    [StoreFact]
    public async Task ContinueAsync_LiveLease_RefusesAndChangesNothing()
    {
        var store = Store();
        var task = NewTask();
        await store.CreateAsync(task, new RunnerLease("runner-a", TimeSpan.FromSeconds(30)));
        await store.AppendAsync(task.Id, Status(task, TaskState.InputRequired, T0.AddSeconds(1)), new AppendOptions { LeaseOwner = "runner-a" });

        var result = await store.ContinueAsync(task.Id, UserMessage(task, "too soon"), new RunnerLease("runner-b", TimeSpan.FromSeconds(30)));

        Assert.Equal(ContinueOutcome.Leased, result.Outcome);
        Assert.Null(result.Message);
        var snapshot = await store.GetAsync(task.Id);
        Assert.Equal(2, snapshot!.Sequence);
        Assert.DoesNotContain(snapshot.Task.History ?? [], m => m.GetText() == "too soon");
        await store.AppendAsync(task.Id, Chunk(task, "a", "still mine", append: false), new AppendOptions { LeaseOwner = "runner-a" });
    }

    [StoreFact]
    public async Task ContinueAsync_ExpiredLease_TakesOver()
    {
        var store = Store();
        var task = NewTask();
        await store.CreateAsync(task, new RunnerLease("runner-a", TimeSpan.FromSeconds(-1)));

        var result = await store.ContinueAsync(task.Id, UserMessage(task, "hello?"), new RunnerLease("runner-b", TimeSpan.FromSeconds(30)));

        Assert.Equal(ContinueOutcome.Continued, result.Outcome);
        await Assert.ThrowsAsync<LeaseLostException>(() =>
            store.AppendAsync(task.Id, Chunk(task, "a", "x", append: false), new AppendOptions { LeaseOwner = "runner-a" }).AsTask());
    }

    [StoreFact]
    public async Task ContinueAsync_TerminalOrUnknownTask_RefusesWithTheReason()
    {
        var store = Store();
        var task = await CreateAsync(store);
        await store.AppendAsync(task.Id, Status(task, TaskState.Completed, T0.AddSeconds(1)));

        var terminal = await store.ContinueAsync(task.Id, UserMessage(task, "more"), new RunnerLease("r", TimeSpan.FromSeconds(30)));
        var unknown = await store.ContinueAsync("no-such-task", UserMessage(task, "more"), new RunnerLease("r", TimeSpan.FromSeconds(30)));

        Assert.Equal(ContinueOutcome.Terminal, terminal.Outcome);
        Assert.Equal(TaskState.Completed, terminal.State);
        Assert.Equal(ContinueOutcome.NotFound, unknown.Outcome);
        Assert.Equal(2, (await store.GetAsync(task.Id))!.Sequence);
    }

    [StoreFact]
    public async Task ContinueAsync_ConcurrentFollowUps_ExactlyOneTakesTheTask()
    {
        var store = Store();
        var task = await CreateAsync(store);
        await store.AppendAsync(task.Id, Status(task, TaskState.InputRequired, T0.AddSeconds(1)));

        var attempts = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
            await store.ContinueAsync(task.Id, UserMessage(task, $"answer {i}"), new RunnerLease($"runner-{i}", TimeSpan.FromSeconds(30))))).ToList();
        var results = await Task.WhenAll(attempts).Within();

        Assert.Single(results, r => r.Outcome == ContinueOutcome.Continued);
        Assert.Equal(7, results.Count(r => r.Outcome == ContinueOutcome.Leased));
        var snapshot = await store.GetAsync(task.Id);
        Assert.Equal(3, snapshot!.Sequence);
    }

    [StoreFact]
    public async Task RenewLeaseAsync_OnlyTheHolder_Extends()
    {
        var store = Store();
        var task = NewTask();
        await store.CreateAsync(task, new RunnerLease("runner-a", TimeSpan.FromSeconds(5)));

        Assert.True(await store.RenewLeaseAsync(task.Id, "runner-a", TimeSpan.FromSeconds(60)));
        Assert.False(await store.RenewLeaseAsync(task.Id, "runner-b", TimeSpan.FromSeconds(60)));
        Assert.False(await store.RenewLeaseAsync("no-such-task", "runner-a", TimeSpan.FromSeconds(60)));

        // Renewed: not expired at a time past the original expiry, by the store's clock.
        Clock.Advance(TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(task.Id, await store.FindExpiredLeasesAsync(1000));
        Clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Contains(task.Id, await store.FindExpiredLeasesAsync(1000));
    }

    [StoreFact]
    public async Task RenewLeasesAsync_OneCallForMany_ExtendsTheHeldOnes_NamesTheOthers()
    {
        var store = Store();
        var held = NewTask();
        var alsoHeld = NewTask();
        var other = NewTask();
        var ended = NewTask();
        await store.CreateAsync(held, new RunnerLease("runner-a", TimeSpan.FromSeconds(5)));
        await store.CreateAsync(alsoHeld, new RunnerLease("runner-b", TimeSpan.FromSeconds(5)));
        await store.CreateAsync(other, new RunnerLease("runner-x", TimeSpan.FromSeconds(5)));
        await store.CreateAsync(ended, new RunnerLease("runner-c", TimeSpan.FromSeconds(5)));
        await store.AppendAsync(ended.Id, Status(ended, TaskState.Completed, T0.AddSeconds(1)), new AppendOptions { LeaseOwner = "runner-c" });

        var refused = await store.RenewLeasesAsync(
            [new(held.Id, "runner-a"), new(alsoHeld.Id, "runner-b"), new(other.Id, "runner-a"), new(ended.Id, "runner-c"), new("no-such-task", "runner-a")],
            TimeSpan.FromSeconds(60));

        Assert.Equal(new[] { other.Id, ended.Id, "no-such-task" }.Order(StringComparer.Ordinal), refused.Order(StringComparer.Ordinal));
        Clock.Advance(TimeSpan.FromSeconds(30));
        var expired = await store.FindExpiredLeasesAsync(1000);
        Assert.DoesNotContain(held.Id, expired);
        Assert.DoesNotContain(alsoHeld.Id, expired);
        Assert.Contains(other.Id, expired); // runner-x's lease was not renewed by runner-a
        Assert.Empty(await store.RenewLeasesAsync([], TimeSpan.FromSeconds(60)));
    }

    [StoreFact]
    public async Task AppendAsync_ReleaseLeaseByOtherOwner_IsRefusedAndKeepsTheLease()
    {
        var store = Store();
        var task = NewTask();
        await store.CreateAsync(task, new RunnerLease("runner-a", TimeSpan.FromSeconds(30)));

        await Assert.ThrowsAsync<LeaseLostException>(() => store.AppendAsync(task.Id, Status(task, TaskState.InputRequired, T0.AddSeconds(1)),
            new AppendOptions { LeaseOwner = "runner-b", ReleaseLease = true }).AsTask());

        Assert.Equal(ContinueOutcome.Leased, (await store.ContinueAsync(task.Id, UserMessage(task, "x"), new RunnerLease("c", TimeSpan.FromSeconds(30)))).Outcome);
    }

    [StoreFact]
    public async Task FindExpiredLeasesAsync_TurnNeverEndedDurably_IsAnOrphanOnceTheLeaseLapses()
    {
        // A runner that wrote "working" and then vanished (or gave up on a failing store) never cleared its lease:
        // once the lease lapses by the store's clock, the task is an orphan, whatever state it is in.
        var store = Store();
        var task = NewTask();
        await store.CreateAsync(task, new RunnerLease("runner-a", TimeSpan.FromSeconds(30)));
        await store.AppendAsync(task.Id, Status(task, TaskState.Working, T0.AddSeconds(1)), new AppendOptions { LeaseOwner = "runner-a" });
        Assert.DoesNotContain(task.Id, await store.FindExpiredLeasesAsync(1000));

        Clock.Advance(TimeSpan.FromSeconds(31));

        Assert.Contains(task.Id, await store.FindExpiredLeasesAsync(1000));
    }

    [StoreFact]
    public async Task FindExpiredLeasesAsync_PausedTurn_IsNotAnOrphan()
    {
        var store = Store();
        var task = NewTask();
        await store.CreateAsync(task, new RunnerLease("runner-a", TimeSpan.FromSeconds(30)));
        await store.AppendAsync(task.Id, Status(task, TaskState.InputRequired, T0.AddSeconds(1)), new AppendOptions { LeaseOwner = "runner-a", ReleaseLease = true });

        Clock.Advance(TimeSpan.FromMinutes(5));

        Assert.DoesNotContain(task.Id, await store.FindExpiredLeasesAsync(1000));
        Assert.Null(await store.AppendIfLeaseExpiredAsync(task.Id, Status(task, TaskState.Failed, T0.AddSeconds(2))));
    }

    [StoreFact]
    public async Task FindExpiredLeasesAsync_ListsOnlyNonTerminalTasksWithExpiredLeases()
    {
        var store = Store();
        var expired = NewTask();
        var live = NewTask();
        var ended = NewTask();
        var unleased = NewTask();
        await store.CreateAsync(expired, new RunnerLease("a", TimeSpan.FromSeconds(-1)));
        await store.CreateAsync(live, new RunnerLease("b", TimeSpan.FromSeconds(30)));
        await store.CreateAsync(ended, new RunnerLease("c", TimeSpan.FromSeconds(-1)));
        await store.AppendAsync(ended.Id, Status(ended, TaskState.Failed, T0.AddSeconds(1)));
        await store.CreateAsync(unleased);

        var found = await store.FindExpiredLeasesAsync(1000);

        Assert.Contains(expired.Id, found);
        Assert.DoesNotContain(live.Id, found);
        Assert.DoesNotContain(ended.Id, found);
        Assert.DoesNotContain(unleased.Id, found);
    }

    [StoreFact]
    public async Task AppendIfLeaseExpiredAsync_ExpiredLease_AppendsAndFencesTheOldRunner()
    {
        var store = Store();
        var task = NewTask();
        await store.CreateAsync(task, new RunnerLease("runner-a", TimeSpan.FromSeconds(-1)));

        var failed = await store.AppendIfLeaseExpiredAsync(task.Id, Status(task, TaskState.Failed, T0.AddSeconds(2)));

        Assert.Equal(2, failed!.Sequence);
        Assert.Equal(TaskState.Failed, (await store.GetAsync(task.Id))!.Task.Status.State);
        Assert.DoesNotContain(task.Id, await store.FindExpiredLeasesAsync(1000));
        await Assert.ThrowsAsync<TaskAlreadyTerminalException>(() =>
            store.AppendAsync(task.Id, Chunk(task, "a", "late", append: false), new AppendOptions { LeaseOwner = "runner-a" }).AsTask());
    }

    [StoreFact]
    public async Task AppendIfLeaseExpiredAsync_LeaseRenewedMeanwhile_DoesNothing()
    {
        var store = Store();
        var task = NewTask();
        await store.CreateAsync(task, new RunnerLease("runner-a", TimeSpan.FromSeconds(-1)));
        Assert.True(await store.RenewLeaseAsync(task.Id, "runner-a", TimeSpan.FromSeconds(30)));

        var failed = await store.AppendIfLeaseExpiredAsync(task.Id, Status(task, TaskState.Failed, T0.AddSeconds(2)));

        Assert.Null(failed);
        Assert.Equal(1, (await store.GetAsync(task.Id))!.Sequence);
    }

    protected static TaskEvent UserMessage(AgentTask task, string text) =>
        TaskEvent.ForMessage(0, Message.UserText(text) with { TaskId = task.Id, ContextId = task.ContextId }, T0.AddSeconds(3));
}
