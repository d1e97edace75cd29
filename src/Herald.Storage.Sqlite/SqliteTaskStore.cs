using Herald.Server.Storage;

namespace Herald.Storage.Sqlite;

/// <summary>Opens SQLite task stores.</summary>
public static class SqliteTaskStore
{
    /// <summary>
    /// Opens (creating when missing) the database of <paramref name="options"/> and returns a store on it.
    /// Dispose the store (it is <see cref="IAsyncDisposable"/>) to release the file.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another process uses the database, or it is not a Herald database of a known version.</exception>
    public static TaskStore Open(SqliteStoreOptions options) => SqliteStore.Open(options);

    /// <summary>Opens the database at <paramref name="databasePath"/> with default options.</summary>
    public static TaskStore Open(string databasePath) => SqliteStore.Open(new SqliteStoreOptions { DatabasePath = databasePath });
}
