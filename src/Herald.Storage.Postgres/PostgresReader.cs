using System.Text;
using Herald.Protocol;
using Herald.Server.Storage;
using Npgsql;

namespace Herald.Storage.Postgres;

/// <summary>
/// The store's reads. A read of several statements (a snapshot, a page of tasks) runs in one repeatable-read
/// transaction, so it sees one committed state of the database; a page's tasks are read with one query per table,
/// not one per task.
/// </summary>
internal static class PostgresReader
{
    public static async ValueTask<List<TaskEvent>> ReadEventsAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string taskId, long afterSequence, int maxCount, CancellationToken cancellationToken)
    {
        var events = new List<TaskEvent>(Math.Min(maxCount, 64));
        await using var read = Command(connection, transaction,
            "SELECT seq, generation, kind, state, at_ms, v1_json FROM events WHERE task_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            taskId, afterSequence, (long)maxCount);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            events.Add(TaskEvent.FromStored(reader.GetInt64(0), (TaskEventKind)reader.GetInt16(2), StoredForms.FromMs(reader.GetInt64(4)),
                (TaskState)reader.GetInt16(3), reader.GetFieldValue<byte[]>(5), reader.GetInt64(1)));
        }

        return events;
    }

    /// <summary>The task's last sequence, or null when it does not exist.</summary>
    public static async ValueTask<long?> LastSequenceAsync(NpgsqlConnection connection, string taskId, CancellationToken cancellationToken)
    {
        await using var read = Command(connection, null, "SELECT last_seq FROM tasks WHERE task_id = $1", taskId);
        return await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long last ? last : null;
    }

    public static async ValueTask<IReadOnlyList<string>> ExpiredLeasesAsync(NpgsqlConnection connection, long? nowMs, int maxCount, CancellationToken cancellationToken)
    {
        await using var read = Command(connection, null,
            $"SELECT task_id FROM tasks t WHERE lease_owner IS NOT NULL AND ended_ms IS NULL AND lease_expires_ms <= {PostgresCodec.Now(1)} " +
            "AND NOT EXISTS (SELECT 1 FROM pending_runs p WHERE p.task_id = t.task_id) LIMIT $2",
            nowMs, (long)maxCount);
        var ids = new List<string>();
        await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    public static async ValueTask<TaskSnapshot?> SnapshotAsync(NpgsqlConnection connection, string taskId, int? historyLength, bool includeArtifacts, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        var snapshots = await SnapshotsAsync(connection, transaction, [taskId], historyLength, includeArtifacts, cancellationToken).ConfigureAwait(false);
        return snapshots.TryGetValue(taskId, out var snapshot) ? snapshot : null;
    }

    public static async ValueTask<IReadOnlyList<TaskPushNotificationConfig>> PushConfigsAsync(NpgsqlConnection connection, string taskId, string? configId, CancellationToken cancellationToken)
    {
        await using var read = configId is null
            ? Command(connection, null, "SELECT config_json FROM push_configs WHERE task_id = $1 ORDER BY config_order", taskId)
            : Command(connection, null, "SELECT config_json FROM push_configs WHERE task_id = $1 AND config_id = $2", taskId, configId);
        var configs = new List<TaskPushNotificationConfig>();
        await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            configs.Add(StoredForms.Decode(reader.GetFieldValue<byte[]>(0), A2AJsonContext.Default.TaskPushNotificationConfig));
        }

        return configs;
    }

    public static async ValueTask<TaskPage> ListAsync(NpgsqlConnection connection, TaskQuery query, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        var (pageSql, countSql, args, countArgs) = BuildList(query);
        var ids = new List<(string Id, long StatusMs)>(query.PageSize + 1);
        await using (var page = Command(connection, transaction, pageSql, [.. args]))
        await using (var reader = await page.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                ids.Add((reader.GetString(0), reader.GetInt64(1)));
            }
        }

        long total;
        await using (var count = Command(connection, transaction, countSql, [.. countArgs]))
        {
            total = (long)(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        var more = ids.Count > query.PageSize;
        if (more)
        {
            ids.RemoveAt(ids.Count - 1);
        }

        var snapshots = await SnapshotsAsync(connection, transaction, [.. ids.Select(i => i.Id)], query.HistoryLength, query.IncludeArtifacts, cancellationToken)
            .ConfigureAwait(false);
        var tasks = new List<AgentTask>(ids.Count);
        foreach (var (id, _) in ids)
        {
            if (snapshots.TryGetValue(id, out var snapshot))
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

    /// <summary>The tasks with these ids as of the transaction's snapshot: one query per table, whatever the number of tasks.</summary>
    private static async ValueTask<Dictionary<string, TaskSnapshot>> SnapshotsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string[] ids, int? historyLength, bool includeArtifacts, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, TaskSnapshot>(ids.Length, StringComparer.Ordinal);
        if (ids.Length == 0)
        {
            return result;
        }

        var rows = new List<(string Id, string ContextId, AgentTaskStatus Status, Dictionary<string, System.Text.Json.JsonElement>? Metadata, long LastSeq, long Generation,
            TaskTraceContext? TraceContext, TaskOwner Owner)>();
        await using (var read = Command(connection, transaction,
            "SELECT task_id, context_id, status_json, metadata_json, last_seq, generation, trace_parent, trace_state, owner, tenant FROM tasks WHERE task_id = ANY($1)", (object)ids))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add((reader.GetString(0), reader.GetString(1), StoredForms.Decode(reader.GetFieldValue<byte[]>(2), A2AJsonContext.Default.AgentTaskStatus),
                    reader.IsDBNull(3) ? null : StoredForms.Decode(reader.GetFieldValue<byte[]>(3), A2AJsonContext.Default.DictionaryStringJsonElement),
                    reader.GetInt64(4), reader.GetInt64(5),
                    reader.IsDBNull(6) ? null : new TaskTraceContext(reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7)),
                    TaskOwner.Of(reader.GetString(8), reader.GetString(9))));
            }
        }

        var history = new Dictionary<string, List<Message>>(StringComparer.Ordinal);
        if (historyLength is not 0)
        {
            // The last historyLength messages of each task (all of them without a length).
            await using var read = Command(connection, transaction,
                "SELECT h.task_id, h.message_json FROM history h JOIN tasks t ON t.task_id = h.task_id " +
                "WHERE h.task_id = ANY($1) AND h.idx >= t.history_count - $2 ORDER BY h.task_id, h.idx",
                ids, historyLength is > 0 and var n ? n : int.MaxValue);
            await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                Add(history, reader.GetString(0), StoredForms.Decode(reader.GetFieldValue<byte[]>(1), A2AJsonContext.Default.Message));
            }
        }

        var artifacts = new Dictionary<string, List<(int Index, Artifact Header)>>(StringComparer.Ordinal);
        var parts = new Dictionary<(string TaskId, int Index), List<Part>>();
        if (includeArtifacts)
        {
            await using (var read = Command(connection, transaction,
                "SELECT task_id, idx, header_json FROM artifacts WHERE task_id = ANY($1) ORDER BY task_id, idx", (object)ids))
            await using (var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    Add(artifacts, reader.GetString(0), (reader.GetInt32(1), StoredForms.Decode(reader.GetFieldValue<byte[]>(2), A2AJsonContext.Default.Artifact)));
                }
            }

            if (artifacts.Count > 0)
            {
                await using var read = Command(connection, transaction,
                    "SELECT task_id, artifact_idx, parts_json FROM artifact_segments WHERE task_id = ANY($1) ORDER BY task_id, artifact_idx, segment", (object)ids);
                await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var key = (reader.GetString(0), reader.GetInt32(1));
                    if (!parts.TryGetValue(key, out var list))
                    {
                        parts[key] = list = [];
                    }

                    StoredForms.DecodeParts(reader.GetFieldValue<byte[]>(2), list);
                }
            }
        }

        foreach (var row in rows)
        {
            Artifact[]? taskArtifacts = null;
            if (includeArtifacts)
            {
                var headers = artifacts.TryGetValue(row.Id, out var list) ? list : [];
                taskArtifacts = new Artifact[headers.Count];
                for (var i = 0; i < headers.Count; i++)
                {
                    var (index, header) = headers[i];
                    taskArtifacts[i] = header with { Parts = parts.TryGetValue((row.Id, index), out var p) ? p.ToArray() : [] };
                }
            }

            var task = new AgentTask
            {
                Id = row.Id,
                ContextId = row.ContextId,
                Status = row.Status,
                Artifacts = taskArtifacts,
                History = history.TryGetValue(row.Id, out var messages) ? messages.ToArray() : null,
                Metadata = row.Metadata,
                Generation = row.Generation,
            };
            result[row.Id] = new TaskSnapshot(task, row.LastSeq) { TraceContext = row.TraceContext, Owner = row.Owner };
        }

        return result;
    }

    /// <summary>The page query (keyset: newest status first, then id) and the count of every task the filters match.</summary>
    private static (string Page, string Count, List<object?> Args, List<object?> CountArgs) BuildList(TaskQuery query)
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
            Add("state = $?", (int)state);
        }

        if (query.StatusTimestampAfter is { } after)
        {
            Add("status_ms > $?", StoredForms.ToMs(after));
        }

        var count = "SELECT count(*) FROM tasks" + where;
        var countArgs = new List<object?>(args);

        if (query.After is { } cursor)
        {
            // The order is (status_ms DESC, task_id): mixed directions, so no row comparison; the leading range lets the index seek.
            var ms = StoredForms.ToMs(cursor.StatusTimestamp);
            where.Append(where.Length == 0 ? " WHERE " : " AND ");
            var a = args.Count + 1;
            where.Append(System.Globalization.CultureInfo.InvariantCulture, $"status_ms <= ${a} AND (status_ms < ${a} OR task_id > ${a + 1})");
            args.Add(ms);
            args.Add(cursor.TaskId);
        }

        args.Add((long)query.PageSize + 1);
        var page = $"SELECT task_id, status_ms FROM tasks{where} ORDER BY status_ms DESC, task_id LIMIT ${args.Count}";
        return (page, count, args, countArgs);
    }

    private static void Add<T>(Dictionary<string, List<T>> into, string key, T value)
    {
        if (!into.TryGetValue(key, out var list))
        {
            into[key] = list = [];
        }

        list.Add(value);
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params object?[] values)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        return command;
    }
}
