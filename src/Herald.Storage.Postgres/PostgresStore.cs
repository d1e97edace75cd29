using Herald.Protocol;
using Herald.Server.Storage;
using Npgsql;

namespace Herald.Storage.Postgres;

/// <summary>
/// The multi-replica store: every replica (and every store instance) on one PostgreSQL database sees the same tasks,
/// logs and leases. Writes from any task queue to one writer that commits them in groups (<see cref="PostgresWriter"/>),
/// each write locking its task's row, so writers on different replicas take turns per task; wake-ups travel by <c>LISTEN/NOTIFY</c> (<see cref="PostgresWakeups"/>); lease expiry is decided by
/// the database's clock. Closing the store marks the leases it took as expired, so another replica's recovery sweep
/// fails those tasks with a reason at once instead of when the leases would have run out.
/// </summary>
internal sealed class PostgresStore : TaskStore, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly TimeProvider? _time;
    private readonly PostgresWakeups _wakeups;
    private readonly PostgresWriter _writer;
    private readonly Guid _instance = Guid.NewGuid();
    private int _disposed;

    /// <summary>What a write without a payload of its own (a renewal, a claim) counts for in a group's size bound.</summary>
    private const long SmallWriteBytes = 256;

    private PostgresStore(NpgsqlDataSource dataSource, bool ownsDataSource, PostgresStoreOptions options)
    {
        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        _time = options.TimeProvider;
        _wakeups = new PostgresWakeups(dataSource, options.ListenRetryDelay);
        _wakeups.Appended += NotifyEventsAppended;
        _writer = new PostgresWriter(
            dataSource, (connection, transaction) => new PostgresWriteContext(connection, transaction, NowMs(), _instance),
            options.MaxGroupCommit, options.MaxGroupCommitBytes, options.MaxQueuedWrites);
    }

    public static PostgresStore Open(PostgresStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var dataSource = options.DataSource;
        var owns = false;
        if (dataSource is null)
        {
            if (string.IsNullOrWhiteSpace(options.ConnectionString))
            {
                throw new ArgumentException("PostgresStoreOptions needs a ConnectionString or a DataSource.", nameof(options));
            }

            dataSource = NpgsqlDataSource.Create(options.ConnectionString);
            owns = true;
        }

        try
        {
            using (var connection = dataSource.OpenConnection())
            {
                PostgresSchema.Ensure(connection);
            }

            return new PostgresStore(dataSource, owns, options);
        }
        catch (Exception ex)
        {
            if (owns)
            {
                dataSource.Dispose();
            }

            if (PostgresFaults.IsTransient(ex))
            {
                throw PostgresFaults.Unavailable(ex, write: false, mayHaveCommitted: false);
            }

            throw;
        }
    }

    public override ValueTask<TaskEvent> CreateAsync(AgentTask task, RunnerLease? lease = null, TaskTraceContext? traceContext = null, TaskOwner? owner = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        return WriteAsync((c, ct) => c.CreateAsync(task, lease, null, traceContext, owner, ct), cancellationToken);
    }

    public override ValueTask<TaskEvent> CreatePendingAsync(AgentTask task, ReadOnlyMemory<byte> run, TaskTraceContext? traceContext = null, TaskOwner? owner = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        var bytes = RunBytes(run);
        return WriteAsync((c, ct) => c.CreateAsync(task, null, bytes, traceContext, owner, ct), cancellationToken);
    }

    public override async ValueTask SavePushConfigAsync(string taskId, TaskPushNotificationConfig config, long? afterSequence = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        await WriteAsync((c, ct) => c.SavePushConfigAsync(taskId, config, afterSequence, ct), cancellationToken).ConfigureAwait(false);
    }

    public override async ValueTask<TaskPushNotificationConfig?> GetPushConfigAsync(string taskId, string configId, CancellationToken cancellationToken = default) =>
        (await ReadAsync((connection, ct) => PostgresReader.PushConfigsAsync(connection, taskId, configId, ct), cancellationToken).ConfigureAwait(false)) is [var config, ..] ? config : null;

    public override ValueTask<IReadOnlyList<TaskPushNotificationConfig>> ListPushConfigsAsync(string taskId, CancellationToken cancellationToken = default) =>
        ReadAsync((connection, ct) => PostgresReader.PushConfigsAsync(connection, taskId, null, ct), cancellationToken);

    public override ValueTask<bool> DeletePushConfigAsync(string taskId, string configId, CancellationToken cancellationToken = default) =>
        WriteAsync((c, ct) => c.DeletePushConfigAsync(taskId, configId, ct), cancellationToken);

    public override ValueTask<IReadOnlyList<PushDeliveryClaim>> ClaimPushDeliveriesAsync(string owner, TimeSpan lease, int maxCount, CancellationToken cancellationToken = default) =>
        WriteAsync((c, ct) => c.ClaimPushDeliveriesAsync(owner, lease, maxCount, ct), cancellationToken);

    public override ValueTask<bool> AdvancePushCursorAsync(string taskId, string configId, string owner, long cursor, TimeSpan lease, CancellationToken cancellationToken = default) =>
        WriteAsync((c, ct) => c.AdvancePushCursorAsync(taskId, configId, owner, cursor, lease, ct), cancellationToken);

    public override ValueTask<bool> ReleasePushDeliveryAsync(string taskId, string configId, string owner, PushDeliveryOutcome outcome, CancellationToken cancellationToken = default) =>
        WriteAsync((c, ct) => c.ReleasePushDeliveryAsync(taskId, configId, owner, outcome, ct), cancellationToken);

    public override ValueTask<ContinueResult> ContinuePendingAsync(string taskId, TaskEvent message, ReadOnlyMemory<byte> run, long? expectedGeneration = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var bytes = RunBytes(run);
        return WriteAsync((c, ct) => c.ContinueAsync(taskId, message, null, bytes, expectedGeneration, ct), cancellationToken);
    }

    public override ValueTask<ClaimedRun?> ClaimRunAsync(RunnerLease lease, CancellationToken cancellationToken = default) =>
        WriteAsync((c, ct) => c.ClaimAsync(lease, ct), cancellationToken);

    public override ValueTask<bool> StartRunAsync(string taskId, string owner, CancellationToken cancellationToken = default) =>
        WriteAsync((c, ct) => c.StartAsync(taskId, owner, ct), cancellationToken);

    /// <summary>Completes at a notification that a run was recorded (by any replica), or when the listener reconnected.</summary>
    public override async ValueTask WaitForPendingRunsAsync(CancellationToken cancellationToken = default) =>
        await _wakeups.WaitForRunsAsync(cancellationToken).ConfigureAwait(false);

    private static long Bytes(IReadOnlyList<TaskEvent> drafts)
    {
        var bytes = SmallWriteBytes;
        foreach (var draft in drafts)
        {
            bytes += draft.GetV1Json().Length;
        }

        return bytes;
    }

    private static byte[] RunBytes(ReadOnlyMemory<byte> run) =>
        run.IsEmpty ? throw new ArgumentException("A run to do is recorded with at least one byte.", nameof(run)) : run.ToArray();

    public override async ValueTask<IReadOnlyList<TaskEvent>> AppendAsync(string taskId, IReadOnlyList<TaskEvent> drafts, AppendOptions options = default, CancellationToken cancellationToken = default)
    {
        ValidateBatch(drafts);
        return await WriteAsync((c, ct) => c.AppendAsync(taskId, drafts, options, HoldsDrafts, ct), cancellationToken, Bytes(drafts)).ConfigureAwait(false);
    }

    public override ValueTask<ContinueResult> ContinueAsync(string taskId, TaskEvent message, RunnerLease lease, long? expectedGeneration = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return WriteAsync((c, ct) => c.ContinueAsync(taskId, message, lease, null, expectedGeneration, ct), cancellationToken);
    }

    public override ValueTask<bool> RenewLeaseAsync(string taskId, string owner, TimeSpan duration, CancellationToken cancellationToken = default) =>
        WriteAsync((c, ct) => c.RenewAsync(taskId, owner, duration, ct), cancellationToken);

    /// <summary>Every lease in one statement: one round trip per interval for all of a replica's runs.</summary>
    public override ValueTask<IReadOnlyList<string>> RenewLeasesAsync(IReadOnlyList<LeaseRenewal> leases, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(leases);
        return leases.Count == 0
            ? ValueTask.FromResult<IReadOnlyList<string>>([])
            : WriteAsync((c, ct) => c.RenewManyAsync(leases, duration, ct), cancellationToken);
    }

    public override ValueTask<IReadOnlyList<string>> FindExpiredLeasesAsync(int maxCount, CancellationToken cancellationToken = default) =>
        ReadAsync((connection, ct) => PostgresReader.ExpiredLeasesAsync(connection, NowMs(), maxCount, ct), cancellationToken);

    public override ValueTask<TaskEvent?> AppendIfLeaseExpiredAsync(string taskId, TaskEvent draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        return WriteAsync((c, ct) => c.AppendIfLeaseExpiredAsync(taskId, draft, ct), cancellationToken);
    }

    public override ValueTask<int> DeleteEndedAsync(DateTimeOffset endedBefore, int maxCount, CancellationToken cancellationToken = default) =>
        WriteAsync((c, ct) => c.DeleteEndedAsync(endedBefore, maxCount, ct), cancellationToken);

    public override ValueTask<TaskSnapshot?> GetAsync(string taskId, int? historyLength = null, bool includeArtifacts = true, CancellationToken cancellationToken = default) =>
        ReadAsync((connection, ct) => PostgresReader.SnapshotAsync(connection, taskId, historyLength, includeArtifacts, ct), cancellationToken);

    public override ValueTask<IReadOnlyList<TaskEvent>> ReadAsync(string taskId, long afterSequence, int maxCount, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<TaskEvent>>(async (connection, ct) =>
        {
            var events = await PostgresReader.ReadEventsAsync(connection, null, taskId, Math.Max(0, afterSequence), maxCount, ct).ConfigureAwait(false);
            if (events.Count == 0 && await PostgresReader.LastSequenceAsync(connection, taskId, ct).ConfigureAwait(false) is null)
            {
                throw A2AException.TaskNotFound(taskId);
            }

            return events;
        }, cancellationToken);

    public override async ValueTask WaitForEventsAsync(string taskId, long afterSequence, CancellationToken cancellationToken = default)
    {
        await _wakeups.Listening.WaitAsync(cancellationToken).ConfigureAwait(false);
        while (true)
        {
            // Registered before the check: a notification after the check completes it, so no wake-up is missed.
            using var registration = _wakeups.Register(taskId);
            var last = await ReadAsync((connection, ct) => PostgresReader.LastSequenceAsync(connection, taskId, ct), cancellationToken).ConfigureAwait(false);
            if (last is null || last > afterSequence)
            {
                return; // gone (the caller's next read says so), or already there
            }

            await registration.Woken.WaitAsync(cancellationToken).ConfigureAwait(false);

            // A notification is delivered after its commit, so one for what the check above already saw (the waiter's
            // own create, say) can arrive now: it is no news, and the wait goes on (checked again, as a newer one may
            // have come between the wake-up and the next registration).
            if (registration.Reached is not { } reached || reached > afterSequence)
            {
                return;
            }
        }
    }

    public override ValueTask<TaskPage> ListAsync(TaskQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return ReadAsync((connection, ct) => PostgresReader.ListAsync(connection, query, ct), cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _wakeups.DisposeAsync().ConfigureAwait(false);
        try
        {
            // This instance's runners are gone with it: their tasks become orphans now, for any replica's sweep to fail.
            await WriteAsync((c, ct) => c.ExpireLeasesOfAsync(ct), CancellationToken.None).ConfigureAwait(false);
        }
        catch (TaskStoreUnavailableException)
        {
            // The database is away: the leases run out by themselves.
        }

        await _writer.DisposeAsync().ConfigureAwait(false);

        if (_ownsDataSource)
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    private long? NowMs() => _time is null ? null : StoredForms.ToMs(_time.GetUtcNow());

    /// <summary>Transactions the writer committed so far (tests compare it with the writes they made).</summary>
    internal long Commits => _writer.Commits;

    /// <summary>A write through the writer: committed in a group with the writes queued with it.</summary>
    private ValueTask<T> WriteAsync<T>(Func<PostgresWriteContext, CancellationToken, ValueTask<T>> write, CancellationToken cancellationToken, long bytes = SmallWriteBytes) =>
        _writer.RunAsync(write, bytes, cancellationToken);

    private async ValueTask<T> ReadAsync<T>(Func<NpgsqlConnection, CancellationToken, ValueTask<T>> read, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                return await read(connection, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (PostgresFaults.IsTransient(ex))
        {
            throw PostgresFaults.Unavailable(ex, write: false, mayHaveCommitted: false);
        }
    }
}
