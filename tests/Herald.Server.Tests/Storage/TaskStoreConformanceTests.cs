using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Server.Tests.Storage;

/// <summary>
/// The rules every <see cref="TaskStore"/> follows. Each store gets a subclass that says how to make
/// one. Only the public store API is used, and every test works on its own task ids and context ids,
/// so a durable store may share one database between tests.
/// </summary>
public abstract partial class TaskStoreConformanceTests : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly List<TaskStore> _stores = [];

    /// <summary>The clock every store of a test decides lease expiry by; it moves only when the test advances it.</summary>
    protected Microsoft.Extensions.Time.Testing.FakeTimeProvider Clock { get; } = new(T0.AddMinutes(10));

    /// <summary>A store for one test, on <see cref="Clock"/>; disposed (when disposable) after the test.</summary>
    protected abstract TaskStore CreateStore();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            switch (store)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync();
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
    }

    // ---- create ----

    [StoreFact]
    public async Task CreateAsync_NewTask_ReturnsCreatedEventWithSequenceOne()
    {
        var store = Store();
        var task = NewTask();

        var created = await store.CreateAsync(task);

        Assert.Equal(1, created.Sequence);
        Assert.Equal(TaskEventKind.Created, created.Kind);
        Assert.Equal(task.Id, created.CreatedTask?.Id);
        var snapshot = await store.GetAsync(task.Id);
        Assert.NotNull(snapshot);
        Assert.Equal(1, snapshot.Sequence);
        Assert.Equal(TaskState.Submitted, snapshot.Task.Status.State);
        Assert.Equal(task.ContextId, snapshot.Task.ContextId);
        var events = await store.ReadAsync(task.Id, 0, 100);
        var only = Assert.Single(events);
        Assert.Equal(1, only.Sequence);
        Assert.Equal(TaskEventKind.Created, only.Kind);
    }

    [StoreFact]
    public async Task CreateAsync_DuplicateId_ThrowsAndKeepsOriginal()
    {
        var store = Store();
        var task = NewTask();
        await store.CreateAsync(task);
        await store.AppendAsync(task.Id, Status(task, TaskState.Working, T0.AddSeconds(1)));

        var error = await Assert.ThrowsAsync<TaskAlreadyExistsException>(() => store.CreateAsync(task with { ContextId = "other" }).AsTask());
        Assert.Equal(task.Id, error.TaskId);

        var snapshot = await store.GetAsync(task.Id);
        Assert.Equal(2, snapshot!.Sequence);
        Assert.Equal(task.ContextId, snapshot.Task.ContextId);
        Assert.Equal(TaskState.Working, snapshot.Task.Status.State);
    }

    [StoreFact]
    public async Task CreateAsync_WithFirstMessage_PutsItInHistory()
    {
        var store = Store();
        var message = Message.UserText("first") with { MessageId = "m-1" };
        var task = NewTask(message: message);

        await store.CreateAsync(task);

        var snapshot = await store.GetAsync(task.Id);
        var history = Assert.Single(snapshot!.Task.History!);
        Assert.Equal("m-1", history.MessageId);
        Assert.Equal("first", history.GetText());
    }

    // ---- append ----

    [StoreFact]
    public async Task AppendAsync_SeveralEvents_AssignsConsecutiveSequencesFromTwo()
    {
        var store = Store();
        var task = await CreateAsync(store);

        var sequences = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            var appended = await store.AppendAsync(task.Id, Chunk(task, "a", $"c{i}", append: i > 0));
            sequences.Add(appended.Sequence);
        }

        Assert.Equal([2L, 3, 4, 5, 6], sequences);
    }

    [StoreFact]
    public async Task AppendAsync_ReturnsEventWithDraftContent()
    {
        var store = Store();
        var task = await CreateAsync(store);
        var draft = Status(task, TaskState.Working, T0.AddSeconds(3), Message.AgentText("busy"));

        var appended = await store.AppendAsync(task.Id, draft);

        Assert.Equal(2, appended.Sequence);
        Assert.Equal(TaskEventKind.Status, appended.Kind);
        Assert.Equal(TaskState.Working, appended.StatusUpdate!.Status.State);
        Assert.Equal("busy", appended.StatusUpdate.Status.Message!.GetText());
    }

    [StoreFact]
    public async Task AppendAsync_ConcurrentAppendersOnSeveralTasks_EachLogIsOneToNWithoutGaps()
    {
        const int tasks = 6;
        const int appendersPerTask = 4;
        const int appendsPerAppender = 50;
        var store = Store();
        var created = new List<AgentTask>();
        for (var t = 0; t < tasks; t++)
        {
            created.Add(await CreateAsync(store));
        }

        var appenders = new List<Task<List<long>>>();
        foreach (var task in created)
        {
            for (var a = 0; a < appendersPerTask; a++)
            {
                var appender = a;
                appenders.Add(Task.Run(async () =>
                {
                    var got = new List<long>();
                    for (var i = 0; i < appendsPerAppender; i++)
                    {
                        var e = await store.AppendAsync(task.Id, Chunk(task, $"art-{appender}", $"{appender}:{i}", append: i > 0));
                        got.Add(e.Sequence);
                    }

                    return got;
                }));
            }
        }

        var results = await Task.WhenAll(appenders).WaitAsync(TimeSpan.FromSeconds(30));

        const int perTask = appendersPerTask * appendsPerAppender;
        for (var t = 0; t < tasks; t++)
        {
            var returned = results.Skip(t * appendersPerTask).Take(appendersPerTask).SelectMany(r => r).Order().ToList();
            Assert.Equal(Enumerable.Range(2, perTask).Select(i => (long)i), returned);

            var events = await store.ReadAsync(created[t].Id, 0, perTask + 10);
            Assert.Equal(Enumerable.Range(1, perTask + 1).Select(i => (long)i), events.Select(e => e.Sequence));

            var snapshot = await store.GetAsync(created[t].Id);
            Assert.Equal(perTask + 1, snapshot!.Sequence);

            // Each appender's chunks stay in the order it appended them.
            foreach (var artifact in snapshot.Task.Artifacts!)
            {
                var appender = artifact.ArtifactId["art-".Length..];
                Assert.Equal(Enumerable.Range(0, appendsPerAppender).Select(i => $"{appender}:{i}"), artifact.Parts.Select(p => p.Text));
            }
        }
    }

    [StoreTheory]
    [InlineData(TaskState.Completed)]
    [InlineData(TaskState.Failed)]
    [InlineData(TaskState.Canceled)]
    [InlineData(TaskState.Rejected)]
    public async Task AppendAsync_AfterTerminalStatus_ThrowsAndAppendsNothing(TaskState terminal)
    {
        var store = Store();
        var task = await CreateAsync(store);
        await store.AppendAsync(task.Id, Status(task, terminal, T0.AddSeconds(1)));

        var statusError = await Assert.ThrowsAsync<TaskAlreadyTerminalException>(() => store.AppendAsync(task.Id, Status(task, TaskState.Working, T0.AddSeconds(2))).AsTask());
        await Assert.ThrowsAsync<TaskAlreadyTerminalException>(() => store.AppendAsync(task.Id, Chunk(task, "a", "late", append: false)).AsTask());

        Assert.Equal(task.Id, statusError.TaskId);
        Assert.Equal(terminal, statusError.State);
        var events = await store.ReadAsync(task.Id, 0, 100);
        Assert.Equal([1L, 2], events.Select(e => e.Sequence));
        var snapshot = await store.GetAsync(task.Id);
        Assert.Equal(2, snapshot!.Sequence);
        Assert.Equal(terminal, snapshot.Task.Status.State);
        Assert.Empty(snapshot.Task.Artifacts ?? []);
    }

    [StoreTheory]
    [InlineData(TaskState.InputRequired)]
    [InlineData(TaskState.AuthRequired)]
    public async Task AppendAsync_AfterInterruptedStatus_IsAccepted(TaskState interrupted)
    {
        var store = Store();
        var task = await CreateAsync(store);
        await store.AppendAsync(task.Id, Status(task, interrupted, T0.AddSeconds(1)));

        var message = await store.AppendAsync(task.Id, TaskEvent.ForMessage(0, Message.UserText("more") with { TaskId = task.Id }, T0.AddSeconds(2)));
        var working = await store.AppendAsync(task.Id, Status(task, TaskState.Working, T0.AddSeconds(3)));

        Assert.Equal(3, message.Sequence);
        Assert.Equal(4, working.Sequence);
    }

    // ---- unknown task ----

    [StoreFact]
    public async Task AppendAsync_UnknownTask_ThrowsTaskNotFound()
    {
        var store = Store();
        var ghost = NewTask();

        var error = await Assert.ThrowsAsync<A2AException>(() => store.AppendAsync(ghost.Id, Status(ghost, TaskState.Working, T0)).AsTask());

        Assert.Equal(A2AErrorCodes.TaskNotFound, error.Code);
        Assert.Null(await store.GetAsync(ghost.Id));
    }

    [StoreFact]
    public async Task ReadAsync_UnknownTask_ThrowsTaskNotFound()
    {
        var store = Store();

        var error = await Assert.ThrowsAsync<A2AException>(() => store.ReadAsync(Guid.NewGuid().ToString(), 0, 10).AsTask());

        Assert.Equal(A2AErrorCodes.TaskNotFound, error.Code);
    }

    [StoreFact]
    public async Task GetAsync_UnknownTask_ReturnsNull()
    {
        var store = Store();

        Assert.Null(await store.GetAsync(Guid.NewGuid().ToString()));
    }

    // ---- read ----

    [StoreFact]
    public async Task ReadAsync_AfterPosition_ReturnsExactlyLaterEventsInOrderHonouringMax()
    {
        var store = Store();
        var task = await CreateAsync(store);
        for (var i = 0; i < 9; i++)
        {
            await store.AppendAsync(task.Id, Chunk(task, "a", $"c{i}", append: i > 0));
        }

        var all = await store.ReadAsync(task.Id, 0, 100);
        var afterThree = await store.ReadAsync(task.Id, 3, 100);
        var twoAfterThree = await store.ReadAsync(task.Id, 3, 2);
        var first = await store.ReadAsync(task.Id, 0, 1);
        var last = await store.ReadAsync(task.Id, 9, 100);

        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), all.Select(e => e.Sequence));
        Assert.Equal(Enumerable.Range(4, 7).Select(i => (long)i), afterThree.Select(e => e.Sequence));
        Assert.Equal(["c2", "c3", "c4", "c5", "c6", "c7", "c8"], afterThree.Select(e => e.ArtifactUpdate!.Artifact.Parts[0].Text));
        Assert.Equal([4L, 5], twoAfterThree.Select(e => e.Sequence));
        Assert.Equal([1L], first.Select(e => e.Sequence));
        Assert.Equal([10L], last.Select(e => e.Sequence));
    }

    [StoreTheory]
    [InlineData(3L)]
    [InlineData(4L)]
    [InlineData(1000L)]
    [InlineData(long.MaxValue)]
    public async Task ReadAsync_AtOrBeyondEnd_ReturnsEmpty(long after)
    {
        var store = Store();
        var task = await CreateAsync(store);
        await store.AppendAsync(task.Id, Status(task, TaskState.Working, T0.AddSeconds(1)));
        await store.AppendAsync(task.Id, Status(task, TaskState.Working, T0.AddSeconds(2)));

        var events = await store.ReadAsync(task.Id, after, 10);

        Assert.Empty(events);
    }

    [StoreFact]
    public async Task ReadAsync_EventsOfEveryKind_RoundTripTheirContent()
    {
        var store = Store();
        var task = await CreateAsync(store);
        var userMessage = Message.UserText("follow-up") with { MessageId = "u-2", TaskId = task.Id, ContextId = task.ContextId };
        await store.AppendAsync(task.Id, Status(task, TaskState.InputRequired, T0.AddSeconds(1), Message.AgentText("name?") with { MessageId = "a-1" }));
        await store.AppendAsync(task.Id, TaskEvent.ForMessage(0, userMessage, T0.AddSeconds(2)));
        await store.AppendAsync(task.Id, Chunk(task, "report", "part one", append: false, lastChunk: false, name: "Report"));
        await store.AppendAsync(task.Id, Chunk(task, "report", "part two", append: true, lastChunk: true));

        var events = await store.ReadAsync(task.Id, 0, 10);

        Assert.Equal(
            [TaskEventKind.Created, TaskEventKind.Status, TaskEventKind.Message, TaskEventKind.Artifact, TaskEventKind.Artifact],
            events.Select(e => e.Kind));
        Assert.Equal(task.Id, events[0].CreatedTask!.Id);
        Assert.Equal(TaskState.InputRequired, events[1].StatusUpdate!.Status.State);
        Assert.Equal("a-1", events[1].StatusUpdate!.Status.Message!.MessageId);
        Assert.Equal(T0.AddSeconds(1), events[1].StatusUpdate!.Status.Timestamp);
        Assert.Equal("u-2", events[2].Message!.MessageId);
        Assert.Equal("follow-up", events[2].Message!.GetText());
        var firstChunk = events[3].ArtifactUpdate!;
        Assert.Equal("report", firstChunk.Artifact.ArtifactId);
        Assert.Equal("Report", firstChunk.Artifact.Name);
        Assert.NotEqual(true, firstChunk.Append);
        Assert.NotEqual(true, firstChunk.LastChunk);
        var secondChunk = events[4].ArtifactUpdate!;
        Assert.Equal("part two", secondChunk.Artifact.Parts[0].Text);
        Assert.True(secondChunk.Append);
        Assert.True(secondChunk.LastChunk);
    }

    // ---- get (the fold) ----

    [StoreFact]
    public async Task GetAsync_AfterEvents_ReflectsTheFold()
    {
        var store = Store();
        var first = Message.UserText("do it") with { MessageId = "u-1" };
        var task = await CreateAsync(store, message: first);
        await store.AppendAsync(task.Id, Status(task, TaskState.Working, T0.AddSeconds(1), Message.AgentText("on it") with { MessageId = "a-1" }));
        await store.AppendAsync(task.Id, Chunk(task, "out", "Hello", append: false, name: "Output"));
        await store.AppendAsync(task.Id, Chunk(task, "out", ", ", append: true));
        await store.AppendAsync(task.Id, Chunk(task, "other", "x", append: false));
        await store.AppendAsync(task.Id, Chunk(task, "out", "world", append: true, lastChunk: true));
        var last = await store.AppendAsync(task.Id, Status(task, TaskState.Completed, T0.AddSeconds(5), Message.AgentText("done") with { MessageId = "a-2" }));

        var snapshot = await store.GetAsync(task.Id);

        Assert.NotNull(snapshot);
        Assert.Equal(last.Sequence, snapshot.Sequence);
        Assert.Equal(7, snapshot.Sequence);
        Assert.Equal(TaskState.Completed, snapshot.Task.Status.State);
        Assert.Equal(T0.AddSeconds(5), snapshot.Task.Status.Timestamp);
        Assert.Equal("done", snapshot.Task.Status.Message!.GetText());
        Assert.Equal(["out", "other"], snapshot.Task.Artifacts!.Select(a => a.ArtifactId));
        var output = snapshot.Task.Artifacts![0];
        Assert.Equal("Output", output.Name);
        Assert.Equal(["Hello", ", ", "world"], output.Parts.Select(p => p.Text));
        Assert.Equal(["u-1", "a-1", "a-2"], snapshot.Task.History!.Select(m => m.MessageId));
    }

    [StoreFact]
    public async Task GetAsync_HistoryLength_ZeroNoneNRecentNullAll()
    {
        var store = Store();
        var task = await CreateAsync(store, message: Message.UserText("m0") with { MessageId = "m0" });
        for (var i = 1; i <= 4; i++)
        {
            await store.AppendAsync(task.Id, TaskEvent.ForMessage(0, Message.UserText($"m{i}") with { MessageId = $"m{i}", TaskId = task.Id }, T0.AddSeconds(i)));
        }

        var none = await store.GetAsync(task.Id, historyLength: 0);
        var two = await store.GetAsync(task.Id, historyLength: 2);
        var more = await store.GetAsync(task.Id, historyLength: 50);
        var all = await store.GetAsync(task.Id, historyLength: null);

        Assert.Empty(none!.Task.History ?? []);
        Assert.Equal(["m3", "m4"], two!.Task.History!.Select(m => m.MessageId));
        Assert.Equal(["m0", "m1", "m2", "m3", "m4"], more!.Task.History!.Select(m => m.MessageId));
        Assert.Equal(["m0", "m1", "m2", "m3", "m4"], all!.Task.History!.Select(m => m.MessageId));
    }

    [StoreFact]
    public async Task GetAsync_IncludeArtifactsFalse_ReturnsNullArtifacts()
    {
        var store = Store();
        var task = await CreateAsync(store);
        await store.AppendAsync(task.Id, Chunk(task, "a", "x", append: false));

        var without = await store.GetAsync(task.Id, includeArtifacts: false);
        var with = await store.GetAsync(task.Id, includeArtifacts: true);

        Assert.Null(without!.Task.Artifacts);
        Assert.Single(with!.Task.Artifacts!);
        Assert.Equal(without.Sequence, with.Sequence);
    }

    [StoreFact]
    public async Task GetAsync_ArtifactWithoutAppend_ReplacesEarlierOneWithSameId()
    {
        var store = Store();
        var task = await CreateAsync(store);
        await store.AppendAsync(task.Id, Chunk(task, "a", "old", append: false, name: "Old"));
        await store.AppendAsync(task.Id, Chunk(task, "a", "more", append: true));
        await store.AppendAsync(task.Id, Chunk(task, "a", "new", append: false, name: "New"));

        var snapshot = await store.GetAsync(task.Id);

        var artifact = Assert.Single(snapshot!.Task.Artifacts!);
        Assert.Equal("New", artifact.Name);
        Assert.Equal(["new"], artifact.Parts.Select(p => p.Text));
    }

    [StoreFact]
    public async Task GetAsync_EarlierSnapshot_IsNotChangedByLaterAppends()
    {
        var store = Store();
        var task = await CreateAsync(store);
        await store.AppendAsync(task.Id, Chunk(task, "a", "one", append: false));
        var before = await store.GetAsync(task.Id);

        await store.AppendAsync(task.Id, Chunk(task, "a", "two", append: true));
        await store.AppendAsync(task.Id, Status(task, TaskState.Completed, T0.AddSeconds(9)));

        Assert.Equal(2, before!.Sequence);
        Assert.Equal(TaskState.Submitted, before.Task.Status.State);
        Assert.Equal(["one"], before.Task.Artifacts!.Single().Parts.Select(p => p.Text));
    }

    // ---- wait ----

    [StoreFact]
    public async Task WaitForEventsAsync_EventsAlreadyAfterPosition_Completes()
    {
        var store = Store();
        var task = await CreateAsync(store);
        await store.AppendAsync(task.Id, Status(task, TaskState.Working, T0.AddSeconds(1)));

        await store.WaitForEventsAsync(task.Id, 0).Within();
        await store.WaitForEventsAsync(task.Id, 1).Within();
    }

    [StoreFact]
    public async Task WaitForEventsAsync_AppendLaterFromAnotherTask_Completes()
    {
        var store = Store();
        var task = await CreateAsync(store);
        var wait = store.WaitForEventsAsync(task.Id, 1).AsTask();
        Assert.False(wait.IsCompleted);

        await Task.Run(async () => await store.AppendAsync(task.Id, Status(task, TaskState.Working, T0.AddSeconds(1))));

        await wait.Within();
        var events = await store.ReadAsync(task.Id, 1, 10);
        Assert.Equal([2L], events.Select(e => e.Sequence));
    }

    [StoreFact]
    public async Task WaitForEventsAsync_SeveralWaiters_AllWokenByOneAppend()
    {
        var store = Store();
        var task = await CreateAsync(store);
        var waits = Enumerable.Range(0, 5).Select(_ => store.WaitForEventsAsync(task.Id, 1).AsTask()).ToArray();

        await store.AppendAsync(task.Id, Status(task, TaskState.Working, T0.AddSeconds(1)));

        await Task.WhenAll(waits).Within();
    }

    [StoreFact]
    public async Task WaitForEventsAsync_AppendToAnotherTask_DoesNotComplete()
    {
        var store = Store();
        var watched = await CreateAsync(store);
        var other = await CreateAsync(store);
        var wait = store.WaitForEventsAsync(watched.Id, 1).AsTask();

        await store.AppendAsync(other.Id, Status(other, TaskState.Working, T0.AddSeconds(1)));

        Assert.False(wait.IsCompleted);
        await store.AppendAsync(watched.Id, Status(watched, TaskState.Working, T0.AddSeconds(2)));
        await wait.Within();
    }

    [StoreFact]
    public async Task WaitForEventsAsync_Canceled_ThrowsOperationCanceled()
    {
        var store = Store();
        var task = await CreateAsync(store);
        using var cts = new CancellationTokenSource();
        var wait = store.WaitForEventsAsync(task.Id, 1, cts.Token).AsTask();
        Assert.False(wait.IsCompleted);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.Within());
    }

    // ---- list ----

    [StoreFact]
    public async Task ListAsync_ByContextId_ReturnsOnlyThatContextNewestStatusFirst()
    {
        var store = Store();
        var context = NewContextId();
        var oldest = await CreateAsync(store, context, T0);
        var middle = await CreateAsync(store, context, T0.AddSeconds(1));
        var newest = await CreateAsync(store, context, T0.AddSeconds(2));
        await CreateAsync(store, NewContextId(), T0.AddSeconds(3));

        // An update moves a task to the front: the order is by status timestamp.
        await store.AppendAsync(oldest.Id, Status(oldest, TaskState.Working, T0.AddSeconds(10)));

        var page = await store.ListAsync(new TaskQuery { ContextId = context, PageSize = 10 });

        Assert.Equal([oldest.Id, newest.Id, middle.Id], page.Tasks.Select(t => t.Id));
        Assert.Equal(3, page.TotalSize);
        Assert.Null(page.Next);
    }

    [StoreFact]
    public async Task ListAsync_ByState_ReturnsOnlyTasksInThatState()
    {
        var store = Store();
        var context = NewContextId();
        var working = await CreateAsync(store, context, T0);
        var done = await CreateAsync(store, context, T0);
        await CreateAsync(store, context, T0);
        await store.AppendAsync(working.Id, Status(working, TaskState.Working, T0.AddSeconds(1)));
        await store.AppendAsync(done.Id, Status(done, TaskState.Completed, T0.AddSeconds(1)));

        var page = await store.ListAsync(new TaskQuery { ContextId = context, State = TaskState.Working, PageSize = 10 });

        var only = Assert.Single(page.Tasks);
        Assert.Equal(working.Id, only.Id);
        Assert.Equal(1, page.TotalSize);
    }

    [StoreFact]
    public async Task ListAsync_StatusTimestampAfter_ReturnsOnlyStrictlyLaterTasks()
    {
        var store = Store();
        var context = NewContextId();
        await CreateAsync(store, context, T0);
        await CreateAsync(store, context, T0.AddSeconds(5));
        var later = await CreateAsync(store, context, T0.AddSeconds(6));

        var page = await store.ListAsync(new TaskQuery { ContextId = context, StatusTimestampAfter = T0.AddSeconds(5), PageSize = 10 });

        Assert.Equal([later.Id], page.Tasks.Select(t => t.Id));
        Assert.Equal(1, page.TotalSize);
    }

    [StoreFact]
    public async Task ListAsync_PagedWithCursor_VisitsEveryTaskOnceInOrder()
    {
        var store = Store();
        var context = NewContextId();
        var expected = new List<(DateTimeOffset Timestamp, string Id)>();

        // Several tasks share a timestamp, so the cursor must break ties.
        for (var i = 0; i < 11; i++)
        {
            var at = T0.AddSeconds(i / 3);
            var task = await CreateAsync(store, context, at);
            expected.Add((at, task.Id));
        }

        var seen = new List<string>();
        var pages = 0;
        TaskCursor? cursor = null;
        do
        {
            var page = await store.ListAsync(new TaskQuery { ContextId = context, PageSize = 4, After = cursor });
            Assert.Equal(11, page.TotalSize);
            Assert.True(page.Tasks.Count <= 4);
            Assert.NotEmpty(page.Tasks);
            seen.AddRange(page.Tasks.Select(t => t.Id));
            cursor = page.Next;
            pages++;
            Assert.True(pages <= 3, "Paging did not end.");
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Equal(expected.Select(e => e.Id).Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));

        // Newest status first across the pages.
        var timestamps = seen.Select(id => expected.Single(e => e.Id == id).Timestamp).ToList();
        Assert.Equal(timestamps.OrderDescending(), timestamps);
    }

    [StoreFact]
    public async Task ListAsync_PageExactlyFull_LastPageHasNoNextCursor()
    {
        var store = Store();
        var context = NewContextId();
        for (var i = 0; i < 4; i++)
        {
            await CreateAsync(store, context, T0.AddSeconds(i));
        }

        var first = await store.ListAsync(new TaskQuery { ContextId = context, PageSize = 2 });
        var second = await store.ListAsync(new TaskQuery { ContextId = context, PageSize = 2, After = first.Next });

        Assert.NotNull(first.Next);
        Assert.Equal(2, second.Tasks.Count);
        Assert.Null(second.Next);
    }

    [StoreFact]
    public async Task ListAsync_NoMatch_ReturnsEmptyPage()
    {
        var store = Store();
        await CreateAsync(store);

        var page = await store.ListAsync(new TaskQuery { ContextId = NewContextId(), PageSize = 5 });

        Assert.Empty(page.Tasks);
        Assert.Equal(0, page.TotalSize);
        Assert.Null(page.Next);
    }

    [StoreFact]
    public async Task ListAsync_IncludeArtifactsAndHistoryLength_ShapeEachTask()
    {
        var store = Store();
        var context = NewContextId();
        var task = await CreateAsync(store, context, T0, Message.UserText("m0") with { MessageId = "m0" });
        await store.AppendAsync(task.Id, Status(task, TaskState.Working, T0.AddSeconds(1), Message.AgentText("m1") with { MessageId = "m1" }));
        await store.AppendAsync(task.Id, Chunk(task, "a", "x", append: false));

        var without = await store.ListAsync(new TaskQuery { ContextId = context, PageSize = 5, IncludeArtifacts = false, HistoryLength = 1 });
        var with = await store.ListAsync(new TaskQuery { ContextId = context, PageSize = 5, IncludeArtifacts = true, HistoryLength = 0 });

        Assert.Null(without.Tasks.Single().Artifacts);
        Assert.Equal(["m1"], without.Tasks.Single().History!.Select(m => m.MessageId));
        Assert.Single(with.Tasks.Single().Artifacts!);
        Assert.Empty(with.Tasks.Single().History ?? []);
    }

    // ---- helpers ----

    protected TaskStore Store() => Track(CreateStore());

    /// <summary>Disposes <paramref name="store"/> (when disposable) after the test.</summary>
    protected TaskStore Track(TaskStore store)
    {
        _stores.Add(store);
        return store;
    }

    protected static string NewContextId() => "ctx-" + Guid.NewGuid().ToString("N");

    protected static AgentTask NewTask(string? contextId = null, DateTimeOffset? at = null, Message? message = null)
    {
        var id = Guid.NewGuid().ToString();
        contextId ??= NewContextId();
        return new AgentTask
        {
            Id = id,
            ContextId = contextId,
            Status = new AgentTaskStatus { State = TaskState.Submitted, Timestamp = at ?? T0 },
            History = message is null ? null : [message with { TaskId = id, ContextId = contextId }],
        };
    }

    protected static async Task<AgentTask> CreateAsync(TaskStore store, string? contextId = null, DateTimeOffset? at = null, Message? message = null)
    {
        var task = NewTask(contextId, at, message);
        await store.CreateAsync(task);
        return task;
    }

    protected static TaskEvent Status(AgentTask task, TaskState state, DateTimeOffset at, Message? message = null)
    {
        var update = new TaskStatusUpdateEvent
        {
            TaskId = task.Id,
            ContextId = task.ContextId!,
            Status = new AgentTaskStatus { State = state, Timestamp = at, Message = message },
        };
        return TaskEvent.ForStatus(0, update, at);
    }

    protected static TaskEvent Chunk(AgentTask task, string artifactId, string text, bool append, bool lastChunk = false, string? name = null)
    {
        var update = new TaskArtifactUpdateEvent
        {
            TaskId = task.Id,
            ContextId = task.ContextId!,
            Artifact = new Artifact { ArtifactId = artifactId, Name = name, Parts = [Part.FromText(text)] },
            Append = append ? true : null,
            LastChunk = lastChunk ? true : null,
        };
        return TaskEvent.ForArtifact(0, update, T0);
    }
}
