using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Server.Tests.Storage;

/// <summary>Batches: several events, one atomic write.</summary>
public abstract partial class TaskStoreConformanceTests
{
    [StoreFact]
    public async Task AppendAsync_Batch_AssignsConsecutiveSequencesAndFoldsInOrder()
    {
        var store = Store();
        var task = await CreateAsync(store);
        TaskEvent[] batch =
        [
            Status(task, TaskState.Working, T0.AddSeconds(1)),
            Chunk(task, "out", "a", append: false, name: "output"),
            Chunk(task, "out", "b", append: true),
            Chunk(task, "out", "c", append: true, lastChunk: true),
        ];

        var appended = await store.AppendAsync(task.Id, batch);

        Assert.Equal([2L, 3, 4, 5], appended.Select(e => e.Sequence));
        var snapshot = await store.GetAsync(task.Id);
        Assert.Equal(5, snapshot!.Sequence);
        var artifact = Assert.Single(snapshot.Task.Artifacts!);
        Assert.Equal(["a", "b", "c"], artifact.Parts.Select(p => p.Text));
        Assert.Equal("output", artifact.Name);
        Assert.Equal([2L, 3, 4, 5], (await store.ReadAsync(task.Id, 1, 100)).Select(e => e.Sequence));
    }

    [StoreFact]
    public async Task AppendAsync_BatchEndingTerminal_IsAcceptedAndEndsTheTask()
    {
        var store = Store();
        var task = await CreateAsync(store);

        await store.AppendAsync(task.Id, [Chunk(task, "out", "last", append: false), Status(task, TaskState.Completed, T0.AddSeconds(1))]);

        Assert.Equal(TaskState.Completed, (await store.GetAsync(task.Id))!.Task.Status.State);
    }

    [StoreFact]
    public async Task AppendAsync_BatchWithEventsAfterTerminal_IsRefusedWhole()
    {
        var store = Store();
        var task = await CreateAsync(store);

        await Assert.ThrowsAsync<ArgumentException>(() => store.AppendAsync(task.Id,
            [Status(task, TaskState.Completed, T0.AddSeconds(1)), Chunk(task, "out", "after", append: false)]).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => store.AppendAsync(task.Id, Array.Empty<TaskEvent>()).AsTask());

        Assert.Equal(1, (await store.GetAsync(task.Id))!.Sequence);
    }

    [StoreFact]
    public async Task AppendAsync_BatchToTerminalTask_AppendsNothing()
    {
        var store = Store();
        var task = await CreateAsync(store);
        await store.AppendAsync(task.Id, Status(task, TaskState.Canceled, T0.AddSeconds(1)));

        await Assert.ThrowsAsync<TaskAlreadyTerminalException>(() => store.AppendAsync(task.Id,
            [Chunk(task, "out", "a", append: false), Chunk(task, "out", "b", append: true)]).AsTask());

        Assert.Equal(2, (await store.GetAsync(task.Id))!.Sequence);
    }

    [StoreFact]
    public async Task ReadAsync_EventFromStore_KeepsItsExactWireBytes()
    {
        var store = Store();
        var task = await CreateAsync(store);
        var draft = Chunk(task, "out", "h\u00e9llo \"quoted\" \u2603", append: false);
        var appended = await store.AppendAsync(task.Id, draft);

        var read = (await store.ReadAsync(task.Id, 1, 1)).Single();

        Assert.Equal(appended.GetV1Json().ToArray(), read.GetV1Json().ToArray());
        Assert.Equal("h\u00e9llo \"quoted\" \u2603", read.ArtifactUpdate!.Artifact.Parts[0].Text);
    }

    [StoreFact]
    public async Task AppendAsync_BatchReplacingAnArtifactMidway_KeepsOnlyWhatFollowsTheReplace()
    {
        var store = Store();
        var task = await CreateAsync(store);
        await store.AppendAsync(task.Id, [Chunk(task, "out", "old-1", append: false, name: "first"), Chunk(task, "out", "old-2", append: true)]);

        await store.AppendAsync(task.Id,
        [
            Chunk(task, "out", "old-3", append: true),
            Chunk(task, "out", "new-1", append: false, name: "second"),
            Chunk(task, "out", "new-2", append: true),
        ]);
        await store.AppendAsync(task.Id, Chunk(task, "out", "new-3", append: true));

        var artifact = Assert.Single((await store.GetAsync(task.Id))!.Task.Artifacts!);
        Assert.Equal(["new-1", "new-2", "new-3"], artifact.Parts.Select(p => p.Text));
        Assert.Equal("second", artifact.Name);
    }

    [StoreFact]
    public async Task AppendAsync_ChunksCarryingHeaderFields_UpdateTheHeaderAcrossWrites()
    {
        var store = Store();
        var task = await CreateAsync(store);
        await store.AppendAsync(task.Id, Chunk(task, "out", "a", append: false, name: "report"));
        var withMetadata = TaskEvent.ForArtifact(0, new TaskArtifactUpdateEvent
        {
            TaskId = task.Id,
            ContextId = task.ContextId!,
            Artifact = new Artifact
            {
                ArtifactId = "out",
                Description = "the report",
                Parts = [Part.FromText("b")],
                Metadata = new Dictionary<string, System.Text.Json.JsonElement> { ["page"] = System.Text.Json.JsonSerializer.SerializeToElement(2, A2AJsonContext.Default.JsonElement.Options) },
            },
            Append = true,
        }, T0);

        await store.AppendAsync(task.Id, [withMetadata, Chunk(task, "out", "c", append: true)]);

        var artifact = Assert.Single((await store.GetAsync(task.Id))!.Task.Artifacts!);
        Assert.Equal(["a", "b", "c"], artifact.Parts.Select(p => p.Text));
        Assert.Equal("report", artifact.Name);
        Assert.Equal("the report", artifact.Description);
        Assert.Equal(2, artifact.Metadata!["page"].GetInt32());
    }
}
