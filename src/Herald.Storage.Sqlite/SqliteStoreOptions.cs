namespace Herald.Storage.Sqlite;

/// <summary>How the SQLite store keeps its data.</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>The database file; created (with its schema) when missing. Relative paths are from the working directory.</summary>
    public string DatabasePath { get; set; } = "herald.db";

    /// <summary>
    /// When a commit counts as done. <see cref="SqliteDurability.Full"/> (the default) syncs the write-ahead log
    /// to disk on every commit: nothing acknowledged is lost, even on power loss. <see cref="SqliteDurability.Normal"/>
    /// syncs only at checkpoints: nothing is lost when the process dies, but the last commits can be lost when the
    /// machine loses power. Commits are grouped either way, so this mostly changes latency, not throughput.
    /// </summary>
    public SqliteDurability Durability { get; set; } = SqliteDurability.Full;

    /// <summary>How long a write waits for another connection's lock before failing.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Most write operations committed together in one transaction.</summary>
    public int MaxGroupCommit { get; set; } = 256;

    /// <summary>
    /// Most write operations waiting for the writer. A caller that finds the queue full waits for room (and can give
    /// up through its cancellation token), so a store that has fallen behind (a slow or full disk) costs bounded memory.
    /// </summary>
    public int MaxQueuedWrites { get; set; } = 4096;

    /// <summary>
    /// A size limit for the database file, in bytes (SQLite's <c>max_page_count</c>); null for none. Past it, writes fail
    /// as on a full disk: transiently, until retention frees pages.
    /// </summary>
    public long? MaxDatabaseBytes { get; set; }

    /// <summary>The clock runner leases expire by; when null, the <see cref="TimeProvider"/> registered with the host (or the system clock).</summary>
    public TimeProvider? TimeProvider { get; set; }
}

/// <summary>The SQLite <c>synchronous</c> setting, in Herald's terms.</summary>
public enum SqliteDurability
{
    /// <summary>Sync the write-ahead log on every commit (<c>PRAGMA synchronous=FULL</c>).</summary>
    Full = 0,

    /// <summary>Sync at checkpoints only (<c>PRAGMA synchronous=NORMAL</c>): safe against process death, not power loss.</summary>
    Normal = 1,
}
