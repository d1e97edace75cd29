using Herald.Server.Storage;
using Herald.Storage.Sqlite;

namespace Herald.Server.Tests.Storage;

public sealed class SqliteTaskStoreConformanceTests : DurableTaskStoreConformanceTests, IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly Dictionary<TaskStore, string> _paths = [];

    protected override TaskStore CreateStore() => Open(Path.Combine(_directory.Path, Guid.NewGuid().ToString("N") + ".db"));

    protected override TaskStore OpenSecond(TaskStore existing) => Track(Open(_paths[existing]));

    protected override async Task<TaskStore> ReopenAsync(TaskStore existing)
    {
        await ((IAsyncDisposable)existing).DisposeAsync();
        return Track(Open(_paths[existing]));
    }

    /// <summary>Another connection holds the database's write lock: SQLite answers the store's writer SQLITE_BUSY.</summary>
    protected override async Task<IAsyncDisposable> BreakProviderAsync(TaskStore store)
    {
        var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_paths[store]};Pooling=False");
        await connection.OpenAsync();
        await using (var begin = connection.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            await begin.ExecuteNonQueryAsync();
        }

        return new LockHolder(connection);
    }

    public void Dispose() => _directory.Dispose();

    private TaskStore Open(string path)
    {
        // A short busy timeout: a write that meets another connection's lock (BreakProviderAsync) fails after 1 s, not 5.
        var store = SqliteTaskStore.Open(new SqliteStoreOptions { DatabasePath = path, TimeProvider = Clock, BusyTimeout = TimeSpan.FromSeconds(1) });
        _paths[store] = path;
        return store;
    }

    private sealed class LockHolder(Microsoft.Data.Sqlite.SqliteConnection connection) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await using (var rollback = connection.CreateCommand())
            {
                rollback.CommandText = "ROLLBACK";
                await rollback.ExecuteNonQueryAsync();
            }

            await connection.DisposeAsync();
        }
    }
}
