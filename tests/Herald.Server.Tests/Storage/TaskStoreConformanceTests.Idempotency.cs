using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Server.Tests.Storage;

/// <summary>
/// Appends that name their expected sequence: a writer that does not know whether its last write committed
/// retries it, and the store neither doubles nor loses an event.
/// </summary>
public abstract partial class TaskStoreConformanceTests
{
    [StoreFact]
    public async Task AppendAsync_ExpectedSequenceAtTheEnd_Appends()
    {
        var store = Store();
        var task = await CreateAsync(store);

        var appended = await store.AppendAsync(task.Id, [Status(task, TaskState.Working, T0.AddSeconds(1)), Chunk(task, "a", "x", append: false)],
            new AppendOptions { ExpectedSequence = 2 });

        Assert.Equal([2L, 3], appended.Select(e => e.Sequence));
        Assert.Equal(3, (await store.GetAsync(task.Id))!.Sequence);
    }

    [StoreFact]
    public async Task AppendAsync_RetryOfACommittedBatch_ReturnsItsEventsAndWritesNothing()
    {
        var store = Store();
        var task = await CreateAsync(store);
        TaskEvent[] batch = [Status(task, TaskState.Working, T0.AddSeconds(1)), Chunk(task, "a", "once", append: false)];
        var first = await store.AppendAsync(task.Id, batch, new AppendOptions { ExpectedSequence = 2 });

        // The writer never learned the outcome (a dropped connection at commit) and sends the same batch again.
        var retry = await store.AppendAsync(task.Id, batch, new AppendOptions { ExpectedSequence = 2 });

        Assert.Equal(first.Select(e => e.Sequence), retry.Select(e => e.Sequence));
        Assert.Equal(first.Select(e => Convert.ToHexString(e.GetV1Json().Span)), retry.Select(e => Convert.ToHexString(e.GetV1Json().Span)));
        var log = await store.ReadAsync(task.Id, 0, 100);
        Assert.Equal([1L, 2, 3], log.Select(e => e.Sequence));
        Assert.Equal(["once"], (await store.GetAsync(task.Id))!.Task.Artifacts!.Single().Parts.Select(p => p.Text));
    }

    [StoreFact]
    public async Task AppendAsync_RetryOfACommittedTerminalBatchUnderALease_Succeeds()
    {
        // The first try ended the task and cleared the lease: the retry must still be recognised as the same write.
        var store = Store();
        var task = NewTask();
        await store.CreateAsync(task, new RunnerLease("runner-a", TimeSpan.FromSeconds(30)));
        TaskEvent[] batch = [Chunk(task, "a", "done", append: false), Status(task, TaskState.Completed, T0.AddSeconds(1))];
        var options = new AppendOptions { LeaseOwner = "runner-a", ExpectedSequence = 2 };
        await store.AppendAsync(task.Id, batch, options);

        var retry = await store.AppendAsync(task.Id, batch, options);

        Assert.Equal([2L, 3], retry.Select(e => e.Sequence));
        Assert.Equal(3, (await store.GetAsync(task.Id))!.Sequence);
    }

    [StoreFact]
    public async Task AppendAsync_ExpectedSequenceHeldByOtherEvents_ThrowsConflictAndWritesNothing()
    {
        var store = Store();
        var task = await CreateAsync(store);
        await store.AppendAsync(task.Id, Status(task, TaskState.Working, T0.AddSeconds(1)));

        var conflict = await Assert.ThrowsAsync<AppendConflictException>(() =>
            store.AppendAsync(task.Id, [Chunk(task, "a", "mine", append: false)], new AppendOptions { ExpectedSequence = 2 }).AsTask());

        Assert.Equal(task.Id, conflict.TaskId);
        Assert.Equal(2, conflict.ExpectedSequence);
        Assert.Equal(2, conflict.LastSequence);
        Assert.Equal(2, (await store.GetAsync(task.Id))!.Sequence);
        Assert.Empty((await store.GetAsync(task.Id))!.Task.Artifacts ?? []);
    }

    [StoreFact]
    public async Task AppendAsync_OnlyPartOfTheBatchMatches_ThrowsConflict()
    {
        var store = Store();
        var task = await CreateAsync(store);
        var working = Status(task, TaskState.Working, T0.AddSeconds(1));
        await store.AppendAsync(task.Id, [working], new AppendOptions { ExpectedSequence = 2 });

        await Assert.ThrowsAsync<AppendConflictException>(() =>
            store.AppendAsync(task.Id, [working, Chunk(task, "a", "more", append: false)], new AppendOptions { ExpectedSequence = 2 }).AsTask());

        Assert.Equal(2, (await store.GetAsync(task.Id))!.Sequence);
    }

    [StoreTheory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5)]
    public async Task AppendAsync_ExpectedSequenceNotAtTheEnd_ThrowsConflict(long expected)
    {
        var store = Store();
        var task = await CreateAsync(store);

        var conflict = await Assert.ThrowsAsync<AppendConflictException>(() =>
            store.AppendAsync(task.Id, [Status(task, TaskState.Working, T0.AddSeconds(1))], new AppendOptions { ExpectedSequence = expected }).AsTask());

        Assert.Equal(1, conflict.LastSequence);
        Assert.Equal(1, (await store.GetAsync(task.Id))!.Sequence);
    }

    [StoreFact]
    public async Task AppendAsync_ExpectedSequenceOnATerminalTask_IsRefusedAsTerminal()
    {
        var store = Store();
        var task = await CreateAsync(store);
        await store.AppendAsync(task.Id, Status(task, TaskState.Canceled, T0.AddSeconds(1)));

        await Assert.ThrowsAsync<TaskAlreadyTerminalException>(() =>
            store.AppendAsync(task.Id, [Chunk(task, "a", "late", append: false)], new AppendOptions { ExpectedSequence = 3 }).AsTask());
    }
}
