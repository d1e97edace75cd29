using Herald.Server.Storage;

namespace Herald.Storage.Postgres;

/// <summary>Opens PostgreSQL task stores.</summary>
public static class PostgresTaskStore
{
    /// <summary>
    /// Connects to the database of <paramref name="options"/>, creates or migrates Herald's tables in it (once, whatever
    /// the number of replicas starting at the same time), and returns a store on it. Several stores, in one process or
    /// many, may share a database. Dispose the store (it is <see cref="IAsyncDisposable"/>) to close its connections.
    /// </summary>
    /// <exception cref="InvalidOperationException">The database holds a Herald schema newer than this Herald's.</exception>
    /// <exception cref="TaskStoreUnavailableException">The database cannot be reached.</exception>
    public static TaskStore Open(PostgresStoreOptions options) => PostgresStore.Open(options);

    /// <summary>Opens the database named by an Npgsql <paramref name="connectionString"/> with default options.</summary>
    public static TaskStore Open(string connectionString) => PostgresStore.Open(new PostgresStoreOptions { ConnectionString = connectionString });
}
