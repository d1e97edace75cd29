using Herald.Protocol;
using Herald.Protocol.Folding;
using Herald.Server.Storage;
using Npgsql;

namespace Herald.Storage.Postgres;

/// <summary>
/// One write of a group transaction: the task's row is read <c>FOR UPDATE</c> (so concurrent writers on any replica take turns
/// on a task and sequences have no gaps or doubles), the events are applied to the relational fold in memory, and
/// every write they cause (log rows, history, artifact and part rows, the task's row, the wake-up notification) is
/// queued and sent in one batch (<see cref="PostgresWriter"/> commits several writes in one transaction, each after a
/// savepoint of its own): an append costs two round trips in its group whatever its size.
/// </summary>
internal sealed class PostgresWriteContext(NpgsqlConnection connection, NpgsqlTransaction transaction, long? nowMs, Guid holder) : IAsyncDisposable
{
    private readonly NpgsqlBatch _batch = new(connection, transaction);
    private readonly Dictionary<string, long> _touched = new(StringComparer.Ordinal);
    private bool _runRecorded;

    public async ValueTask<TaskEvent> CreateAsync(AgentTask task, RunnerLease? lease, byte[]? run, TaskTraceContext? traceContext, TaskOwner? owner, CancellationToken cancellationToken)
    {
        var status = task.Status;
        var timestamp = status.Timestamp ?? DateTimeOffset.UtcNow;
        var created = TaskEvent.Created(0, task, timestamp).WithTraceContext(traceContext).Sequenced(1, 0);
        var ended = status.State.IsTerminal() ? StoredForms.ToMs(timestamp) : (long?)null;
        await using (var insert = Command(
            "INSERT INTO tasks (task_id, context_id, state, status_ms, status_json, metadata_json, last_seq, generation, history_count, artifact_count, " +
            "ended_ms, lease_owner, lease_expires_ms, lease_holder, trace_parent, trace_state, owner, tenant) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, 0, 0, $8, $9, " +
            $"CASE WHEN $9::text IS NULL THEN NULL ELSE {PostgresCodec.Now(10)} + $11 END, $12, $13, $14, $15, $16) ON CONFLICT (task_id) DO NOTHING",
            task.Id, task.ContextId ?? "", (int)status.State, StoredForms.ToMs(timestamp), StoredForms.Encode(status, A2AJsonContext.Default.AgentTaskStatus),
            task.Metadata is null ? null : StoredForms.Encode(task.Metadata, A2AJsonContext.Default.DictionaryStringJsonElement),
            created.Generation, ended, lease?.Owner, nowMs, lease is { } l ? (long)l.Duration.TotalMilliseconds : 0L, lease is null ? null : holder,
            traceContext?.TraceParent, traceContext?.TraceState, owner?.Principal ?? "", owner?.Tenant ?? ""))
        {
            if (await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                throw new TaskAlreadyExistsException(task.Id);
            }
        }

        var row = new TaskRow(task.Id) { State = status.State, StatusMs = StoredForms.ToMs(timestamp), LastSeq = 1, Generation = created.Generation, EndedMs = ended };
        row.Appended.Add(created);
        var artifacts = new Dictionary<string, ArtifactRow>(StringComparer.Ordinal);
        foreach (var message in task.History ?? [])
        {
            ApplyDelta(row, EventFold.Message(message), timestamp);
        }

        foreach (var artifact in task.Artifacts ?? [])
        {
            var stored = await FindArtifactAsync(row, artifacts, artifact.ArtifactId, cancellationToken).ConfigureAwait(false);
            ApplyArtifact(row, artifacts, stored, EventFold.Artifact(artifact, stored is not null));
        }

        SaveRow(row, artifacts, LeaseChange.None);
        RecordRun(task.Id, run);
        return created;
    }

    public async ValueTask<TaskEvent[]> AppendAsync(
        string taskId, IReadOnlyList<TaskEvent> drafts, AppendOptions options, Func<IReadOnlyList<TaskEvent>, IReadOnlyList<TaskEvent>, long, bool> holdsDrafts, CancellationToken cancellationToken)
    {
        var row = await LoadRowAsync(taskId, cancellationToken).ConfigureAwait(false) ?? throw A2AException.TaskNotFound(taskId);
        if (options.ExpectedSequence is { } expected)
        {
            // Idempotency first: a retry of a write that committed (and perhaps ended the task) finds its own events.
            if (expected >= 1 && expected <= row.LastSeq)
            {
                var stored = await PostgresReader.ReadEventsAsync(connection, transaction, taskId, expected - 1, drafts.Count, cancellationToken).ConfigureAwait(false);
                if (holdsDrafts(stored, drafts, expected))
                {
                    return [.. stored];
                }
            }

            if (expected != row.LastSeq + 1)
            {
                throw new AppendConflictException(taskId, expected, row.LastSeq);
            }
        }

        if (row.State.IsTerminal())
        {
            throw new TaskAlreadyTerminalException(taskId, row.State);
        }

        if (options.LeaseOwner is { } owner && !string.Equals(owner, row.LeaseOwner, StringComparison.Ordinal))
        {
            throw new LeaseLostException(taskId, owner);
        }

        var artifacts = new Dictionary<string, ArtifactRow>(StringComparer.Ordinal);
        var appended = new TaskEvent[drafts.Count];
        for (var i = 0; i < appended.Length; i++)
        {
            appended[i] = await ApplyAsync(row, artifacts, drafts[i], cancellationToken).ConfigureAwait(false);
        }

        if (options.ReleaseLease)
        {
            row.LeaseOwner = null;
        }

        SaveRow(row, artifacts, row.LeaseOwner is null ? LeaseChange.Clear : LeaseChange.None);
        return appended;
    }

    public async ValueTask<ContinueResult> ContinueAsync(string taskId, TaskEvent message, RunnerLease? lease, byte[]? run, long? expectedGeneration, CancellationToken cancellationToken)
    {
        var row = await LoadRowAsync(taskId, cancellationToken).ConfigureAwait(false);
        if (row is null)
        {
            return new ContinueResult(ContinueOutcome.NotFound, TaskState.Unspecified, null);
        }

        // In the in-memory store's order: not found, terminal, generation, lease.
        var state = row.State;
        if (state.IsTerminal())
        {
            return new ContinueResult(ContinueOutcome.Terminal, state, null, row.Generation);
        }

        if (expectedGeneration is { } expected && expected != row.Generation)
        {
            return new ContinueResult(ContinueOutcome.GenerationMismatch, state, null, row.Generation);
        }

        if ((row.LeaseOwner is not null && row.LeaseExpiresMs > row.NowMs) || await HasRunAsync(taskId, cancellationToken).ConfigureAwait(false))
        {
            return new ContinueResult(ContinueOutcome.Leased, state, null, row.Generation);
        }

        // Without a lease, the run is recorded to be claimed, and a lease that expired after its turn paused is cleared.
        row.LeaseOwner = lease?.Owner;
        row.LeaseExpiresMs = lease is { } l ? row.NowMs + (long)l.Duration.TotalMilliseconds : null;
        var artifacts = new Dictionary<string, ArtifactRow>(StringComparer.Ordinal);
        var appended = await ApplyAsync(row, artifacts, message, cancellationToken).ConfigureAwait(false);
        SaveRow(row, artifacts, row.LeaseOwner is null ? LeaseChange.Clear : LeaseChange.Take);
        if (message.TraceContext is { } trace)
        {
            Queue("UPDATE tasks SET trace_parent = $1, trace_state = $2 WHERE task_id = $3", trace.TraceParent, trace.TraceState, taskId);
        }

        RecordRun(taskId, run);
        return new ContinueResult(ContinueOutcome.Continued, state, appended, appended.Generation);
    }

    public async ValueTask<bool> RenewAsync(string taskId, string owner, TimeSpan duration, CancellationToken cancellationToken)
    {
        // Never moves the expiry back: two renewals in flight at once (the test clock's "now" is taken before the row
        // lock) leave the later expiry, as one writer applying them in order would.
        await using var renew = Command(
            $"UPDATE tasks SET lease_expires_ms = GREATEST(lease_expires_ms, {PostgresCodec.Now(1)} + $2), lease_holder = $3 WHERE task_id = $4 AND lease_owner = $5 AND ended_ms IS NULL",
            nowMs, (long)duration.TotalMilliseconds, holder, taskId, owner);
        return await renew.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <summary>Renews the leases still held by their owners in one statement; returns the task ids that were not renewed.</summary>
    public async ValueTask<IReadOnlyList<string>> RenewManyAsync(IReadOnlyList<LeaseRenewal> leases, TimeSpan duration, CancellationToken cancellationToken)
    {
        var ids = new string[leases.Count];
        var owners = new string[leases.Count];
        for (var i = 0; i < leases.Count; i++)
        {
            (ids[i], owners[i]) = (leases[i].TaskId, leases[i].Owner);
        }

        await using var renew = Command(
            $"UPDATE tasks AS t SET lease_expires_ms = GREATEST(t.lease_expires_ms, {PostgresCodec.Now(1)} + $2), lease_holder = $3 " +
            "FROM unnest($4::text[], $5::text[]) AS r(task_id, owner) " +
            "WHERE t.task_id = r.task_id COLLATE \"C\" AND t.lease_owner = r.owner AND t.ended_ms IS NULL RETURNING t.task_id",
            nowMs, (long)duration.TotalMilliseconds, holder, ids, owners);
        var renewed = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await renew.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                renewed.Add(reader.GetString(0));
            }
        }

        return [.. ids.Where(id => !renewed.Contains(id))];
    }

    /// <summary>
    /// Takes the lease on the oldest claimable run's task: rows other claimers have locked are skipped, not waited for, and
    /// the conditions are checked again on the locked row, so two claimers never both win.
    /// </summary>
    public async ValueTask<ClaimedRun?> ClaimAsync(RunnerLease lease, CancellationToken cancellationToken)
    {
        await using var claim = Command(
            "WITH c AS (SELECT t.task_id, p.run FROM pending_runs p JOIN tasks t ON t.task_id = p.task_id " +
            $"WHERE t.ended_ms IS NULL AND (t.lease_owner IS NULL OR t.lease_expires_ms <= {PostgresCodec.Now(1)}) " +
            "ORDER BY p.run_order LIMIT 1 FOR UPDATE OF t SKIP LOCKED) " +
            $"UPDATE tasks AS t SET lease_owner = $2, lease_expires_ms = {PostgresCodec.Now(1)} + $3, lease_holder = $4 FROM c WHERE t.task_id = c.task_id " +
            "RETURNING t.task_id, c.run",
            nowMs, lease.Owner, (long)lease.Duration.TotalMilliseconds, holder);
        await using var reader = await claim.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new ClaimedRun(reader.GetString(0), reader.GetFieldValue<byte[]>(1))
            : null;
    }

    /// <summary>Keeps a push configuration (see <see cref="TaskStore.SavePushConfigAsync"/>); its cursor starts after the task's last event unless told.</summary>
    public async ValueTask<bool> SavePushConfigAsync(string taskId, TaskPushNotificationConfig config, long? afterSequence, CancellationToken cancellationToken)
    {
        // The task's row, locked: its last sequence is the one this write sees (with what this batch appended to it).
        var row = await LoadRowAsync(taskId, cancellationToken).ConfigureAwait(false) ?? throw A2AException.TaskNotFound(taskId);
        Queue("INSERT INTO push_configs (task_id, config_id, config_json, cursor) VALUES ($1, $2, $3, $4) " +
            "ON CONFLICT (task_id, config_id) DO UPDATE SET config_json = excluded.config_json, attempts = 0, next_attempt_ms = 0, failing_since_ms = NULL, last_error = NULL",
            taskId, config.Id, StoredForms.Encode(config, A2AJsonContext.Default.TaskPushNotificationConfig), afterSequence ?? row.LastSeq);
        return true;
    }

    public async ValueTask<bool> DeletePushConfigAsync(string taskId, string configId, CancellationToken cancellationToken)
    {
        await using var delete = Command("DELETE FROM push_configs WHERE task_id = $1 AND config_id = $2", taskId, configId);
        return await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    public async ValueTask<IReadOnlyList<PushDeliveryClaim>> ClaimPushDeliveriesAsync(string owner, TimeSpan lease, int maxCount, CancellationToken cancellationToken)
    {
        // Configs another replica is claiming at the same moment are skipped, not waited for.
        await using var claim = Command(
            "WITH c AS (SELECT p.config_order FROM push_configs p JOIN tasks t ON t.task_id = p.task_id " +
            $"WHERE p.cursor < t.last_seq AND p.failing_since_ms IS NULL AND p.next_attempt_ms <= {PostgresCodec.Now(1)} " +
            $"AND (p.lease_owner IS NULL OR p.lease_expires_ms <= {PostgresCodec.Now(1)}) ORDER BY p.config_order LIMIT $2 FOR UPDATE OF p SKIP LOCKED) " +
            $"UPDATE push_configs AS p SET lease_owner = $3, lease_expires_ms = {PostgresCodec.Now(1)} + $4 FROM c WHERE p.config_order = c.config_order " +
            "RETURNING p.config_order, p.task_id, p.config_json, p.cursor, p.attempts",
            nowMs, (long)maxCount, owner, (long)lease.TotalMilliseconds);
        var claimed = new List<(long Order, PushDeliveryClaim Claim)>();
        await using (var reader = await claim.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var config = StoredForms.Decode(reader.GetFieldValue<byte[]>(2), A2AJsonContext.Default.TaskPushNotificationConfig);
                claimed.Add((reader.GetInt64(0), new PushDeliveryClaim(reader.GetString(1), config, reader.GetInt64(3), reader.GetInt32(4))));
            }
        }

        claimed.Sort((a, b) => a.Order.CompareTo(b.Order));
        return [.. claimed.Select(c => c.Claim)];
    }

    public async ValueTask<bool> AdvancePushCursorAsync(string taskId, string configId, string owner, long cursor, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var advance = Command(
            $"UPDATE push_configs SET cursor = GREATEST(cursor, $2), attempts = 0, lease_expires_ms = {PostgresCodec.Now(1)} + $3 " +
            $"WHERE task_id = $4 AND config_id = $5 AND lease_owner = $6 AND lease_expires_ms > {PostgresCodec.Now(1)}",
            nowMs, cursor, (long)lease.TotalMilliseconds, taskId, configId, owner);
        return await advance.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    public async ValueTask<bool> ReleasePushDeliveryAsync(string taskId, string configId, string owner, PushDeliveryOutcome outcome, CancellationToken cancellationToken)
    {
        await using var release = Command(
            $"UPDATE push_configs SET lease_owner = NULL, lease_expires_ms = NULL, attempts = $2, next_attempt_ms = {PostgresCodec.Now(1)} + $3, last_error = $4, " +
            $"failing_since_ms = CASE WHEN $5 THEN {PostgresCodec.Now(1)} ELSE NULL END " +
            $"WHERE task_id = $6 AND config_id = $7 AND lease_owner = $8 AND lease_expires_ms > {PostgresCodec.Now(1)}",
            nowMs, outcome.Attempts, (long)outcome.RetryAfter.TotalMilliseconds, outcome.Error, outcome.Failing, taskId, configId, owner);
        return await release.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    public async ValueTask<bool> StartAsync(string taskId, string owner, CancellationToken cancellationToken)
    {
        await using var start = Command(
            "DELETE FROM pending_runs p USING tasks t WHERE p.task_id = $1 AND t.task_id = p.task_id AND t.ended_ms IS NULL " +
            $"AND t.lease_owner = $2 AND t.lease_expires_ms > {PostgresCodec.Now(3)}",
            taskId, owner, nowMs);
        return await start.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    public async ValueTask<TaskEvent?> AppendIfLeaseExpiredAsync(string taskId, TaskEvent draft, CancellationToken cancellationToken)
    {
        var row = await LoadRowAsync(taskId, cancellationToken).ConfigureAwait(false);
        if (row is null || row.State.IsTerminal() || row.LeaseOwner is null || row.LeaseExpiresMs > row.NowMs
            || await HasRunAsync(taskId, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var artifacts = new Dictionary<string, ArtifactRow>(StringComparer.Ordinal);
        var appended = await ApplyAsync(row, artifacts, draft, cancellationToken).ConfigureAwait(false);
        row.LeaseOwner = null;
        SaveRow(row, artifacts, LeaseChange.Clear);
        return appended;
    }

    public async ValueTask<int> DeleteEndedAsync(DateTimeOffset endedBefore, int maxCount, CancellationToken cancellationToken)
    {
        // Rows a concurrent replica is deleting are skipped, not waited for; the logs and folds go with the row (ON DELETE CASCADE).
        await using var delete = Command(
            "DELETE FROM tasks WHERE task_id IN (SELECT task_id FROM tasks WHERE ended_ms IS NOT NULL AND ended_ms < $1 ORDER BY ended_ms LIMIT $2 FOR UPDATE SKIP LOCKED) " +
            "RETURNING task_id",
            StoredForms.ToMs(endedBefore), (long)maxCount);
        var count = 0;
        await using var reader = await delete.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            _touched[reader.GetString(0)] = 0; // anyone still waiting on it wakes and finds it gone
            count++;
        }

        return count;
    }

    /// <summary>Marks expired the live leases this store instance took: it is closing, so none of its runners goes on.</summary>
    public async ValueTask<int> ExpireLeasesOfAsync(CancellationToken cancellationToken)
    {
        await using var expire = Command("UPDATE tasks SET lease_expires_ms = 0, lease_holder = NULL WHERE lease_holder = $1 AND lease_owner IS NOT NULL AND ended_ms IS NULL", holder);
        return await expire.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends the queued writes, one notification per task whose log grew (delivered to listeners at commit), and then
    /// the <paramref name="trailer"/> statements (the writer's savepoint handling), all in one round trip.
    /// </summary>
    public async ValueTask FlushAsync(IReadOnlyList<string> trailer, CancellationToken cancellationToken)
    {
        foreach (var (taskId, last) in _touched)
        {
            var payload = System.Text.Encoding.UTF8.GetByteCount(taskId) <= PostgresWakeups.MaxNotifiedIdBytes ? $"{taskId} {last}" : PostgresWakeups.WakeEveryone;
            Queue("SELECT pg_notify($1, $2)", PostgresWakeups.Channel, payload);
        }

        if (_runRecorded)
        {
            Queue("SELECT pg_notify($1, $2)", PostgresWakeups.Channel, PostgresWakeups.RunsRecorded);
        }

        foreach (var sql in trailer)
        {
            Queue(sql);
        }

        if (_batch.BatchCommands.Count > 0)
        {
            await _batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => _batch.DisposeAsync();

    private async ValueTask<TaskEvent> ApplyAsync(TaskRow row, Dictionary<string, ArtifactRow> artifacts, TaskEvent draft, CancellationToken cancellationToken)
    {
        var appended = draft.Sequenced(row.LastSeq + 1, row.Generation);
        switch (appended.Kind)
        {
            case TaskEventKind.Message:
                ApplyDelta(row, EventFold.Message(appended.Message!), appended.Timestamp);
                break;
            case TaskEventKind.Status:
                ApplyDelta(row, EventFold.StatusUpdate(appended.StatusUpdate!), appended.Timestamp);
                break;
            case TaskEventKind.Artifact:
                var update = appended.ArtifactUpdate!;
                var stored = await FindArtifactAsync(row, artifacts, update.Artifact.ArtifactId, cancellationToken).ConfigureAwait(false);
                ApplyArtifact(row, artifacts, stored, EventFold.ArtifactUpdate(update, stored is not null));
                break;
            default:
                throw new ArgumentException($"A '{appended.Kind}' event cannot be appended.", nameof(draft));
        }

        row.Appended.Add(appended);
        row.LastSeq = appended.Sequence;
        row.Generation = appended.Generation;
        return appended;
    }

    /// <summary>The status and history part of a delta: the task's row changes in memory, a history row is queued.</summary>
    private void ApplyDelta(TaskRow row, in TaskDelta delta, DateTimeOffset eventTimestamp)
    {
        if (delta.StatusSet is { } status)
        {
            row.State = status.State;
            row.StatusMs = StoredForms.ToMs(status.Timestamp ?? eventTimestamp);
            row.StatusJson = StoredForms.Encode(status, A2AJsonContext.Default.AgentTaskStatus);
            if (status.State.IsTerminal())
            {
                row.EndedMs = row.StatusMs;
                row.LeaseOwner = null;
                Queue("DELETE FROM pending_runs WHERE task_id = $1", row.TaskId);
            }
        }

        if (delta.HistoryAppend is { } message)
        {
            Queue("INSERT INTO history (task_id, idx, message_json) VALUES ($1, $2, $3)", row.TaskId, row.HistoryCount++, StoredForms.Encode(message, A2AJsonContext.Default.Message));
        }
    }

    /// <summary>The artifact with this id, from this write's cache or its row; null when the task has none.</summary>
    private async ValueTask<ArtifactRow?> FindArtifactAsync(TaskRow row, Dictionary<string, ArtifactRow> artifacts, string artifactId, CancellationToken cancellationToken)
    {
        if (artifacts.TryGetValue(artifactId, out var stored))
        {
            return stored;
        }

        if (row.ArtifactCount == 0)
        {
            return null; // a new task, or one without artifacts: nothing to look up
        }

        await using var load = Command("SELECT idx, header_json, segment_count FROM artifacts WHERE task_id = $1 AND artifact_id = $2", row.TaskId, artifactId);
        await using var reader = await load.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        stored = new ArtifactRow(reader.GetInt32(0), reader.GetFieldValue<byte[]>(1), reader.GetInt32(2));
        artifacts[artifactId] = stored;
        return stored;
    }

    /// <summary>
    /// The artifact part of a delta, relationally: an added artifact is a new row, a replaced one loses its part
    /// segments, and parts are only ever inserted (one segment per artifact per write, when the row is saved). The
    /// header is decoded and rewritten only when the delta changes it.
    /// </summary>
    private void ApplyArtifact(TaskRow row, Dictionary<string, ArtifactRow> artifacts, ArtifactRow? stored, in TaskDelta delta)
    {
        switch (delta.ArtifactChange)
        {
            case ArtifactChange.Add:
                stored = new ArtifactRow(row.ArtifactCount++, null, 0) { Header = delta.ArtifactHeader(), Dirty = true };
                Queue("INSERT INTO artifacts (task_id, idx, artifact_id, header_json, segment_count) VALUES ($1, $2, $3, $4, 0)",
                    row.TaskId, stored.Index, delta.ArtifactId!, StoredForms.EncodeHeader(stored.Header));
                artifacts[delta.ArtifactId!] = stored;
                break;
            case ArtifactChange.Replace:
                Queue("DELETE FROM artifact_segments WHERE task_id = $1 AND artifact_idx = $2", row.TaskId, stored!.Index);
                stored.Header = delta.ArtifactHeader();
                stored.SegmentCount = 0;
                stored.Pending.Clear();
                stored.Dirty = true;
                break;
            case ArtifactChange.Extend when delta.ChangesArtifactHeader:
                // Decoded once per write and encoded once when saved, however many chunks of the write change it.
                stored!.Header = delta.ArtifactHeader(stored.Header);
                stored.Dirty = true;
                break;
            case ArtifactChange.Extend:
                break;
            default:
                return;
        }

        stored!.Pending.AddRange(delta.ArtifactParts);
    }

    private async ValueTask<TaskRow?> LoadRowAsync(string taskId, CancellationToken cancellationToken)
    {
        await using var load = Command(
            "SELECT state, status_ms, last_seq, history_count, artifact_count, ended_ms, lease_owner, lease_expires_ms, generation, " +
            $"{PostgresCodec.Now(2)} FROM tasks WHERE task_id = $1 FOR UPDATE",
            taskId, nowMs);
        await using var reader = await load.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new TaskRow(taskId)
        {
            State = (TaskState)reader.GetInt32(0),
            StatusMs = reader.GetInt64(1),
            LastSeq = reader.GetInt64(2),
            HistoryCount = reader.GetInt32(3),
            ArtifactCount = reader.GetInt32(4),
            EndedMs = reader.IsDBNull(5) ? null : reader.GetInt64(5),
            LeaseOwner = reader.IsDBNull(6) ? null : reader.GetString(6),
            LeaseExpiresMs = reader.IsDBNull(7) ? null : reader.GetInt64(7),
            Generation = reader.GetInt64(8),
            NowMs = reader.GetInt64(9),
        };
    }

    private void SaveRow(TaskRow row, Dictionary<string, ArtifactRow> artifacts, LeaseChange lease)
    {
        foreach (var e in row.Appended)
        {
            Queue("INSERT INTO events (task_id, seq, generation, kind, state, at_ms, v1_json) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                row.TaskId, e.Sequence, e.Generation, (short)e.Kind, (short)e.State, StoredForms.ToMs(e.Timestamp), e.GetV1Json().ToArray());
        }

        if (row.Appended.Count > 0)
        {
            _touched[row.TaskId] = row.LastSeq;
        }

        row.Appended.Clear();
        const string Update =
            "UPDATE tasks SET state = $1, status_ms = $2, status_json = COALESCE($3, status_json), last_seq = $4, history_count = $5, artifact_count = $6, " +
            "generation = $7, ended_ms = $8";
        switch (lease)
        {
            case LeaseChange.Clear:
                Queue(Update + ", lease_owner = NULL, lease_expires_ms = NULL, lease_holder = NULL WHERE task_id = $9",
                    (int)row.State, row.StatusMs, row.StatusJson, row.LastSeq, row.HistoryCount, row.ArtifactCount, row.Generation, row.EndedMs, row.TaskId);
                break;
            case LeaseChange.Take:
                Queue(Update + ", lease_owner = $10, lease_expires_ms = $11, lease_holder = $12 WHERE task_id = $9",
                    (int)row.State, row.StatusMs, row.StatusJson, row.LastSeq, row.HistoryCount, row.ArtifactCount, row.Generation, row.EndedMs, row.TaskId,
                    row.LeaseOwner, row.LeaseExpiresMs, holder);
                break;
            default:
                Queue(Update + " WHERE task_id = $9",
                    (int)row.State, row.StatusMs, row.StatusJson, row.LastSeq, row.HistoryCount, row.ArtifactCount, row.Generation, row.EndedMs, row.TaskId);
                break;
        }

        foreach (var stored in artifacts.Values)
        {
            FlushParts(row, stored);
            if (stored.Dirty)
            {
                Queue("UPDATE artifacts SET header_json = $1, segment_count = $2 WHERE task_id = $3 AND idx = $4",
                    StoredForms.EncodeHeader(stored.Header), stored.SegmentCount, row.TaskId, stored.Index);
                stored.Dirty = false;
            }
        }
    }

    private void FlushParts(TaskRow row, ArtifactRow stored)
    {
        if (stored.Pending.Count > 0)
        {
            Queue("INSERT INTO artifact_segments (task_id, artifact_idx, segment, parts_json) VALUES ($1, $2, $3, $4)",
                row.TaskId, stored.Index, stored.SegmentCount++, StoredForms.EncodeParts(stored.Pending));
            stored.Pending.Clear();
            stored.Dirty = true;
        }
    }

    private void RecordRun(string taskId, byte[]? run)
    {
        if (run is not null)
        {
            Queue("INSERT INTO pending_runs (task_id, run) VALUES ($1, $2)", taskId, run);
            _runRecorded = true;
        }
    }

    private async ValueTask<bool> HasRunAsync(string taskId, CancellationToken cancellationToken)
    {
        // Asked right after the task's row was locked, before this write queued anything.
        await using var has = Command("SELECT 1 FROM pending_runs WHERE task_id = $1", taskId);
        return await has.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null;
    }

    private void Queue(string sql, params object?[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        _batch.BatchCommands.Add(command);
    }

    private NpgsqlCommand Command(string sql, params object?[] values)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        return command;
    }

    /// <summary>What a saved row does to the lease columns besides the fold.</summary>
    private enum LeaseChange
    {
        None,
        Clear,
        Take,
    }

    private sealed class TaskRow(string taskId)
    {
        public string TaskId { get; } = taskId;

        public TaskState State { get; set; }

        public long StatusMs { get; set; }

        /// <summary>The new status, when it changed; null keeps the stored one.</summary>
        public byte[]? StatusJson { get; set; }

        public long LastSeq { get; set; }

        public long Generation { get; set; }

        public int HistoryCount { get; set; }

        public int ArtifactCount { get; set; }

        public long? EndedMs { get; set; }

        public string? LeaseOwner { get; set; }

        public long? LeaseExpiresMs { get; set; }

        /// <summary>"Now" by the store's clock, read with the row.</summary>
        public long NowMs { get; init; }

        /// <summary>Events applied in this write, not yet queued for the log table.</summary>
        public List<TaskEvent> Appended { get; } = [];
    }

    private sealed class ArtifactRow(int index, byte[]? storedHeader, int segmentCount)
    {
        private Artifact? _header;

        public int Index { get; } = index;

        /// <summary>The artifact without its parts, decoded from the stored row on first use.</summary>
        public Artifact Header
        {
            get => _header ??= StoredForms.Decode(storedHeader!, A2AJsonContext.Default.Artifact);
            set => _header = value;
        }

        public int SegmentCount { get; set; } = segmentCount;

        /// <summary>Parts added in this write: one new segment when the row is saved.</summary>
        public List<Part> Pending { get; } = [];

        public bool Dirty { get; set; }
    }
}
