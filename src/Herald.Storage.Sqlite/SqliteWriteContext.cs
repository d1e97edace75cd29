using Herald.Protocol;
using Herald.Protocol.Folding;
using Herald.Server.Storage;
using Microsoft.Data.Sqlite;

namespace Herald.Storage.Sqlite;

/// <summary>
/// The store's writes, on the writer connection, inside the group-commit transaction: every operation
/// reads the task's row once, applies its events to the relational fold (inserting history, artifact and
/// part rows; never rewriting an artifact or the task's history) and writes the row back once.
/// </summary>
internal sealed class SqliteWriteContext : IDisposable
{
    private readonly Statement _loadTask;
    private readonly Statement _insertTask;
    private readonly Statement _saveTask;
    private readonly Statement _insertSegment;
    private readonly Statement _insertHistory;
    private readonly Statement _loadArtifact;
    private readonly Statement _insertArtifact;
    private readonly Statement _saveArtifact;
    private readonly Statement _insertPartsSegment;
    private readonly Statement _deleteParts;
    private readonly Statement _adjustCount;
    private readonly Statement _renew;
    private readonly Statement _readEvents;
    private readonly Statement _findEnded;
    private readonly Statement[] _deleteTask;
    private readonly Statement _expireLeases;
    private readonly Statement _setTraceContext;
    private readonly Statement _taskLastSeq;
    private readonly Statement _savePushConfig;
    private readonly Statement _deletePushConfig;
    private readonly Statement _findDeliveries;
    private readonly Statement _expirePushLeases;
    private readonly Statement _leaseDelivery;
    private readonly Statement _advanceDelivery;
    private readonly Statement _releaseDelivery;
    private readonly Statement _insertRun;
    private readonly Statement _hasRun;
    private readonly Statement _deleteRun;
    private readonly Statement _findClaimable;
    private readonly Statement _takeLease;
    private readonly Statement[] _all;

    public SqliteWriteContext(SqliteConnection connection)
    {
        _loadTask = new(connection,
            "SELECT context_id, state, status_ms, last_seq, history_count, artifact_count, ended_ms, lease_owner, lease_expires_ms, generation FROM tasks WHERE task_id = $1");
        _insertTask = new(connection,
            "INSERT INTO tasks (task_id, context_id, state, status_ms, status_json, metadata_json, last_seq, history_count, artifact_count, ended_ms, lease_owner, lease_expires_ms, generation, " +
            "trace_parent, trace_state, owner, tenant) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)");
        _saveTask = new(connection,
            "UPDATE tasks SET state = $1, status_ms = $2, status_json = COALESCE($3, status_json), last_seq = $4, history_count = $5, artifact_count = $6, " +
            "ended_ms = $7, lease_owner = $8, lease_expires_ms = $9, generation = $10 WHERE task_id = $11");
        _insertSegment = new(connection, "INSERT INTO event_segments (task_id, last_seq, first_seq, gen_before, events) VALUES ($1, $2, $3, $4, $5)");
        _insertHistory = new(connection, "INSERT INTO history (task_id, idx, message_json) VALUES ($1, $2, $3)");
        _loadArtifact = new(connection, "SELECT idx, header_json, segment_count FROM artifacts WHERE task_id = $1 AND artifact_id = $2");
        _insertArtifact = new(connection, "INSERT INTO artifacts (task_id, idx, artifact_id, header_json, segment_count) VALUES ($1, $2, $3, $4, $5)");
        _saveArtifact = new(connection, "UPDATE artifacts SET header_json = $1, segment_count = $2 WHERE task_id = $3 AND idx = $4");
        _insertPartsSegment = new(connection, "INSERT INTO artifact_segments (task_id, artifact_idx, segment, parts_json) VALUES ($1, $2, $3, $4)");
        _deleteParts = new(connection, "DELETE FROM artifact_segments WHERE task_id = $1 AND artifact_idx = $2");
        _adjustCount = new(connection, "INSERT INTO task_counts (state, count) VALUES ($1, $2) ON CONFLICT (state) DO UPDATE SET count = count + excluded.count");
        _renew = new(connection, "UPDATE tasks SET lease_expires_ms = $1 WHERE task_id = $2 AND lease_owner = $3 AND ended_ms IS NULL");
        _readEvents = new(connection, "SELECT first_seq, gen_before, events FROM event_segments WHERE task_id = $1 AND last_seq > $2 ORDER BY last_seq LIMIT $3");
        _findEnded = new(connection, "SELECT task_id, state FROM tasks WHERE ended_ms IS NOT NULL AND ended_ms < $1 ORDER BY ended_ms LIMIT $2");
        _deleteTask =
        [
            new(connection, "DELETE FROM event_segments WHERE task_id = $1"),
            new(connection, "DELETE FROM history WHERE task_id = $1"),
            new(connection, "DELETE FROM artifact_segments WHERE task_id = $1"),
            new(connection, "DELETE FROM artifacts WHERE task_id = $1"),
            new(connection, "DELETE FROM push_configs WHERE task_id = $1"),
            new(connection, "DELETE FROM tasks WHERE task_id = $1"),
        ];
        _expireLeases = new(connection, "UPDATE tasks SET lease_expires_ms = 0 WHERE lease_owner IS NOT NULL AND ended_ms IS NULL");
        _setTraceContext = new(connection, "UPDATE tasks SET trace_parent = $1, trace_state = $2 WHERE task_id = $3");
        _taskLastSeq = new(connection, "SELECT last_seq FROM tasks WHERE task_id = $1");
        _savePushConfig = new(connection,
            "INSERT INTO push_configs (task_id, config_id, config_json, cursor) VALUES ($1, $2, $3, $4) " +
            "ON CONFLICT (task_id, config_id) DO UPDATE SET config_json = excluded.config_json, attempts = 0, next_attempt_ms = 0, failing_since_ms = NULL, last_error = NULL");
        _deletePushConfig = new(connection, "DELETE FROM push_configs WHERE task_id = $1 AND config_id = $2");
        _findDeliveries = new(connection,
            "SELECT p.rowid, p.task_id, p.config_json, p.cursor, p.attempts FROM push_configs p JOIN tasks t ON t.task_id = p.task_id " +
            "WHERE p.cursor < t.last_seq AND p.failing_since_ms IS NULL AND p.next_attempt_ms <= $1 AND (p.lease_owner IS NULL OR p.lease_expires_ms <= $1) " +
            "ORDER BY p.rowid LIMIT $2");
        _expirePushLeases = new(connection, "UPDATE push_configs SET lease_expires_ms = 0 WHERE lease_owner IS NOT NULL");
        _leaseDelivery = new(connection, "UPDATE push_configs SET lease_owner = $1, lease_expires_ms = $2 WHERE rowid = $3");
        _advanceDelivery = new(connection,
            "UPDATE push_configs SET cursor = MAX(cursor, $1), attempts = 0, lease_expires_ms = $2 " +
            "WHERE task_id = $3 AND config_id = $4 AND lease_owner = $5 AND lease_expires_ms > $6");
        _releaseDelivery = new(connection,
            "UPDATE push_configs SET lease_owner = NULL, lease_expires_ms = NULL, attempts = $1, next_attempt_ms = $2, last_error = $3, " +
            "failing_since_ms = CASE WHEN $4 THEN $5 ELSE NULL END WHERE task_id = $6 AND config_id = $7 AND lease_owner = $8 AND lease_expires_ms > $5");
        _insertRun = new(connection, "INSERT INTO pending_runs (task_id, run) VALUES ($1, $2)");
        _hasRun = new(connection, "SELECT 1 FROM pending_runs WHERE task_id = $1");
        _deleteRun = new(connection, "DELETE FROM pending_runs WHERE task_id = $1");
        _findClaimable = new(connection,
            "SELECT p.task_id, p.run FROM pending_runs p JOIN tasks t ON t.task_id = p.task_id " +
            "WHERE t.ended_ms IS NULL AND (t.lease_owner IS NULL OR t.lease_expires_ms <= $1) ORDER BY p.run_order LIMIT 1");
        _takeLease = new(connection, "UPDATE tasks SET lease_owner = $1, lease_expires_ms = $2 WHERE task_id = $3");
        _all =
        [
            _insertRun, _hasRun, _deleteRun, _findClaimable, _takeLease,
            _loadTask, _insertTask, _saveTask, _insertSegment, _insertHistory, _loadArtifact, _insertArtifact, _saveArtifact,
            _insertPartsSegment, _deleteParts, _adjustCount, _renew, _readEvents, _findEnded, _expireLeases, _setTraceContext, _taskLastSeq, _savePushConfig, _deletePushConfig, _findDeliveries, _expirePushLeases, _leaseDelivery, _advanceDelivery, _releaseDelivery, .. _deleteTask,
        ];
    }

    /// <summary>Tasks whose logs grew in the current transaction: their waiters are woken after the commit.</summary>
    public HashSet<string> Touched { get; } = new(StringComparer.Ordinal);

    public SqliteTransaction? Transaction
    {
        set
        {
            foreach (var statement in _all)
            {
                statement.Transaction = value;
            }
        }
    }

    /// <summary>Keeps a push configuration (see <see cref="TaskStore.SavePushConfigAsync"/>); its cursor starts after the task's last event unless told.</summary>
    public void SavePushConfig(string taskId, TaskPushNotificationConfig config, long? afterSequence)
    {
        if (_taskLastSeq.Scalar(taskId) is not long lastSeq)
        {
            throw A2AException.TaskNotFound(taskId);
        }

        _savePushConfig.Execute(taskId, config.Id, StoredForms.Encode(config, A2AJsonContext.Default.TaskPushNotificationConfig), afterSequence ?? lastSeq);
    }

    public bool DeletePushConfig(string taskId, string configId) => _deletePushConfig.Execute(taskId, configId) > 0;

    public IReadOnlyList<PushDeliveryClaim> ClaimPushDeliveries(string owner, TimeSpan lease, int maxCount, DateTimeOffset now)
    {
        var nowMs = StoredForms.ToMs(now);
        var found = new List<(long RowId, PushDeliveryClaim Claim)>();
        using (var reader = _findDeliveries.Query(nowMs, (long)maxCount))
        {
            while (reader.Read())
            {
                var config = StoredForms.Decode(reader.GetFieldValue<byte[]>(2), A2AJsonContext.Default.TaskPushNotificationConfig);
                found.Add((reader.GetInt64(0), new PushDeliveryClaim(reader.GetString(1), config, reader.GetInt64(3), (int)reader.GetInt64(4))));
            }
        }

        foreach (var (rowId, _) in found)
        {
            _leaseDelivery.Execute(owner, StoredForms.ToMs(now + lease), rowId);
        }

        return [.. found.Select(f => f.Claim)];
    }

    public bool AdvancePushCursor(string taskId, string configId, string owner, long cursor, TimeSpan lease, DateTimeOffset now) =>
        _advanceDelivery.Execute(cursor, StoredForms.ToMs(now + lease), taskId, configId, owner, StoredForms.ToMs(now)) == 1;

    public bool ReleasePushDelivery(string taskId, string configId, string owner, PushDeliveryOutcome outcome, DateTimeOffset now) =>
        _releaseDelivery.Execute((long)outcome.Attempts, StoredForms.ToMs(now + outcome.RetryAfter), outcome.Error, outcome.Failing ? 1L : 0L, StoredForms.ToMs(now),
            taskId, configId, owner) == 1;

    public TaskEvent Create(AgentTask task, RunnerLease? lease, byte[]? run, TaskTraceContext? traceContext, TaskOwner? owner, DateTimeOffset now)
    {
        if (_loadTask.Scalar(task.Id) is not null)
        {
            throw new TaskAlreadyExistsException(task.Id);
        }

        var status = task.Status;
        var timestamp = status.Timestamp ?? DateTimeOffset.UtcNow;
        var created = TaskEvent.Created(0, task, timestamp).WithTraceContext(traceContext).Sequenced(1, 0);
        var ended = status.State.IsTerminal() ? StoredForms.ToMs(timestamp) : (long?)null;
        _insertTask.Execute(task.Id, task.ContextId ?? "", (long)status.State, StoredForms.ToMs(timestamp),
            StoredForms.Encode(status, A2AJsonContext.Default.AgentTaskStatus),
            task.Metadata is null ? null : StoredForms.Encode(task.Metadata, A2AJsonContext.Default.DictionaryStringJsonElement),
            1L, 0L, 0L, ended, lease?.Owner, lease is { } l ? StoredForms.ToMs(now + l.Duration) : null, created.Generation,
            traceContext?.TraceParent, traceContext?.TraceState, owner?.Principal ?? "", owner?.Tenant ?? "");
        _insertSegment.Execute(task.Id, 1L, 1L, 0L, EventSegment.Pack([created], 0, 1));
        _adjustCount.Execute((long)status.State, 1L);

        var row = LoadRow(task.Id)!;
        var artifacts = new Dictionary<string, ArtifactRow>(StringComparer.Ordinal);
        foreach (var message in task.History ?? [])
        {
            ApplyDelta(row, EventFold.Message(message), timestamp);
        }

        foreach (var artifact in task.Artifacts ?? [])
        {
            var stored = FindArtifact(row, artifacts, artifact.ArtifactId);
            ApplyArtifact(row, artifacts, stored, EventFold.Artifact(artifact, stored is not null));
        }

        SaveRow(row, artifacts);
        if (run is not null)
        {
            _insertRun.Execute(task.Id, run);
        }

        Touched.Add(task.Id);
        return created;
    }

    public TaskEvent[] Append(string taskId, IReadOnlyList<TaskEvent> drafts, AppendOptions options, Func<IReadOnlyList<TaskEvent>, IReadOnlyList<TaskEvent>, long, bool> holdsDrafts)
    {
        var row = LoadRow(taskId) ?? throw A2AException.TaskNotFound(taskId);
        if (options.ExpectedSequence is { } expected)
        {
            // Idempotency first: a retry of a write that committed (and perhaps ended the task) finds its own events.
            if (expected >= 1 && expected <= row.LastSeq)
            {
                var stored = ReadEvents(taskId, expected - 1, drafts.Count);
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
            appended[i] = Apply(row, artifacts, drafts[i]);
        }

        if (options.ReleaseLease)
        {
            row.LeaseOwner = null;
            row.LeaseExpiresMs = null;
        }

        SaveRow(row, artifacts);
        return appended;
    }

    public ContinueResult Continue(string taskId, TaskEvent message, RunnerLease? lease, byte[]? run, long? expectedGeneration, DateTimeOffset now)
    {
        var row = LoadRow(taskId);
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

        if ((row.LeaseOwner is not null && row.LeaseExpiresMs > StoredForms.ToMs(now)) || _hasRun.Scalar(taskId) is not null)
        {
            return new ContinueResult(ContinueOutcome.Leased, state, null, row.Generation);
        }

        // Without a lease, the run is recorded to be claimed, and a lease that expired after its turn paused is cleared.
        row.LeaseOwner = lease?.Owner;
        row.LeaseExpiresMs = lease is { } l ? StoredForms.ToMs(now + l.Duration) : null;
        var artifacts = new Dictionary<string, ArtifactRow>(StringComparer.Ordinal);
        var appended = Apply(row, artifacts, message);
        SaveRow(row, artifacts);
        if (message.TraceContext is { } trace)
        {
            _setTraceContext.Execute(trace.TraceParent, trace.TraceState, taskId);
        }

        if (run is not null)
        {
            _insertRun.Execute(taskId, run);
        }

        return new ContinueResult(ContinueOutcome.Continued, state, appended, appended.Generation);
    }

    public bool Renew(string taskId, string owner, DateTimeOffset expiresAt) =>
        _renew.Execute(StoredForms.ToMs(expiresAt), taskId, owner) == 1;

    public ClaimedRun? Claim(RunnerLease lease, DateTimeOffset now)
    {
        // One writer: the select and the update below are one atomic step.
        string taskId;
        byte[] run;
        using (var reader = _findClaimable.Query(StoredForms.ToMs(now)))
        {
            if (!reader.Read())
            {
                return null;
            }

            taskId = reader.GetString(0);
            run = reader.GetFieldValue<byte[]>(1);
        }

        _takeLease.Execute(lease.Owner, StoredForms.ToMs(now + lease.Duration), taskId);
        return new ClaimedRun(taskId, run);
    }

    public bool Start(string taskId, string owner, DateTimeOffset now)
    {
        var row = LoadRow(taskId);
        if (row is null || row.State.IsTerminal() || !string.Equals(owner, row.LeaseOwner, StringComparison.Ordinal) || row.LeaseExpiresMs <= StoredForms.ToMs(now))
        {
            return false;
        }

        return _deleteRun.Execute(taskId) == 1;
    }

    public TaskEvent? AppendIfLeaseExpired(string taskId, TaskEvent draft, DateTimeOffset now)
    {
        var row = LoadRow(taskId);
        if (row is null || row.State.IsTerminal() || row.LeaseOwner is null || row.LeaseExpiresMs > StoredForms.ToMs(now) || _hasRun.Scalar(taskId) is not null)
        {
            return null;
        }

        var artifacts = new Dictionary<string, ArtifactRow>(StringComparer.Ordinal);
        var appended = Apply(row, artifacts, draft);
        row.LeaseOwner = null;
        row.LeaseExpiresMs = null;
        SaveRow(row, artifacts);
        return appended;
    }

    public int DeleteEnded(DateTimeOffset endedBefore, int maxCount)
    {
        var doomed = new List<(string TaskId, long State)>();
        using (var reader = _findEnded.Query(StoredForms.ToMs(endedBefore), (long)maxCount))
        {
            while (reader.Read())
            {
                doomed.Add((reader.GetString(0), reader.GetInt64(1)));
            }
        }

        foreach (var (taskId, state) in doomed)
        {
            foreach (var delete in _deleteTask)
            {
                delete.Execute(taskId);
            }

            _adjustCount.Execute(state, -1L);
            Touched.Add(taskId); // anyone still waiting on it wakes and finds it gone
        }

        return doomed.Count;
    }

    private List<TaskEvent> ReadEvents(string taskId, long afterSequence, int maxCount)
    {
        var events = new List<TaskEvent>(maxCount);
        using var reader = _readEvents.Query(taskId, afterSequence, (long)maxCount);
        while (events.Count < maxCount && reader.Read())
        {
            EventSegment.Unpack(reader.GetInt64(0), reader.GetInt64(1), reader.GetFieldValue<byte[]>(2), afterSequence, maxCount, events);
        }

        return events;
    }

    /// <summary>Marks every live lease expired: called when this process opens a database no other process holds.</summary>
    public int ExpireAllLeases()
    {
        // Push delivery leases too: the process that held them is gone (one process per database), so delivery resumes at once.
        _expirePushLeases.Execute();
        return _expireLeases.Execute();
    }

    public void Dispose()
    {
        foreach (var statement in _all)
        {
            statement.Dispose();
        }
    }

    private TaskEvent Apply(TaskRow row, Dictionary<string, ArtifactRow> artifacts, TaskEvent draft)
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
                var stored = FindArtifact(row, artifacts, update.Artifact.ArtifactId);
                ApplyArtifact(row, artifacts, stored, EventFold.ArtifactUpdate(update, stored is not null));
                break;
            default:
                throw new ArgumentException($"A '{appended.Kind}' event cannot be appended.", nameof(draft));
        }

        row.Appended.Add(appended);
        row.LastSeq = appended.Sequence;
        row.Generation = appended.Generation;
        Touched.Add(row.TaskId);
        return appended;
    }

    /// <summary>The status and history part of a delta: the task's row changes in memory, a history row is inserted.</summary>
    private void ApplyDelta(TaskRow row, in TaskDelta delta, DateTimeOffset eventTimestamp)
    {
        if (delta.StatusSet is { } status)
        {
            if (status.State != row.State)
            {
                _adjustCount.Execute((long)row.State, -1L);
                _adjustCount.Execute((long)status.State, 1L);
            }

            row.State = status.State;
            row.StatusMs = StoredForms.ToMs(status.Timestamp ?? eventTimestamp);
            row.StatusJson = StoredForms.Encode(status, A2AJsonContext.Default.AgentTaskStatus);
            if (status.State.IsTerminal())
            {
                row.EndedMs = row.StatusMs;
                row.LeaseOwner = null;
                row.LeaseExpiresMs = null;
                _deleteRun.Execute(row.TaskId);
            }
        }

        if (delta.HistoryAppend is { } message)
        {
            _insertHistory.Execute(row.TaskId, (long)row.HistoryCount++, StoredForms.Encode(message, A2AJsonContext.Default.Message));
        }
    }

    /// <summary>The artifact with this id, from this write's cache or its row; null when the task has none.</summary>
    private ArtifactRow? FindArtifact(TaskRow row, Dictionary<string, ArtifactRow> artifacts, string artifactId)
    {
        if (!artifacts.TryGetValue(artifactId, out var stored))
        {
            stored = LoadArtifact(row.TaskId, artifactId);
            if (stored is not null)
            {
                artifacts[artifactId] = stored;
            }
        }

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
                _insertArtifact.Execute(row.TaskId, (long)stored.Index, delta.ArtifactId!, StoredForms.EncodeHeader(stored.Header), 0L);
                artifacts[delta.ArtifactId!] = stored;
                break;
            case ArtifactChange.Replace:
                _deleteParts.Execute(row.TaskId, (long)stored!.Index);
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

    private TaskRow? LoadRow(string taskId)
    {
        using var reader = _loadTask.Query(taskId);
        if (!reader.Read())
        {
            return null;
        }

        return new TaskRow(taskId)
        {
            State = (TaskState)reader.GetInt64(1),
            StatusMs = reader.GetInt64(2),
            LastSeq = reader.GetInt64(3),
            HistoryCount = (int)reader.GetInt64(4),
            ArtifactCount = (int)reader.GetInt64(5),
            EndedMs = reader.IsDBNull(6) ? null : reader.GetInt64(6),
            LeaseOwner = reader.IsDBNull(7) ? null : reader.GetString(7),
            LeaseExpiresMs = reader.IsDBNull(8) ? null : reader.GetInt64(8),
            Generation = reader.GetInt64(9),
        };
    }

    private ArtifactRow? LoadArtifact(string taskId, string artifactId)
    {
        using var reader = _loadArtifact.Query(taskId, artifactId);
        return reader.Read() ? new ArtifactRow((int)reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), (int)reader.GetInt64(2)) : null;
    }

    private void SaveRow(TaskRow row, Dictionary<string, ArtifactRow> artifacts)
    {
        // The write's events, packed into as few log rows as the segment size allows.
        var events = row.Appended;
        for (var start = 0; start < events.Count; start += EventSegment.MaxEvents)
        {
            var count = Math.Min(EventSegment.MaxEvents, events.Count - start);
            _insertSegment.Execute(row.TaskId, events[start + count - 1].Sequence, events[start].Sequence, EventSegment.GenerationBefore(events[start]),
                EventSegment.Pack(events, start, count));
        }

        events.Clear();
        _saveTask.Execute((long)row.State, row.StatusMs, row.StatusJson, row.LastSeq, (long)row.HistoryCount, (long)row.ArtifactCount,
            row.EndedMs, row.LeaseOwner, row.LeaseExpiresMs, row.Generation, row.TaskId);
        foreach (var stored in artifacts.Values)
        {
            if (stored.Pending.Count > 0)
            {
                _insertPartsSegment.Execute(row.TaskId, (long)stored.Index, (long)stored.SegmentCount++, StoredForms.EncodeParts(stored.Pending));
                stored.Pending.Clear();
                stored.Dirty = true;
            }

            if (stored.Dirty)
            {
                _saveArtifact.Execute(StoredForms.EncodeHeader(stored.Header), (long)stored.SegmentCount, row.TaskId, (long)stored.Index);
                stored.Dirty = false;
            }
        }
    }

    private sealed class TaskRow(string taskId)
    {
        public string TaskId { get; } = taskId;

        public TaskState State { get; set; }

        public long StatusMs { get; set; }

        /// <summary>The new status, when it changed; null keeps the stored one.</summary>
        public byte[]? StatusJson { get; set; }

        public long LastSeq { get; set; }

        /// <summary>The task's generation after <see cref="LastSeq"/>.</summary>
        public long Generation { get; set; }

        public int HistoryCount { get; set; }

        public int ArtifactCount { get; set; }

        public long? EndedMs { get; set; }

        public string? LeaseOwner { get; set; }

        public long? LeaseExpiresMs { get; set; }

        /// <summary>Events applied in this write, not yet in the log table.</summary>
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
