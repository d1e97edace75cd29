using Herald.Protocol;
using Herald.Server.Storage;
using Herald.Storage.Sqlite;

namespace Herald.Server.Tests.Storage;

/// <summary>
/// The SQLite store's fault model: what its provider throws on a full disk reaches callers as
/// <see cref="TaskStoreUnavailableException"/>, the failed write leaves nothing behind, reads go on, and the
/// store works again once space is freed. A size limit on the file stands in for the disk (the same SQLITE_FULL).
/// </summary>
public sealed class SqliteFaultTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task AppendAsync_DatabaseFull_ThrowsUnavailableWritesNothingAndRecoversOnceSpaceIsFreed()
    {
        await using var store = (SqliteStore)SqliteTaskStore.Open(new SqliteStoreOptions
        {
            DatabasePath = Path.Combine(_directory.Path, "full.db"),
            MaxDatabaseBytes = 256 * 1024,
            Durability = SqliteDurability.Normal,
        });
        var filler = NewTask();
        await store.CreateAsync(filler);
        var task = NewTask();
        await store.CreateAsync(task);

        // Fill the file with one task's chunks until a write fails.
        TaskStoreUnavailableException? full = null;
        for (var i = 0; i < 10_000 && full is null; i++)
        {
            try
            {
                await store.AppendAsync(filler.Id, Chunk(filler, new string('x', 4096)));
            }
            catch (TaskStoreUnavailableException ex)
            {
                full = ex;
            }
        }

        Assert.NotNull(full);
        Assert.True(TaskStore.IsTransient(full));
        Assert.False(full.MayHaveCommitted);
        Assert.Contains("full", full.Message, StringComparison.OrdinalIgnoreCase);

        // The other task's write fails the same way, leaves nothing behind, and reads still work.
        var before = (await store.GetAsync(task.Id))!.Sequence;
        await Assert.ThrowsAsync<TaskStoreUnavailableException>(() =>
            store.AppendAsync(task.Id, [Chunk(task, new string('y', 64 * 1024))], new AppendOptions { ExpectedSequence = before + 1 }).AsTask());
        Assert.Equal(before, (await store.GetAsync(task.Id))!.Sequence);
        Assert.Equal(before, (await store.ReadAsync(task.Id, 0, 100)).Count);

        // Space comes back (the filler task ends and retention deletes it): the same write, retried, succeeds once.
        await EndAndDeleteAsync(store, filler);
        var retried = await store.AppendAsync(task.Id, [Chunk(task, new string('y', 64 * 1024))], new AppendOptions { ExpectedSequence = before + 1 });
        Assert.Equal(before + 1, retried.Single().Sequence);
        Assert.Equal(before + 1, (await store.ReadAsync(task.Id, 0, 100)).Count);
    }

    [Fact]
    public async Task Open_MaxDatabaseBytesTooSmall_IsRefusedWithTheOptionName()
    {
        var error = Assert.Throws<ArgumentException>(() => SqliteTaskStore.Open(new SqliteStoreOptions
        {
            DatabasePath = Path.Combine(_directory.Path, "tiny.db"),
            MaxDatabaseBytes = 1024,
        }));

        Assert.Contains("MaxDatabaseBytes", error.Message, StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    private static async Task EndAndDeleteAsync(TaskStore store, AgentTask task)
    {
        // Ending the task is itself a write into a full file, so it may have to wait for the delete; delete first
        // through retention once it ends. A small status fits in the pages SQLite keeps free for the log's own use.
        await store.AppendAsync(task.Id, TaskEvent.ForStatus(0, new TaskStatusUpdateEvent
        {
            TaskId = task.Id,
            ContextId = task.ContextId!,
            Status = new AgentTaskStatus { State = TaskState.Completed, Timestamp = DateTimeOffset.UnixEpoch },
        }, DateTimeOffset.UnixEpoch));
        Assert.Equal(1, await store.DeleteEndedAsync(DateTimeOffset.UnixEpoch.AddSeconds(1), 10));
    }

    private static AgentTask NewTask() => new()
    {
        Id = Guid.NewGuid().ToString(),
        ContextId = "ctx",
        Status = new AgentTaskStatus { State = TaskState.Working, Timestamp = DateTimeOffset.UnixEpoch },
    };

    private static TaskEvent Chunk(AgentTask task, string text) => TaskEvent.ForArtifact(0, new TaskArtifactUpdateEvent
    {
        TaskId = task.Id,
        ContextId = task.ContextId!,
        Artifact = new Artifact { ArtifactId = "out", Parts = [Part.FromText(text)] },
        Append = true,
    }, DateTimeOffset.UnixEpoch);
}
