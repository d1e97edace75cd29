using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Server.Tests.Storage;

/// <summary>
/// What durable stores add to the rules: data that outlives the store instance (and the process), and
/// several instances on the same data that see each other's writes, wake-ups and leases.
/// </summary>
public abstract class DurableTaskStoreConformanceTests : TaskStoreConformanceTests
{
    /// <summary>A new instance on the same data as <paramref name="existing"/>, which stays open.</summary>
    protected abstract TaskStore OpenSecond(TaskStore existing);

    /// <summary>Closes <paramref name="existing"/> (as a process that ends) and opens the same data again.</summary>
    protected abstract Task<TaskStore> ReopenAsync(TaskStore existing);

    /// <summary>
    /// Makes the store's provider fail its writes the way it does when its resource is unavailable (a database locked or
    /// unreachable, a full disk), until the returned handle is disposed. The store's fault model must turn that into
    /// <see cref="TaskStoreUnavailableException"/>.
    /// </summary>
    protected abstract Task<IAsyncDisposable> BreakProviderAsync(TaskStore store);

    [StoreFact]
    public async Task ProviderFault_ReachesCallersAsTransient_WritesNothing_AndTheRetrySucceedsOnce()
    {
        var store = Store();
        var task = await CreateAsync(store);
        TaskEvent[] batch = [Status(task, TaskState.Working, T0.AddSeconds(1)), Chunk(task, "out", "once", append: false)];
        var options = new AppendOptions { ExpectedSequence = 2 };

        TaskStoreUnavailableException error;
        await using (await BreakProviderAsync(store))
        {
            error = await Assert.ThrowsAsync<TaskStoreUnavailableException>(() => store.AppendAsync(task.Id, batch, options).AsTask());

            // Reads go on while writes fail, and nothing of the failed write is visible.
            Assert.Equal(1, (await store.GetAsync(task.Id))!.Sequence);
            Assert.Single(await store.ReadAsync(task.Id, 0, 10));
        }

        Assert.True(TaskStore.IsTransient(error));
        Assert.NotNull(error.InnerException);
        var retried = await store.AppendAsync(task.Id, batch, options);
        var again = await store.AppendAsync(task.Id, batch, options);
        Assert.Equal([2L, 3], retried.Select(e => e.Sequence));
        Assert.Equal([2L, 3], again.Select(e => e.Sequence));
        Assert.Equal([1L, 2, 3], (await store.ReadAsync(task.Id, 0, 10)).Select(e => e.Sequence));
    }

    [StoreFact]
    public async Task Reopen_AfterAppends_EverythingAcknowledgedIsThere()
    {
        var store = Store();
        var context = NewContextId();
        var task = await CreateAsync(store, context, message: Message.UserText("first") with { MessageId = "m-1" });
        await store.AppendAsync(task.Id, [Status(task, TaskState.Working, T0.AddSeconds(1), Message.AgentText("busy")), Chunk(task, "out", "a", append: false, name: "result")]);
        for (var i = 0; i < 50; i++)
        {
            await store.AppendAsync(task.Id, Chunk(task, "out", $"c{i}", append: true));
        }

        await store.AppendAsync(task.Id, Status(task, TaskState.Completed, T0.AddSeconds(2)));
        var before = await store.GetAsync(task.Id);
        var eventsBefore = await store.ReadAsync(task.Id, 0, 1000);

        var reopened = await ReopenAsync(store);

        var after = await reopened.GetAsync(task.Id);
        var eventsAfter = await reopened.ReadAsync(task.Id, 0, 1000);
        Assert.Equal(before!.Sequence, after!.Sequence);
        Assert.Equal(54, after.Sequence);
        Assert.Equal(
            System.Text.Json.JsonSerializer.Serialize(before.Task, A2AJsonContext.Default.AgentTask),
            System.Text.Json.JsonSerializer.Serialize(after.Task, A2AJsonContext.Default.AgentTask));
        Assert.Equal(eventsBefore.Select(e => Convert.ToHexString(e.GetV1Json().Span)), eventsAfter.Select(e => Convert.ToHexString(e.GetV1Json().Span)));
        var page = await reopened.ListAsync(new TaskQuery { ContextId = context, PageSize = 10 });
        Assert.Equal(task.Id, Assert.Single(page.Tasks).Id);
    }

    [StoreFact]
    public async Task Reopen_TraceContexts_Survive_AndAnotherInstanceSeesThem()
    {
        var store = Store();
        var created = NewTask();
        var continued = NewTask();
        await store.CreateAsync(created, null, CreatingTrace);
        await store.CreateAsync(continued, new RunnerLease("r", TimeSpan.FromSeconds(30)), CreatingTrace);
        await store.AppendAsync(continued.Id, Status(continued, TaskState.InputRequired, T0.AddSeconds(1)), new AppendOptions { LeaseOwner = "r", ReleaseLease = true });
        await store.ContinueAsync(continued.Id, UserMessage(continued, "more").WithTraceContext(ContinuingTrace), new RunnerLease("r2", TimeSpan.FromSeconds(30)));
        var second = OpenSecond(store);

        Assert.Equal(ContinuingTrace, (await second.GetAsync(continued.Id))!.TraceContext);

        var reopened = await ReopenAsync(store);

        Assert.Equal(CreatingTrace, (await reopened.GetAsync(created.Id))!.TraceContext);
        Assert.Equal(ContinuingTrace, (await reopened.GetAsync(continued.Id))!.TraceContext);
    }

    [StoreFact]
    public async Task Reopen_Owners_Survive_AndAnotherInstanceListsByThem()
    {
        var store = Store();
        var task = NewTask();
        await store.CreateAsync(task, null, null, Alice);
        var second = OpenSecond(store);

        Assert.Equal(Alice, (await second.GetAsync(task.Id))!.Owner);
        Assert.Contains((await second.ListAsync(new TaskQuery { Owner = Alice, PageSize = 50 })).Tasks, t => t.Id == task.Id);

        var reopened = await ReopenAsync(store);

        Assert.Equal(Alice, (await reopened.GetAsync(task.Id))!.Owner);
        Assert.DoesNotContain((await reopened.ListAsync(new TaskQuery { Owner = Bob, PageSize = 50 })).Tasks, t => t.Id == task.Id);
    }

    [StoreFact]
    public async Task Reopen_Generations_SurviveAndAppendsContinueTheNumbering()
    {
        var store = Store();
        var context = NewContextId();
        var task = await CreateAsync(store, context);
        await store.AppendAsync(task.Id, [Status(task, TaskState.Working, T0.AddSeconds(1)), Chunk(task, "out", "a", append: false)]);
        await store.AppendAsync(task.Id, Status(task, TaskState.InputRequired, T0.AddSeconds(2)));
        await store.ContinueAsync(task.Id, UserMessage(task, "more"), new RunnerLease("r", TimeSpan.FromSeconds(30)));
        var eventsBefore = await store.ReadAsync(task.Id, 0, 100);

        var reopened = await ReopenAsync(store);

        Assert.Equal([1L, 2, 3, 4, 4], eventsBefore.Select(e => e.Generation));
        Assert.Equal(eventsBefore.Select(e => (e.Sequence, e.Generation)), (await reopened.ReadAsync(task.Id, 0, 100)).Select(e => (e.Sequence, e.Generation)));
        Assert.Equal([(5L, 4L)], (await reopened.ReadAsync(task.Id, 4, 100)).Select(e => (e.Sequence, e.Generation)));
        Assert.Equal(4, (await reopened.GetAsync(task.Id))!.Generation);
        Assert.Equal(4, (await reopened.ListAsync(new TaskQuery { ContextId = context, PageSize = 10 })).Tasks.Single().Generation);

        // The reopened store expired the lease; appends and a generation check go on from the stored generation.
        var mismatch = await reopened.ContinueAsync(task.Id, UserMessage(task, "stale"), new RunnerLease("r2", TimeSpan.FromSeconds(30)), expectedGeneration: 3);
        var next = await reopened.AppendAsync(task.Id, [Chunk(task, "out", "b", append: true), Status(task, TaskState.Completed, T0.AddSeconds(3))]);

        Assert.Equal(ContinueOutcome.GenerationMismatch, mismatch.Outcome);
        Assert.Equal(4, mismatch.Generation);
        Assert.Equal([(6L, 5L), (7L, 6L)], next.Select(e => (e.Sequence, e.Generation)));
        Assert.Equal(6, (await reopened.GetAsync(task.Id))!.Generation);
    }

    [StoreFact]
    public async Task Reopen_LeasesOfTheClosedProcess_AreExpired()
    {
        // A process that dies leaves its leases behind; the next process to open the data must not wait for them.
        var store = Store();
        var task = NewTask();
        await store.CreateAsync(task, new RunnerLease("dead-runner", TimeSpan.FromDays(1)));

        var reopened = await ReopenAsync(store);

        Assert.Contains(task.Id, await reopened.FindExpiredLeasesAsync(100));
        Assert.NotNull(await reopened.AppendIfLeaseExpiredAsync(task.Id, Status(task, TaskState.Failed, T0.AddSeconds(1))));
    }

    [StoreFact]
    public async Task SecondInstance_AppendThroughOne_WakesWaiterOnTheOther()
    {
        var first = Store();
        var second = OpenSecond(first);
        var task = await CreateAsync(first);
        var waiting = second.WaitForEventsAsync(task.Id, 1).AsTask();
        Assert.False(waiting.IsCompleted);

        await first.AppendAsync(task.Id, Status(task, TaskState.Working, T0.AddSeconds(1)));

        await waiting.Within();
        Assert.Equal([2L], (await second.ReadAsync(task.Id, 1, 10)).Select(e => e.Sequence));
    }

    [StoreFact]
    public async Task SecondInstance_ConcurrentCreatesOfOneId_ExactlyOneWins()
    {
        var first = Store();
        var second = OpenSecond(first);
        var task = NewTask();

        var results = await Task.WhenAll(
            Try(() => first.CreateAsync(task with { ContextId = "from-first" }).AsTask()),
            Try(() => second.CreateAsync(task with { ContextId = "from-second" }).AsTask())).Within();

        Assert.Single(results, ok => ok);
        var snapshot = await first.GetAsync(task.Id);
        Assert.Equal(1, snapshot!.Sequence);
        Assert.True(snapshot.Task.ContextId is "from-first" or "from-second", snapshot.Task.ContextId);

        static async Task<bool> Try(Func<Task> create)
        {
            try
            {
                await create();
                return true;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }
    }

    [StoreFact]
    public async Task SecondInstance_LeaseHeldThroughOne_IsRespectedByTheOther()
    {
        var first = Store();
        var second = OpenSecond(first);
        var task = NewTask();
        await first.CreateAsync(task, new RunnerLease("runner-a", TimeSpan.FromMinutes(1)));
        await first.AppendAsync(task.Id, Status(task, TaskState.Working, T0.AddSeconds(1)), new AppendOptions { LeaseOwner = "runner-a" });

        var refused = await second.ContinueAsync(task.Id, UserMessage(task, "x"), new RunnerLease("runner-b", TimeSpan.FromMinutes(2)));
        await first.AppendAsync(task.Id, Status(task, TaskState.InputRequired, T0.AddSeconds(2)), new AppendOptions { LeaseOwner = "runner-a", ReleaseLease = true });
        var accepted = await second.ContinueAsync(task.Id, UserMessage(task, "y"), new RunnerLease("runner-b", TimeSpan.FromMinutes(2)));

        Assert.Equal(ContinueOutcome.Leased, refused.Outcome);
        Assert.Equal(ContinueOutcome.Continued, accepted.Outcome);
        await Assert.ThrowsAsync<LeaseLostException>(() =>
            first.AppendAsync(task.Id, Chunk(task, "a", "x", append: false), new AppendOptions { LeaseOwner = "runner-a" }).AsTask());
    }
}
