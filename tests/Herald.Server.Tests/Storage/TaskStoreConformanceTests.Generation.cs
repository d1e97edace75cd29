using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Server.Tests.Storage;

/// <summary>
/// A2A 1.1 generation: 1 at creation, one more for each status or artifact update, unchanged by a follow-up
/// message. Every event and snapshot a store returns carries it, and ContinueAsync can require it.
/// </summary>
public abstract partial class TaskStoreConformanceTests
{
    [StoreFact]
    public async Task Generation_CreatedEvent_IsOne()
    {
        var store = Store();
        var task = NewTask();

        var created = await store.CreateAsync(task);

        Assert.Equal(1, created.Generation);
        Assert.Equal(1, Assert.Single(await store.ReadAsync(task.Id, 0, 10)).Generation);
        Assert.Equal(1, (await store.GetAsync(task.Id))!.Generation);
    }

    [StoreFact]
    public async Task Generation_StatusAndArtifactUpdates_AreConsecutiveInABatchAndAcrossBatches()
    {
        var store = Store();
        var task = await CreateAsync(store);

        var first = await store.AppendAsync(task.Id,
            [Status(task, TaskState.Working, T0.AddSeconds(1)), Chunk(task, "a", "x", append: false), Chunk(task, "a", "y", append: true)]);
        var second = await store.AppendAsync(task.Id, Chunk(task, "b", "z", append: false));
        var third = await store.AppendAsync(task.Id, [Chunk(task, "a", "w", append: true), Status(task, TaskState.Completed, T0.AddSeconds(2))]);

        Assert.Equal([2L, 3, 4], first.Select(e => e.Generation));
        Assert.Equal(5, second.Generation);
        Assert.Equal([6L, 7], third.Select(e => e.Generation));
        Assert.Equal(7, (await store.GetAsync(task.Id))!.Generation);
    }

    [StoreFact]
    public async Task Generation_ContinuedMessage_KeepsTheGenerationAndTheNextUpdateIsOneMore()
    {
        var store = Store();
        var task = await CreateAsync(store);
        await store.AppendAsync(task.Id, Status(task, TaskState.InputRequired, T0.AddSeconds(1)));

        var continued = await store.ContinueAsync(task.Id, UserMessage(task, "answer"), new RunnerLease("r", TimeSpan.FromSeconds(30)));
        var snapshotAfterMessage = await store.GetAsync(task.Id);
        var next = await store.AppendAsync(task.Id, [Status(task, TaskState.Working, T0.AddSeconds(4)), Chunk(task, "a", "x", append: false)],
            new AppendOptions { LeaseOwner = "r" });

        Assert.Equal(ContinueOutcome.Continued, continued.Outcome);
        Assert.Equal(3, continued.Message!.Sequence);
        Assert.Equal(2, continued.Message.Generation);
        Assert.Equal(2, continued.Generation);
        Assert.Equal(3, snapshotAfterMessage!.Sequence);
        Assert.Equal(2, snapshotAfterMessage.Generation);

        // The streamed events (created, status, status, artifact) have generations without gaps.
        Assert.Equal([3L, 4], next.Select(e => e.Generation));
        var streamed = (await store.ReadAsync(task.Id, 0, 100)).Where(e => e.Kind != TaskEventKind.Message).Select(e => e.Generation);
        Assert.Equal([1L, 2, 3, 4], streamed);
    }

    [StoreFact]
    public async Task Generation_ReadFromAnyPosition_MatchesTheAppends()
    {
        var store = Store();
        var task = await CreateAsync(store);
        var appended = new List<TaskEvent>();
        appended.AddRange(await store.AppendAsync(task.Id, [Status(task, TaskState.Working, T0.AddSeconds(1)), Chunk(task, "a", "0", append: false)]));
        for (var i = 1; i < 6; i++)
        {
            appended.Add(await store.AppendAsync(task.Id, Chunk(task, "a", $"{i}", append: true)));
        }

        appended.AddRange(await store.AppendAsync(task.Id, [Status(task, TaskState.InputRequired, T0.AddSeconds(2)), Chunk(task, "b", "p", append: false)]));
        appended.Add((await store.ContinueAsync(task.Id, UserMessage(task, "more"), new RunnerLease("r", TimeSpan.FromSeconds(30)))).Message!);
        appended.AddRange(await store.AppendAsync(task.Id, [Chunk(task, "b", "q", append: true), Chunk(task, "b", "r", append: true), Status(task, TaskState.Completed, T0.AddSeconds(5))]));

        var expected = appended.ToDictionary(e => e.Sequence, e => e.Generation);
        Assert.Equal(Enumerable.Range(2, appended.Count).Select(s => (long)s), appended.Select(e => e.Sequence));
        for (var after = 0L; after <= appended.Count + 1; after++)
        {
            foreach (var max in new[] { 1, 2, 100 })
            {
                var read = await store.ReadAsync(task.Id, after, max);
                Assert.All(read, e => Assert.Equal(e.Sequence == 1 ? 1 : expected[e.Sequence], e.Generation));
            }
        }

        // 1 created, 12 updates, 1 message.
        Assert.Equal(13, appended[^1].Generation);
        Assert.Equal(13, (await store.GetAsync(task.Id))!.Generation);
    }

    [StoreFact]
    public async Task Generation_LargeBatchAfterAMessage_ReadFromTheMiddle_MatchesTheAppends()
    {
        var store = Store();
        var task = await CreateAsync(store);
        await store.AppendAsync(task.Id, Status(task, TaskState.InputRequired, T0.AddSeconds(1)));
        await store.ContinueAsync(task.Id, UserMessage(task, "go"), new RunnerLease("r", TimeSpan.FromSeconds(30)));
        var batch = Enumerable.Range(0, 600).Select(i => Chunk(task, "a", $"c{i}", append: i > 0)).ToArray();

        var appended = await store.AppendAsync(task.Id, batch, new AppendOptions { LeaseOwner = "r" });

        // Sequence 4 is the first chunk, generation 3; sequence s has generation s - 1.
        Assert.Equal(Enumerable.Range(4, 600).Select(s => (long)s - 1), appended.Select(e => e.Generation));
        foreach (var after in new long[] { 2, 3, 200, 259, 260, 261, 500, 603 })
        {
            var read = await store.ReadAsync(task.Id, after, 7);
            Assert.All(read, e => Assert.Equal(e.Sequence - 1, e.Generation));
        }

        Assert.Equal(602, (await store.GetAsync(task.Id, historyLength: 0, includeArtifacts: false))!.Generation);
    }

    [StoreFact]
    public async Task Generation_GetAndList_CarryTheGenerationAtTheirSequence()
    {
        var store = Store();
        var context = NewContextId();
        var quiet = await CreateAsync(store, context, T0);
        var busy = await CreateAsync(store, context, T0);
        await store.AppendAsync(busy.Id, [Status(busy, TaskState.Working, T0.AddSeconds(1)), Chunk(busy, "a", "x", append: false)]);
        await store.AppendAsync(busy.Id, Status(busy, TaskState.InputRequired, T0.AddSeconds(2)));
        await store.ContinueAsync(busy.Id, UserMessage(busy, "answer"), new RunnerLease("r", TimeSpan.FromSeconds(30)));

        var busySnapshot = await store.GetAsync(busy.Id);
        var lean = await store.GetAsync(busy.Id, historyLength: 0, includeArtifacts: false);
        var page = await store.ListAsync(new TaskQuery { ContextId = context, PageSize = 10 });

        Assert.Equal(5, busySnapshot!.Sequence);
        Assert.Equal(4, busySnapshot.Generation);
        Assert.Equal(4, busySnapshot.Task.Generation);
        Assert.Equal(4, lean!.Generation);
        Assert.Equal(1, (await store.GetAsync(quiet.Id))!.Generation);
        Assert.Equal(4, page.Tasks.Single(t => t.Id == busy.Id).Generation);
        Assert.Equal(1, page.Tasks.Single(t => t.Id == quiet.Id).Generation);
    }

    [StoreFact]
    public async Task ContinueAsync_MatchingExpectedGeneration_Continues()
    {
        var store = Store();
        var task = await CreateAsync(store);
        await store.AppendAsync(task.Id, [Status(task, TaskState.Working, T0.AddSeconds(1)), Status(task, TaskState.InputRequired, T0.AddSeconds(2))]);

        var result = await store.ContinueAsync(task.Id, UserMessage(task, "answer"), new RunnerLease("r", TimeSpan.FromSeconds(30)), expectedGeneration: 3);

        Assert.Equal(ContinueOutcome.Continued, result.Outcome);
        Assert.Equal(3, result.Generation);
        Assert.Equal(4, result.Message!.Sequence);
        Assert.Equal(3, result.Message.Generation);
    }

    [StoreFact]
    public async Task ContinueAsync_MismatchingExpectedGeneration_RefusesWithTheCurrentGenerationAndWritesNothing()
    {
        var store = Store();
        var task = await CreateAsync(store);
        await store.AppendAsync(task.Id, [Status(task, TaskState.Working, T0.AddSeconds(1)), Status(task, TaskState.InputRequired, T0.AddSeconds(2))]);

        var stale = await store.ContinueAsync(task.Id, UserMessage(task, "stale"), new RunnerLease("r", TimeSpan.FromSeconds(30)), expectedGeneration: 2);
        var ahead = await store.ContinueAsync(task.Id, UserMessage(task, "ahead"), new RunnerLease("r", TimeSpan.FromSeconds(30)), expectedGeneration: 4);

        foreach (var result in new[] { stale, ahead })
        {
            Assert.Equal(ContinueOutcome.GenerationMismatch, result.Outcome);
            Assert.Equal(TaskState.InputRequired, result.State);
            Assert.Equal(3, result.Generation);
            Assert.Null(result.Message);
        }

        var snapshot = await store.GetAsync(task.Id);
        Assert.Equal(3, snapshot!.Sequence);
        Assert.Equal(3, snapshot.Generation);
        Assert.DoesNotContain(snapshot.Task.History ?? [], m => m.GetText() is "stale" or "ahead");
        Assert.Equal(3, (await store.ReadAsync(task.Id, 0, 100)).Count);

        // No lease was taken: another follow-up continues at once, and the refused runner holds nothing.
        var accepted = await store.ContinueAsync(task.Id, UserMessage(task, "fresh"), new RunnerLease("other", TimeSpan.FromSeconds(30)), expectedGeneration: 3);
        Assert.Equal(ContinueOutcome.Continued, accepted.Outcome);
        await Assert.ThrowsAsync<LeaseLostException>(() =>
            store.AppendAsync(task.Id, Chunk(task, "a", "x", append: false), new AppendOptions { LeaseOwner = "r" }).AsTask());
    }

    [StoreFact]
    public async Task ContinueAsync_MismatchingExpectedGenerationUnderALiveLease_IsAMismatchAndKeepsTheLease()
    {
        // Generation is checked before the lease.
        var store = Store();
        var task = NewTask();
        await store.CreateAsync(task, new RunnerLease("runner-a", TimeSpan.FromSeconds(30)));
        await store.AppendAsync(task.Id, Status(task, TaskState.Working, T0.AddSeconds(1)), new AppendOptions { LeaseOwner = "runner-a" });

        var mismatch = await store.ContinueAsync(task.Id, UserMessage(task, "x"), new RunnerLease("runner-b", TimeSpan.FromSeconds(30)), expectedGeneration: 1);
        var leased = await store.ContinueAsync(task.Id, UserMessage(task, "y"), new RunnerLease("runner-b", TimeSpan.FromSeconds(30)), expectedGeneration: 2);

        Assert.Equal(ContinueOutcome.GenerationMismatch, mismatch.Outcome);
        Assert.Equal(2, mismatch.Generation);
        Assert.Equal(ContinueOutcome.Leased, leased.Outcome);
        Assert.Equal(2, leased.Generation);
        Assert.Equal(3, (await store.AppendAsync(task.Id, Chunk(task, "a", "mine", append: false), new AppendOptions { LeaseOwner = "runner-a" })).Sequence);
    }

    [StoreFact]
    public async Task ContinueAsync_TerminalTaskWithMismatchingGeneration_IsTerminal()
    {
        var store = Store();
        var task = await CreateAsync(store);
        await store.AppendAsync(task.Id, Status(task, TaskState.Completed, T0.AddSeconds(1)));

        var result = await store.ContinueAsync(task.Id, UserMessage(task, "more"), new RunnerLease("r", TimeSpan.FromSeconds(30)), expectedGeneration: 1);

        Assert.Equal(ContinueOutcome.Terminal, result.Outcome);
        Assert.Equal(TaskState.Completed, result.State);
        Assert.Equal(2, result.Generation);
        Assert.Equal(2, (await store.GetAsync(task.Id))!.Sequence);
    }

    [StoreFact]
    public async Task Generation_IdempotentRetry_ReturnsTheStoredGenerations()
    {
        var store = Store();
        var task = await CreateAsync(store);
        await store.AppendAsync(task.Id, Status(task, TaskState.InputRequired, T0.AddSeconds(1)));
        await store.ContinueAsync(task.Id, UserMessage(task, "answer"), new RunnerLease("r", TimeSpan.FromSeconds(30)));
        TaskEvent[] batch = [Status(task, TaskState.Working, T0.AddSeconds(4)), Chunk(task, "a", "once", append: false)];
        var options = new AppendOptions { LeaseOwner = "r", ExpectedSequence = 4 };
        var first = await store.AppendAsync(task.Id, batch, options);
        await store.AppendAsync(task.Id, Chunk(task, "a", "more", append: true), new AppendOptions { LeaseOwner = "r" });

        var retry = await store.AppendAsync(task.Id, batch, options);

        Assert.Equal([3L, 4], first.Select(e => e.Generation));
        Assert.Equal(first.Select(e => (e.Sequence, e.Generation)), retry.Select(e => (e.Sequence, e.Generation)));
        Assert.Equal(5, (await store.GetAsync(task.Id))!.Generation);
    }

    [StoreFact]
    public async Task Generation_AppendIfLeaseExpired_HasTheNextGeneration()
    {
        var store = Store();
        var task = NewTask();
        await store.CreateAsync(task, new RunnerLease("runner-a", TimeSpan.FromSeconds(-1)));
        await store.AppendAsync(task.Id, Chunk(task, "a", "x", append: false));

        var failed = await store.AppendIfLeaseExpiredAsync(task.Id, Status(task, TaskState.Failed, T0.AddSeconds(2)));

        Assert.Equal(3, failed!.Sequence);
        Assert.Equal(3, failed.Generation);
        Assert.Equal(3, (await store.GetAsync(task.Id))!.Generation);
        Assert.Equal([1L, 2, 3], (await store.ReadAsync(task.Id, 0, 10)).Select(e => e.Generation));
    }
}
