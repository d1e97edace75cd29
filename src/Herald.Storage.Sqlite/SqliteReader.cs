using System.Text;
using Herald.Protocol;
using Herald.Server.Storage;
using Microsoft.Data.Sqlite;

namespace Herald.Storage.Sqlite;

/// <summary>
/// A read connection with its prepared statements. Readers never block the writer (WAL), and each
/// multi-statement read runs in one read transaction, so it sees one consistent state of the database.
/// </summary>
internal sealed class SqliteReader : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Statement _events;
    private readonly Statement _exists;
    private readonly Statement _lastSeq;
    private readonly Statement _task;
    private readonly Statement _history;
    private readonly Statement _artifacts;
    private readonly Statement _parts;
    private readonly Statement _expired;
    private readonly Statement _countAll;
    private readonly Statement _countState;
    private readonly Dictionary<string, Statement> _lists = new(StringComparer.Ordinal);

    public SqliteReader(SqliteConnection connection)
    {
        _connection = connection;
        _events = new(connection, "SELECT first_seq, gen_before, events FROM event_segments WHERE task_id = $1 AND last_seq > $2 ORDER BY last_seq LIMIT $3");
        _exists = new(connection, "SELECT 1 FROM tasks WHERE task_id = $1");
        _lastSeq = new(connection, "SELECT last_seq FROM tasks WHERE task_id = $1");
        _task = new(connection, "SELECT context_id, status_json, metadata_json, last_seq, history_count, generation, trace_parent, trace_state, owner, tenant FROM tasks WHERE task_id = $1");
        _history = new(connection, "SELECT message_json FROM history WHERE task_id = $1 AND idx >= $2 ORDER BY idx");
        _artifacts = new(connection, "SELECT idx, header_json FROM artifacts WHERE task_id = $1 ORDER BY idx");
        _parts = new(connection, "SELECT artifact_idx, parts_json FROM artifact_segments WHERE task_id = $1 ORDER BY artifact_idx, segment");
        _expired = new(connection, "SELECT task_id FROM tasks t WHERE lease_owner IS NOT NULL AND lease_expires_ms <= $1 AND ended_ms IS NULL " +
            "AND NOT EXISTS (SELECT 1 FROM pending_runs p WHERE p.task_id = t.task_id) LIMIT $2");
        _countAll = new(connection, "SELECT COALESCE(SUM(count), 0) FROM task_counts");
        _countState = new(connection, "SELECT COALESCE(SUM(count), 0) FROM task_counts WHERE state = $1");
    }

    public IReadOnlyList<TaskEvent> ReadEvents(string taskId, long afterSequence, int maxCount)
    {
        var events = new List<TaskEvent>(Math.Min(maxCount, 64));

        // A segment holds one or more events: at most maxCount segments can be needed for maxCount events.
        using (var reader = _events.Query(taskId, afterSequence, (long)maxCount))
        {
            while (events.Count < maxCount && reader.Read())
            {
                EventSegment.Unpack(reader.GetInt64(0), reader.GetInt64(1), reader.GetFieldValue<byte[]>(2), afterSequence, maxCount, events);
            }
        }

        if (events.Count == 0 && _exists.Scalar(taskId) is null)
        {
            throw A2AException.TaskNotFound(taskId);
        }

        return events;
    }

    /// <summary>The task's last sequence, or null when it does not exist.</summary>
    public long? LastSequence(string taskId) => _lastSeq.Scalar(taskId) is long last ? last : null;

    public TaskSnapshot? Snapshot(string taskId, int? historyLength, bool includeArtifacts)
    {
        using var transaction = _connection.BeginTransaction(deferred: true);
        Bind(transaction);
        try
        {
            return SnapshotIn(taskId, historyLength, includeArtifacts);
        }
        finally
        {
            Bind(null);
        }
    }

    public IReadOnlyList<string> ExpiredLeases(DateTimeOffset now, int maxCount)
    {
        var ids = new List<string>();
        using var reader = _expired.Query(StoredForms.ToMs(now), (long)maxCount);
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    public IReadOnlyList<TaskPushNotificationConfig> PushConfigs(string taskId, string? configId)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = configId is null
            ? "SELECT config_json FROM push_configs WHERE task_id = $1 ORDER BY rowid"
            : "SELECT config_json FROM push_configs WHERE task_id = $1 AND config_id = $2";
        command.Parameters.AddWithValue("$1", taskId);
        if (configId is not null)
        {
            command.Parameters.AddWithValue("$2", configId);
        }

        var configs = new List<TaskPushNotificationConfig>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            configs.Add(StoredForms.Decode(reader.GetFieldValue<byte[]>(0), A2AJsonContext.Default.TaskPushNotificationConfig));
        }

        return configs;
    }

    public TaskPage List(TaskQuery query)
    {
        using var transaction = _connection.BeginTransaction(deferred: true);
        Bind(transaction);
        try
        {
            var (pageSql, countSql, args, countArgs) = BuildList(query);
            var ids = new List<(string Id, long StatusMs)>(query.PageSize + 1);
            using (var reader = ListStatement(pageSql, transaction).Query([.. args]))
            {
                while (reader.Read())
                {
                    ids.Add((reader.GetString(0), reader.GetInt64(1)));
                }
            }

            long total;
            if (countSql is null)
            {
                total = query.State is { } state ? (long)_countState.Scalar((long)state)! : (long)_countAll.Scalar()!;
            }
            else
            {
                total = (long)ListStatement(countSql, transaction).Scalar([.. countArgs])!;
            }

            var more = ids.Count > query.PageSize;
            if (more)
            {
                ids.RemoveAt(ids.Count - 1);
            }

            var tasks = new List<AgentTask>(ids.Count);
            foreach (var (id, _) in ids)
            {
                if (SnapshotIn(id, query.HistoryLength, query.IncludeArtifacts) is { } snapshot)
                {
                    tasks.Add(snapshot.Task);
                }
            }

            TaskCursor? next = null;
            if (more)
            {
                var (lastId, lastMs) = ids[^1];
                next = new TaskCursor(StoredForms.FromMs(lastMs), lastId);
            }

            return new TaskPage(tasks, next, (int)Math.Min(int.MaxValue, total));
        }
        finally
        {
            Bind(null);
        }
    }

    public void Dispose()
    {
        foreach (var statement in AllStatements())
        {
            statement.Dispose();
        }

        _connection.Dispose();
    }

    private TaskSnapshot? SnapshotIn(string taskId, int? historyLength, bool includeArtifacts)
    {
        string contextId;
        AgentTaskStatus status;
        Dictionary<string, System.Text.Json.JsonElement>? metadata;
        long lastSeq;
        int historyCount;
        long generation;
        TaskTraceContext? traceContext;
        TaskOwner owner;
        using (var reader = _task.Query(taskId))
        {
            if (!reader.Read())
            {
                return null;
            }

            contextId = reader.GetString(0);
            status = StoredForms.Decode(reader.GetFieldValue<byte[]>(1), A2AJsonContext.Default.AgentTaskStatus);
            metadata = reader.IsDBNull(2) ? null : StoredForms.Decode(reader.GetFieldValue<byte[]>(2), A2AJsonContext.Default.DictionaryStringJsonElement);
            lastSeq = reader.GetInt64(3);
            historyCount = (int)reader.GetInt64(4);
            generation = reader.GetInt64(5);
            traceContext = reader.IsDBNull(6) ? null : new TaskTraceContext(reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7));
            owner = TaskOwner.Of(reader.GetString(8), reader.GetString(9));
        }

        List<Message>? history = null;
        if (historyLength is not 0 && historyCount > 0)
        {
            var from = historyLength is > 0 and var n ? Math.Max(0, historyCount - n) : 0;
            history = new List<Message>(historyCount - from);
            using var reader = _history.Query(taskId, (long)from);
            while (reader.Read())
            {
                history.Add(StoredForms.Decode(reader.GetFieldValue<byte[]>(0), A2AJsonContext.Default.Message));
            }
        }

        Artifact[]? artifacts = null;
        if (includeArtifacts)
        {
            var headers = new List<(int Index, Artifact Header)>();
            using (var reader = _artifacts.Query(taskId))
            {
                while (reader.Read())
                {
                    headers.Add(((int)reader.GetInt64(0), StoredForms.Decode(reader.GetFieldValue<byte[]>(1), A2AJsonContext.Default.Artifact)));
                }
            }

            var parts = new Dictionary<int, List<Part>>();
            if (headers.Count > 0)
            {
                using var reader = _parts.Query(taskId);
                while (reader.Read())
                {
                    var index = (int)reader.GetInt64(0);
                    if (!parts.TryGetValue(index, out var list))
                    {
                        parts[index] = list = [];
                    }

                    StoredForms.DecodeParts(reader.GetFieldValue<byte[]>(1), list);
                }
            }

            artifacts = new Artifact[headers.Count];
            for (var i = 0; i < headers.Count; i++)
            {
                var (index, header) = headers[i];
                artifacts[i] = header with { Parts = parts.TryGetValue(index, out var list) ? list.ToArray() : [] };
            }
        }

        var task = new AgentTask
        {
            Id = taskId,
            ContextId = contextId,
            Status = status,
            Artifacts = artifacts,
            History = history?.ToArray(),
            Metadata = metadata,
            Generation = generation,
        };
        return new TaskSnapshot(task, lastSeq) { TraceContext = traceContext, Owner = owner };
    }

    /// <summary>The page query (keyset: newest status first, then id) and, when the total cannot come from task_counts, its count query.</summary>
    private static (string Page, string? Count, List<object?> Args, List<object?> CountArgs) BuildList(TaskQuery query)
    {
        var where = new StringBuilder();
        var args = new List<object?>();
        void Add(string condition, object? value)
        {
            where.Append(where.Length == 0 ? " WHERE " : " AND ");
            args.Add(value);
            where.Append(condition.Replace("$?", "$" + args.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        }

        if (query.Owner is { } owner)
        {
            Add("tenant = $?", owner.Tenant);
            Add("owner = $?", owner.Principal);
        }

        if (query.ContextId is { } contextId)
        {
            Add("context_id = $?", contextId);
        }

        if (query.State is { } state)
        {
            Add("state = $?", (long)state);
        }

        if (query.StatusTimestampAfter is { } after)
        {
            Add("status_ms > $?", StoredForms.ToMs(after));
        }

        string? count = query.ContextId is null && query.StatusTimestampAfter is null && query.Owner is null ? null : "SELECT count(*) FROM tasks" + where;
        var countArgs = new List<object?>(args);

        if (query.After is { } cursor)
        {
            var ms = StoredForms.ToMs(cursor.StatusTimestamp);
            where.Append(where.Length == 0 ? " WHERE " : " AND ");
            var a = args.Count + 1;
            // The index's order is (status_ms DESC, task_id), and SQLite's row values compare in one direction only. The
            // leading range on status_ms lets the index seek to the cursor; without it an OR makes SQLite scan from the top,
            // and a page deep in a large table cost 15 times the first.
            where.Append(System.Globalization.CultureInfo.InvariantCulture, $"status_ms <= ${a} AND (status_ms < ${a + 1} OR task_id > ${a + 2})");
            args.Add(ms);
            args.Add(ms);
            args.Add(cursor.TaskId);
        }

        args.Add((long)query.PageSize + 1);
        var page = $"SELECT task_id, status_ms FROM tasks{where} ORDER BY status_ms DESC, task_id LIMIT ${args.Count}";
        return (page, count, args, countArgs);
    }

    private Statement ListStatement(string sql, SqliteTransaction transaction)
    {
        if (!_lists.TryGetValue(sql, out var statement))
        {
            _lists[sql] = statement = new Statement(_connection, sql);
        }

        statement.Transaction = transaction;
        return statement;
    }

    private void Bind(SqliteTransaction? transaction)
    {
        foreach (var statement in AllStatements())
        {
            statement.Transaction = transaction;
        }
    }

    private IEnumerable<Statement> AllStatements()
    {
        yield return _events;
        yield return _exists;
        yield return _lastSeq;
        yield return _task;
        yield return _history;
        yield return _artifacts;
        yield return _parts;
        yield return _expired;
        yield return _countAll;
        yield return _countState;
        foreach (var statement in _lists.Values)
        {
            yield return statement;
        }
    }
}
