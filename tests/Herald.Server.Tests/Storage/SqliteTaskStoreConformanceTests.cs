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

    public void Dispose() => _directory.Dispose();

    private TaskStore Open(string path)
    {
        var store = SqliteTaskStore.Open(new SqliteStoreOptions { DatabasePath = path, TimeProvider = Clock });
        _paths[store] = path;
        return store;
    }
}
