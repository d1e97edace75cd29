using System.Text;
using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Server.Tests.Storage;

/// <summary>Runs to do: recorded with the accepted message, claimed by one process at a time under a lease, then started.</summary>
public abstract partial class TaskStoreConformanceTests
{
    private static readonly TimeSpan ClaimFor = TimeSpan.FromSeconds(30);

    [StoreFact]
    public async Task CreatePendingAsync_ListedSubmitted_ClaimedOnceWithItsBytes()
    {
        var store = Store();
        var task = NewTask();
        await store.CreatePendingAsync(task, Run("request-1"));

        var listed = await store.ListAsync(new TaskQuery { ContextId = task.ContextId, PageSize = 10 });
        var claimed = await store.ClaimRunAsync(new RunnerLease("worker-a", ClaimFor));
        var again = await store.ClaimRunAsync(new RunnerLease("worker-b", ClaimFor));

        Assert.Equal(TaskState.Submitted, listed.Tasks.Single().Status.State);
        Assert.NotNull(claimed);
        Assert.Equal(task.Id, claimed.TaskId);
        Assert.Equal("request-1", Encoding.UTF8.GetString(claimed.Run.Span));
        Assert.Null(again);

        // The claim is the task's lease: the claimer's appends are accepted, anyone else's refused.
        await store.AppendAsync(task.Id, Status(task, TaskState.Working, T0.AddSeconds(1)), new AppendOptions { LeaseOwner = "worker-a" });
        await Assert.ThrowsAsync<LeaseLostException>(() =>
            store.AppendAsync(task.Id, Status(task, TaskState.Working, T0.AddSeconds(2)), new AppendOptions { LeaseOwner = "worker-b" }).AsTask());
    }

    [StoreFact]
    public async Task ClaimRunAsync_NothingRecorded_ReturnsNull()
    {
        var store = Store();
        await store.CreateAsync(NewTask()); // a task without a run to do is nobody's to claim

        Assert.Null(await store.ClaimRunAsync(new RunnerLease("worker-a", ClaimFor)));
    }

    [StoreFact]
    public async Task ClaimRunAsync_SeveralRuns_OldestFirst()
    {
        var store = Store();
        var first = NewTask();
        var second = NewTask();
        await store.CreatePendingAsync(first, Run("1"));
        await store.CreatePendingAsync(second, Run("2"));

        var a = await store.ClaimRunAsync(new RunnerLease("worker-a", ClaimFor));
        var b = await store.ClaimRunAsync(new RunnerLease("worker-b", ClaimFor));

        Assert.Equal([first.Id, second.Id], [a!.TaskId, b!.TaskId]);
    }

    [StoreFact]
    public async Task ClaimRunAsync_ConcurrentClaimers_EachRunWonByExactlyOne()
    {
        var store = Store();
        var tasks = Enumerable.Range(0, 4).Select(_ => NewTask()).ToArray();
        foreach (var task in tasks)
        {
            await store.CreatePendingAsync(task, Run(task.Id));
        }

        var claims = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            Task.Run(async () => await store.ClaimRunAsync(new RunnerLease($"worker-{i}", ClaimFor)))));

        var won = claims.Where(c => c is not null).Select(c => c!.TaskId).ToArray();
        Assert.Equal(tasks.Select(t => t.Id).Order(), won.Order());
        Assert.Null(await store.ClaimRunAsync(new RunnerLease("late", ClaimFor)));
    }

    [StoreFact]
    public async Task ClaimRunAsync_ClaimOfUnstartedRunExpired_ClaimableAgainAndNotAnOrphan()
    {
        var store = Store();
        var task = NewTask();
        await store.CreatePendingAsync(task, Run("r"));
        await store.ClaimRunAsync(new RunnerLease("dead-worker", ClaimFor));

        Assert.Null(await store.ClaimRunAsync(new RunnerLease("worker-b", ClaimFor)));
        Clock.Advance(ClaimFor + TimeSpan.FromSeconds(1));

        // The claimer died before starting the run: nobody fails the task, another claimer takes it.
        Assert.DoesNotContain(task.Id, await store.FindExpiredLeasesAsync(100));
        Assert.Null(await store.AppendIfLeaseExpiredAsync(task.Id, Status(task, TaskState.Failed, T0.AddSeconds(1))));
        var reclaimed = await store.ClaimRunAsync(new RunnerLease("worker-b", ClaimFor));
        Assert.Equal(task.Id, reclaimed?.TaskId);
        Assert.False(await store.StartRunAsync(task.Id, "dead-worker"));
        Assert.True(await store.StartRunAsync(task.Id, "worker-b"));
        await Assert.ThrowsAsync<LeaseLostException>(() =>
            store.AppendAsync(task.Id, Status(task, TaskState.Working, T0.AddSeconds(2)), new AppendOptions { LeaseOwner = "dead-worker" }).AsTask());
        Assert.Equal(TaskState.Submitted, (await store.GetAsync(task.Id))!.Task.Status.State);
    }

    [StoreFact]
    public async Task StartRunAsync_StartedRun_NeverClaimedAgainAndItsExpiryMakesAnOrphan()
    {
        var store = Store();
        var task = NewTask();
        await store.CreatePendingAsync(task, Run("r"));
        await store.ClaimRunAsync(new RunnerLease("worker-a", ClaimFor));

        Assert.True(await store.StartRunAsync(task.Id, "worker-a"));
        Assert.Null(await store.ClaimRunAsync(new RunnerLease("worker-b", ClaimFor)));
        Clock.Advance(ClaimFor + TimeSpan.FromSeconds(1));

        // Started, then its runner died: the run is not handed out again (it may have done half its work); the task fails.
        Assert.Null(await store.ClaimRunAsync(new RunnerLease("worker-b", ClaimFor)));
        Assert.Contains(task.Id, await store.FindExpiredLeasesAsync(100));
        Assert.NotNull(await store.AppendIfLeaseExpiredAsync(task.Id, Status(task, TaskState.Failed, T0.AddSeconds(1))));
    }

    [StoreFact]
    public async Task StartRunAsync_NotTheClaimer_RefusedAndRunStaysRecorded()
    {
        var store = Store();
        var task = NewTask();
        await store.CreatePendingAsync(task, Run("r"));

        Assert.False(await store.StartRunAsync(task.Id, "worker-a")); // not claimed yet
        await store.ClaimRunAsync(new RunnerLease("worker-a", ClaimFor));
        Assert.False(await store.StartRunAsync(task.Id, "worker-b"));
        Assert.False(await store.StartRunAsync("no-such-task", "worker-a"));

        Assert.True(await store.StartRunAsync(task.Id, "worker-a"));
    }

    [StoreFact]
    public async Task ContinuePendingAsync_PausedTask_RecordsRunAndRefusesOtherMessagesUntilItEnds()
    {
        var store = Store();
        var task = NewTask();
        await store.CreateAsync(task, new RunnerLease("runner-a", ClaimFor));
        await store.AppendAsync(task.Id, Status(task, TaskState.InputRequired, T0.AddSeconds(1)), new AppendOptions { LeaseOwner = "runner-a", ReleaseLease = true });

        var continued = await store.ContinuePendingAsync(task.Id, UserMessage(task, "answer"), Run("turn-2"));
        var leased = await store.ContinueAsync(task.Id, UserMessage(task, "too soon"), new RunnerLease("runner-b", ClaimFor));
        var leasedPending = await store.ContinuePendingAsync(task.Id, UserMessage(task, "too soon"), Run("turn-3"));

        Assert.Equal(ContinueOutcome.Continued, continued.Outcome);
        Assert.Equal(3, continued.Message!.Sequence);
        Assert.Equal(ContinueOutcome.Leased, leased.Outcome);
        Assert.Equal(ContinueOutcome.Leased, leasedPending.Outcome);
        Assert.Equal(3, (await store.GetAsync(task.Id))!.Sequence);
        var claimed = await store.ClaimRunAsync(new RunnerLease("worker", ClaimFor));
        Assert.Equal((task.Id, "turn-2"), (claimed?.TaskId, Encoding.UTF8.GetString(claimed!.Run.Span)));
        await Assert.ThrowsAsync<LeaseLostException>(() =>
            store.AppendAsync(task.Id, Status(task, TaskState.Working, T0.AddSeconds(2)), new AppendOptions { LeaseOwner = "runner-a" }).AsTask());
    }

    [StoreFact]
    public async Task ContinuePendingAsync_TerminalOrMissing_RecordsNothing()
    {
        var store = Store();
        var task = NewTask();
        await store.CreateAsync(task);
        await store.AppendAsync(task.Id, Status(task, TaskState.Completed, T0.AddSeconds(1)));

        var terminal = await store.ContinuePendingAsync(task.Id, UserMessage(task, "more"), Run("r"));
        var missing = await store.ContinuePendingAsync("no-such-task", UserMessage(task, "more"), Run("r"));

        Assert.Equal(ContinueOutcome.Terminal, terminal.Outcome);
        Assert.Equal(ContinueOutcome.NotFound, missing.Outcome);
        Assert.Null(await store.ClaimRunAsync(new RunnerLease("worker", ClaimFor)));
    }

    [StoreFact]
    public async Task CreatePendingAsync_TaskCanceledBeforeClaim_RunIsGone()
    {
        var store = Store();
        var task = NewTask();
        await store.CreatePendingAsync(task, Run("r"));

        await store.AppendAsync(task.Id, Status(task, TaskState.Canceled, T0.AddSeconds(1)));

        Assert.Null(await store.ClaimRunAsync(new RunnerLease("worker", ClaimFor)));
    }

    [StoreFact]
    public async Task CreatePendingAsync_EmptyRun_IsRefused()
    {
        var store = Store();

        await Assert.ThrowsAsync<ArgumentException>(() => store.CreatePendingAsync(NewTask(), ReadOnlyMemory<byte>.Empty).AsTask());
    }

    private static ReadOnlyMemory<byte> Run(string text) => Encoding.UTF8.GetBytes(text);
}
