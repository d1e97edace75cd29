using Npgsql;

namespace Herald.Storage.Postgres;

/// <summary>How the PostgreSQL store reaches its database.</summary>
public sealed class PostgresStoreOptions
{
    /// <summary>
    /// An Npgsql connection string (<c>Host=...;Database=...;Username=...</c>). Ignored when <see cref="DataSource"/> is set.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// A data source the host built (for example with Npgsql's OpenTelemetry tracing); the store uses it and leaves its
    /// disposal to the host. When null, the store builds one from <see cref="ConnectionString"/> and disposes it.
    /// </summary>
    public NpgsqlDataSource? DataSource { get; set; }

    /// <summary>
    /// The clock runner leases expire by. When null (production), expiry is decided by the database's clock
    /// (<c>clock_timestamp()</c>), the one clock every replica shares; set it only to control time in tests.
    /// </summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>How long the wake-up listener waits before reconnecting after its connection dropped (doubling up to 30 s).</summary>
    public TimeSpan ListenRetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Most write operations committed together in one transaction (one commit for appends to many tasks at once).</summary>
    public int MaxGroupCommit { get; set; } = 128;

    /// <summary>
    /// About how many bytes of events one transaction carries at most; a write larger than this still goes, alone.
    /// </summary>
    public long MaxGroupCommitBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// Most write operations waiting for the writer. A caller that finds the queue full waits for room (and can give up
    /// through its cancellation token), so a store whose database has fallen behind costs bounded memory.
    /// </summary>
    public int MaxQueuedWrites { get; set; } = 4096;
}
