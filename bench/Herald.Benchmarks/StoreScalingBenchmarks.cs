using BenchmarkDotNet.Attributes;
using Herald.Protocol;
using Herald.Server.Storage;
using Herald.Storage.Sqlite;

namespace Herald.Benchmarks;

/// <summary>
/// The SQLite store's fold is relational: appending chunks inserts rows and never rewrites the task or
/// the artifact, so a write costs the same whether the task already holds 1,000 chunks or 100,000.
/// One operation = one durable write of 100 chunks (synchronous=NORMAL, so that the figure is the
/// store's work, not the disk's sync).
/// </summary>
[MemoryDiagnoser]
public class SqliteAppendScalingBenchmarks
{
    private const int BatchSize = 100;

    private string _directory = null!;
    private TaskStore _store = null!;
    private TaskEvent[] _batch = null!;

    [Params(1_000, 100_000)]
    public int ChunksAlready { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _directory = Path.Combine(Path.GetTempPath(), "herald-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        _store = SqliteTaskStore.Open(new SqliteStoreOptions { DatabasePath = Path.Combine(_directory, "bench.db"), Durability = SqliteDurability.Normal });
        await _store.CreateAsync(Fixtures.NewTask());
        var first = true;
        for (var done = 0; done < ChunksAlready; done += 1000)
        {
            var fill = Enumerable.Range(done + 1, Math.Min(1000, ChunksAlready - done)).Select(i => Fixtures.ArtifactChunk(i, append: !first || i > 1)).ToArray();
            first = false;
            await _store.AppendAsync(Fixtures.TaskId, fill);
        }

        _batch = Enumerable.Range(1, BatchSize).Select(i => Fixtures.ArtifactChunk(i)).ToArray();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await ((IAsyncDisposable)_store).DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark]
    public ValueTask<IReadOnlyList<TaskEvent>> Append100Chunks() => _store.AppendAsync(Fixtures.TaskId, _batch);
}

/// <summary>
/// ListTasks reads an index range (keyset paging), never every task: a page costs the same at 100 tasks
/// and at 100,000, in memory and on SQLite. Each operation reads one page of 50 (no history, no artifacts),
/// the first one or one from the middle of the list (by its cursor).
/// </summary>
[MemoryDiagnoser]
public class ListPageScalingBenchmarks
{
    private string? _directory;
    private TaskStore _store = null!;
    private TaskCursor _middle = null!;

    [Params(100, 100_000)]
    public int Tasks { get; set; }

    [Params("memory", "sqlite")]
    public string Store { get; set; } = "memory";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        if (Store == "sqlite")
        {
            _directory = Path.Combine(Path.GetTempPath(), "herald-bench-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_directory);
            _store = SqliteTaskStore.Open(new SqliteStoreOptions { DatabasePath = Path.Combine(_directory, "bench.db"), Durability = SqliteDurability.Normal });
        }
        else
        {
            _store = TaskStore.CreateInMemory();
        }

        // Created concurrently in waves, so that the SQLite store's group commit takes them many per write.
        var start = DateTimeOffset.UnixEpoch;
        for (var done = 0; done < Tasks; done += 500)
        {
            await Task.WhenAll(Enumerable.Range(done, Math.Min(500, Tasks - done)).Select(i => _store.CreateAsync(new AgentTask
            {
                Id = $"task-{i:D7}",
                ContextId = $"ctx-{i % 100}",
                Status = new AgentTaskStatus { State = TaskState.Completed, Timestamp = start.AddSeconds(i) },
            }).AsTask()));
        }

        var page = await _store.ListAsync(new TaskQuery { PageSize = Tasks / 2 });
        var last = page.Tasks[^1];
        _middle = new TaskCursor(last.Status.Timestamp!.Value, last.Id);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_store is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }

        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Benchmark]
    public ValueTask<TaskPage> FirstPage() => _store.ListAsync(new TaskQuery { PageSize = 50 });

    [Benchmark]
    public ValueTask<TaskPage> PageFromTheMiddle() => _store.ListAsync(new TaskQuery { PageSize = 50, After = _middle });
}
