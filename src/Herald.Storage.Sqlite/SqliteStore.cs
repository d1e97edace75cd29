using System.Collections.Concurrent;
using Herald.Protocol;
using Herald.Server.Storage;
using Microsoft.Data.Sqlite;

namespace Herald.Storage.Sqlite;

/// <summary>
/// The embedded durable store: one SQLite database file in WAL mode. Writes go through one
/// group-committing writer; reads use a small pool of read connections; wake-ups are signaled in process
/// after each commit. One process uses a database at a time (a lock file says so); when a process opens
/// a database, the leases left in it by a process that died are marked expired, so the engine fails those
/// tasks with a reason at start-up instead of leaving their subscribers waiting.
/// </summary>
internal sealed class SqliteStore : TaskStore, IAsyncDisposable
{
    private const int MaxReaders = 8;

    private readonly SqliteDatabase _database;
    private readonly SqliteWriter _writer;
    private readonly string _connectionString;
    private readonly TimeProvider _time;
    private readonly ConcurrentBag<SqliteReader> _idle = [];
    private readonly SemaphoreSlim _readers = new(MaxReaders, MaxReaders);
    private int _disposed;

    private SqliteStore(SqliteDatabase database, SqliteWriter writer, string connectionString, TimeProvider time)
    {
        _database = database;
        _writer = writer;
        _connectionString = connectionString;
        _time = time;
        database.Appended += NotifyEventsAppended;
    }

    public static SqliteStore Open(SqliteStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.DatabasePath))
        {
            throw new ArgumentException("SqliteStoreOptions.DatabasePath must name a file.", nameof(options));
        }

        if (options.MaxDatabaseBytes is < 64 * 1024)
        {
            throw new ArgumentException($"SqliteStoreOptions.MaxDatabaseBytes must be at least 64 KiB when set; it is {options.MaxDatabaseBytes}.", nameof(options));
        }

        if (options.MaxGroupCommit < 1)
        {
            throw new ArgumentException($"SqliteStoreOptions.MaxGroupCommit must be at least 1; it is {options.MaxGroupCommit}.", nameof(options));
        }

        var path = Path.GetFullPath(options.DatabasePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
        }.ToString();

        var database = SqliteDatabase.Acquire(path, out var first);
        SqliteConnection? connection = null;
        try
        {
            connection = new SqliteConnection(connectionString);
            connection.Open();
            Pragma(connection, "journal_mode = WAL");
            Pragma(connection, options.Durability == SqliteDurability.Full ? "synchronous = FULL" : "synchronous = NORMAL");
            Pragma(connection, $"busy_timeout = {(long)options.BusyTimeout.TotalMilliseconds}");
            SqliteSchema.Ensure(connection, path);
            if (options.MaxDatabaseBytes is { } maxBytes)
            {
                // A quota on the file: past it, writes fail with SQLITE_FULL exactly as on a full disk (transient).
                var pageSize = (long)Scalar(connection, "PRAGMA page_size")!;
                Pragma(connection, $"max_page_count = {Math.Max(1, maxBytes / pageSize)}");
            }

            if (first)
            {
                // No other process can have been using the file since we got its lock: every lease in it is a dead runner's.
                using var recovery = new SqliteWriteContext(connection);
                recovery.ExpireAllLeases();
            }

            var writer = new SqliteWriter(connection, database, options.MaxGroupCommit, options.MaxQueuedWrites);
            return new SqliteStore(database, writer, connectionString, options.TimeProvider ?? TimeProvider.System);
        }
        catch
        {
            connection?.Dispose();
            database.Release();
            throw;
        }
    }

    public override async ValueTask<TaskEvent> CreateAsync(AgentTask task, RunnerLease? lease = null, TaskTraceContext? traceContext = null, TaskOwner? owner = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        return await _writer.Run(c => c.Create(task, lease, null, traceContext, owner, Now()), cancellationToken).ConfigureAwait(false);
    }

    public override async ValueTask<TaskEvent> CreatePendingAsync(AgentTask task, ReadOnlyMemory<byte> run, TaskTraceContext? traceContext = null, TaskOwner? owner = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        var bytes = RunBytes(run);
        var created = await _writer.Run(c => c.Create(task, null, bytes, traceContext, owner, Now()), cancellationToken).ConfigureAwait(false);
        NotifyRunsRecorded();
        return created;
    }

    public override async ValueTask<ContinueResult> ContinuePendingAsync(string taskId, TaskEvent message, ReadOnlyMemory<byte> run, long? expectedGeneration = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var bytes = RunBytes(run);
        var result = await _writer.Run(c => c.Continue(taskId, message, null, bytes, expectedGeneration, Now()), cancellationToken).ConfigureAwait(false);
        if (result.Outcome == ContinueOutcome.Continued)
        {
            NotifyRunsRecorded();
        }

        return result;
    }

    public override async ValueTask<ClaimedRun?> ClaimRunAsync(RunnerLease lease, CancellationToken cancellationToken = default) =>
        await _writer.Run(c => c.Claim(lease, Now()), cancellationToken).ConfigureAwait(false);

    public override async ValueTask<bool> StartRunAsync(string taskId, string owner, CancellationToken cancellationToken = default) =>
        await _writer.Run(c => c.Start(taskId, owner, Now()), cancellationToken).ConfigureAwait(false);

    private static byte[] RunBytes(ReadOnlyMemory<byte> run) =>
        run.IsEmpty ? throw new ArgumentException("A run to do is recorded with at least one byte.", nameof(run)) : run.ToArray();

    public override async ValueTask<IReadOnlyList<TaskEvent>> AppendAsync(string taskId, IReadOnlyList<TaskEvent> drafts, AppendOptions options = default, CancellationToken cancellationToken = default)
    {
        ValidateBatch(drafts);

        // Not canceled once queued: the outcome of a write that may already be committed must not be lost.
        return await _writer.Run(c => c.Append(taskId, drafts, options, HoldsDrafts), cancellationToken).ConfigureAwait(false);
    }

    public override async ValueTask<ContinueResult> ContinueAsync(string taskId, TaskEvent message, RunnerLease lease, long? expectedGeneration = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return await _writer.Run(c => c.Continue(taskId, message, lease, null, expectedGeneration, Now()), cancellationToken).ConfigureAwait(false);
    }

    public override async ValueTask<bool> RenewLeaseAsync(string taskId, string owner, TimeSpan duration, CancellationToken cancellationToken = default) =>
        await _writer.Run(c => c.Renew(taskId, owner, Now() + duration), cancellationToken).ConfigureAwait(false);

    /// <summary>Every lease in one write (one transaction).</summary>
    public override async ValueTask<IReadOnlyList<string>> RenewLeasesAsync(IReadOnlyList<LeaseRenewal> leases, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(leases);
        return await _writer.Run<IReadOnlyList<string>>(c =>
        {
            var expiresAt = Now() + duration;
            List<string>? refused = null;
            foreach (var lease in leases)
            {
                if (!c.Renew(lease.TaskId, lease.Owner, expiresAt))
                {
                    (refused ??= []).Add(lease.TaskId);
                }
            }

            return refused ?? (IReadOnlyList<string>)[];
        }, cancellationToken).ConfigureAwait(false);
    }

    public override ValueTask<IReadOnlyList<string>> FindExpiredLeasesAsync(int maxCount, CancellationToken cancellationToken = default) =>
        ReadAsync(r => r.ExpiredLeases(Now(), maxCount), cancellationToken);

    public override async ValueTask<TaskEvent?> AppendIfLeaseExpiredAsync(string taskId, TaskEvent draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        return await _writer.Run(c => c.AppendIfLeaseExpired(taskId, draft, Now()), cancellationToken).ConfigureAwait(false);
    }

    public override async ValueTask<int> DeleteEndedAsync(DateTimeOffset endedBefore, int maxCount, CancellationToken cancellationToken = default) =>
        await _writer.Run(c => c.DeleteEnded(endedBefore, maxCount), cancellationToken).ConfigureAwait(false);

    public override ValueTask<TaskSnapshot?> GetAsync(string taskId, int? historyLength = null, bool includeArtifacts = true, CancellationToken cancellationToken = default) =>
        ReadAsync(r => r.Snapshot(taskId, historyLength, includeArtifacts), cancellationToken);

    public override ValueTask<IReadOnlyList<TaskEvent>> ReadAsync(string taskId, long afterSequence, int maxCount, CancellationToken cancellationToken = default) =>
        ReadAsync(r => r.ReadEvents(taskId, Math.Max(0, afterSequence), maxCount), cancellationToken);

    public override async ValueTask WaitForEventsAsync(string taskId, long afterSequence, CancellationToken cancellationToken = default)
    {
        // The signal is taken before the check: a commit after the check completes it, so no wake-up is missed.
        var signal = _database.WaitSignal(taskId);
        var last = await ReadAsync(r => r.LastSequence(taskId), cancellationToken).ConfigureAwait(false);
        if (last is null || last > afterSequence)
        {
            return; // gone (the caller's next read says so), or already there
        }

        await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async ValueTask SavePushConfigAsync(string taskId, TaskPushNotificationConfig config, long? afterSequence = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        await _writer.Run(c =>
        {
            c.SavePushConfig(taskId, config, afterSequence);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    public override async ValueTask<TaskPushNotificationConfig?> GetPushConfigAsync(string taskId, string configId, CancellationToken cancellationToken = default) =>
        (await ReadAsync(r => r.PushConfigs(taskId, configId), cancellationToken).ConfigureAwait(false)) is [var config, ..] ? config : null;

    public override ValueTask<IReadOnlyList<TaskPushNotificationConfig>> ListPushConfigsAsync(string taskId, CancellationToken cancellationToken = default) =>
        ReadAsync(r => r.PushConfigs(taskId, null), cancellationToken);

    public override async ValueTask<bool> DeletePushConfigAsync(string taskId, string configId, CancellationToken cancellationToken = default) =>
        await _writer.Run(c => c.DeletePushConfig(taskId, configId), cancellationToken).ConfigureAwait(false);

    public override async ValueTask<IReadOnlyList<PushDeliveryClaim>> ClaimPushDeliveriesAsync(string owner, TimeSpan lease, int maxCount, CancellationToken cancellationToken = default) =>
        await _writer.Run(c => c.ClaimPushDeliveries(owner, lease, maxCount, Now()), cancellationToken).ConfigureAwait(false);

    public override async ValueTask<bool> AdvancePushCursorAsync(string taskId, string configId, string owner, long cursor, TimeSpan lease, CancellationToken cancellationToken = default) =>
        await _writer.Run(c => c.AdvancePushCursor(taskId, configId, owner, cursor, lease, Now()), cancellationToken).ConfigureAwait(false);

    public override async ValueTask<bool> ReleasePushDeliveryAsync(string taskId, string configId, string owner, PushDeliveryOutcome outcome, CancellationToken cancellationToken = default) =>
        await _writer.Run(c => c.ReleasePushDelivery(taskId, configId, owner, outcome, Now()), cancellationToken).ConfigureAwait(false);

    public override ValueTask<TaskPage> ListAsync(TaskQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return ReadAsync(r => r.List(query), cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _database.Appended -= NotifyEventsAppended;
        await _writer.DisposeAsync().ConfigureAwait(false);
        for (var i = 0; i < MaxReaders; i++)
        {
            await _readers.WaitAsync().ConfigureAwait(false);
        }

        while (_idle.TryTake(out var reader))
        {
            reader.Dispose();
        }

        _readers.Dispose();
        _database.Release();
    }

    private async ValueTask<T> ReadAsync<T>(Func<SqliteReader, T> read, CancellationToken cancellationToken)
    {
        await _readers.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!_idle.TryTake(out var reader))
        {
            var connection = new SqliteConnection(_connectionString);
            try
            {
                connection.Open();
                Pragma(connection, "query_only = true");
                reader = new SqliteReader(connection);
            }
            catch (Exception ex)
            {
                connection.Dispose();
                _readers.Release();
                throw SqliteFaults.IsTransient(ex) ? SqliteFaults.Unavailable(ex, write: false) : ex;
            }
        }

        try
        {
            return read(reader);
        }
        catch (SqliteException ex)
        {
            // A connection in an unknown state is not put back.
            reader.Dispose();
            reader = null;
            if (SqliteFaults.IsTransient(ex))
            {
                throw SqliteFaults.Unavailable(ex, write: false);
            }

            throw;
        }
        finally
        {
            if (reader is not null)
            {
                _idle.Add(reader);
            }

            _readers.Release();
        }
    }

    private DateTimeOffset Now() => _time.GetUtcNow();

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static void Pragma(SqliteConnection connection, string pragma)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA " + pragma;
        command.ExecuteNonQuery();
    }
}
