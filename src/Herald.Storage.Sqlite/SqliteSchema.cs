using Microsoft.Data.Sqlite;

namespace Herald.Storage.Sqlite;

/// <summary>
/// The schema, created and migrated by version. The log is <c>event_segments</c>: each durable write appends
/// one row holding that write's events (each with its sequence, kind, state, time and v1.0 wire bytes), so a
/// batch of chunks costs one row, not one per chunk. The fold is relational: <c>tasks</c> (one row per task:
/// status, counters, lease), <c>history</c>, <c>artifacts</c> and <c>artifact_segments</c> (the parts each
/// write added to an artifact), so appending chunks inserts rows and never rewrites the task or the artifact.
/// <c>task_counts</c> keeps ListTasks' total without counting rows.
/// Version 2 adds the A2A 1.1 generation: <c>tasks.generation</c> (the task's current one) and
/// <c>event_segments.gen_before</c> (the generation before the segment's first event), so that a read from any
/// position derives each event's generation while decoding its segment (<see cref="Herald.Server.Storage.TaskEvent.NextGeneration"/>).
/// Version 3 adds <c>tasks.trace_parent</c> and <c>tasks.trace_state</c>: the W3C trace context of the request that created or
/// last continued the task (<see cref="Herald.Server.Storage.TaskTraceContext"/>); tasks stored before have none. It also
/// adds <c>pending_runs</c>: runs to do, claimed by the lease on their task.
/// </summary>
internal static class SqliteSchema
{
    public const int CurrentVersion = 5;

    /// <summary>The version 1 schema; a new database is created with it and then migrated like an old one.</summary>
    internal static readonly string[] Version1 =
    [
        """
        CREATE TABLE tasks (
            task_id          TEXT    NOT NULL PRIMARY KEY,
            context_id       TEXT    NOT NULL,
            state            INTEGER NOT NULL,
            status_ms        INTEGER NOT NULL,
            status_json      BLOB    NOT NULL,
            metadata_json    BLOB,
            last_seq         INTEGER NOT NULL,
            history_count    INTEGER NOT NULL,
            artifact_count   INTEGER NOT NULL,
            ended_ms         INTEGER,
            lease_owner      TEXT,
            lease_expires_ms INTEGER
        ) WITHOUT ROWID
        """,
        "CREATE INDEX tasks_by_status ON tasks (status_ms DESC, task_id)",
        "CREATE INDEX tasks_by_context ON tasks (context_id, status_ms DESC, task_id)",
        "CREATE INDEX tasks_by_state ON tasks (state, status_ms DESC, task_id)",
        "CREATE INDEX tasks_by_end ON tasks (ended_ms) WHERE ended_ms IS NOT NULL",
        "CREATE INDEX tasks_by_lease ON tasks (lease_expires_ms) WHERE lease_owner IS NOT NULL",
        """
        CREATE TABLE event_segments (
            task_id   TEXT    NOT NULL,
            last_seq  INTEGER NOT NULL,
            first_seq INTEGER NOT NULL,
            events    BLOB    NOT NULL,
            PRIMARY KEY (task_id, last_seq)
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE history (
            task_id      TEXT    NOT NULL,
            idx          INTEGER NOT NULL,
            message_json BLOB    NOT NULL,
            PRIMARY KEY (task_id, idx)
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE artifacts (
            task_id       TEXT    NOT NULL,
            idx           INTEGER NOT NULL,
            artifact_id   TEXT    NOT NULL,
            header_json   BLOB    NOT NULL,
            segment_count INTEGER NOT NULL,
            PRIMARY KEY (task_id, idx)
        ) WITHOUT ROWID
        """,
        "CREATE UNIQUE INDEX artifacts_by_id ON artifacts (task_id, artifact_id)",
        """
        CREATE TABLE artifact_segments (
            task_id      TEXT    NOT NULL,
            artifact_idx INTEGER NOT NULL,
            segment      INTEGER NOT NULL,
            parts_json   BLOB    NOT NULL,
            PRIMARY KEY (task_id, artifact_idx, segment)
        ) WITHOUT ROWID
        """,
        "CREATE TABLE task_counts (state INTEGER NOT NULL PRIMARY KEY, count INTEGER NOT NULL)",
    ];

    /// <summary>Creates the schema in an empty database, or checks (and in later versions, migrates) an existing one.</summary>
    public static void Ensure(SqliteConnection connection, string path)
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        var version = ReadVersion(connection, transaction);
        if (version > CurrentVersion)
        {
            throw new InvalidOperationException(
                $"The database '{path}' has schema version {version}, newer than this Herald's ({CurrentVersion}). Use a newer Herald, or another database file.");
        }

        if (version == 0)
        {
            foreach (var statement in Version1)
            {
                Execute(connection, transaction, statement);
            }

            Execute(connection, transaction, "CREATE TABLE herald_schema (version INTEGER NOT NULL)");
            Execute(connection, transaction, "INSERT INTO herald_schema (version) VALUES (1)");
            version = 1;
        }

        // Each later version: "if (version < N) { ...; SetVersion(N) }", in order, all in this transaction.
        if (version < 2)
        {
            MigrateToVersion2(connection, transaction);
            Execute(connection, transaction, "UPDATE herald_schema SET version = 2");
        }

        if (version < 3)
        {
            Execute(connection, transaction, "ALTER TABLE tasks ADD COLUMN trace_parent TEXT");
            Execute(connection, transaction, "ALTER TABLE tasks ADD COLUMN trace_state TEXT");

            // Runs to do, oldest first: recorded with the message that asks for them, removed when a claimer starts
            // one or its task ends. The claim itself is the task's lease.
            Execute(connection, transaction,
                "CREATE TABLE pending_runs (run_order INTEGER PRIMARY KEY AUTOINCREMENT, task_id TEXT NOT NULL UNIQUE, run BLOB NOT NULL)");
            Execute(connection, transaction, "UPDATE herald_schema SET version = 3");
        }

        if (version < 4)
        {
            // Whose each task is (issue 17): tasks written before have none, which is what an anonymous caller on an open
            // server acts as. Lists of one owner read its own range of this index, totals included.
            Execute(connection, transaction, "ALTER TABLE tasks ADD COLUMN owner TEXT NOT NULL DEFAULT ''");
            Execute(connection, transaction, "ALTER TABLE tasks ADD COLUMN tenant TEXT NOT NULL DEFAULT ''");
            Execute(connection, transaction, "CREATE INDEX tasks_by_owner ON tasks (tenant, owner, status_ms DESC, task_id)");
            Execute(connection, transaction, "UPDATE herald_schema SET version = 4");
        }

        if (version < 5)
        {
            // Push-notification configurations (issue 16), oldest first by rowid: the config as the wire has it, and its
            // delivery cursor (the last sequence delivered) and state, advanced by the delivery worker.
            Execute(connection, transaction,
                """
                CREATE TABLE push_configs (
                    task_id          TEXT    NOT NULL,
                    config_id        TEXT    NOT NULL,
                    config_json      BLOB    NOT NULL,
                    cursor           INTEGER NOT NULL,
                    lease_owner      TEXT,
                    lease_expires_ms INTEGER,
                    attempts         INTEGER NOT NULL DEFAULT 0,
                    next_attempt_ms  INTEGER NOT NULL DEFAULT 0,
                    failing_since_ms INTEGER,
                    last_error       TEXT,
                    UNIQUE (task_id, config_id)
                )
                """);
            Execute(connection, transaction, "UPDATE herald_schema SET version = 5");
        }

        transaction.Commit();
    }

    /// <summary>
    /// Adds the generation columns and computes them for the tasks already stored: each task's segments are walked
    /// in order, their events' kinds decoded, and the generation carried from one segment to the next.
    /// </summary>
    private static void MigrateToVersion2(SqliteConnection connection, SqliteTransaction transaction)
    {
        Execute(connection, transaction, "ALTER TABLE tasks ADD COLUMN generation INTEGER NOT NULL DEFAULT 0");
        Execute(connection, transaction, "ALTER TABLE event_segments ADD COLUMN gen_before INTEGER NOT NULL DEFAULT 0");

        // Computed first, written after: no update while the scan of the same table is open.
        var segments = new List<(string TaskId, long LastSeq, long GenBefore)>();
        var tasks = new List<(string TaskId, long Generation)>();
        using (var scan = connection.CreateCommand())
        {
            scan.Transaction = transaction;
            scan.CommandText = "SELECT task_id, last_seq, events FROM event_segments ORDER BY task_id, last_seq";
            using var reader = scan.ExecuteReader();
            string? current = null;
            long generation = 0;
            while (reader.Read())
            {
                var taskId = reader.GetString(0);
                if (!string.Equals(taskId, current, StringComparison.Ordinal))
                {
                    if (current is not null)
                    {
                        tasks.Add((current, generation));
                    }

                    current = taskId;
                    generation = 0;
                }

                segments.Add((taskId, reader.GetInt64(1), generation));
                generation = EventSegment.GenerationAfter(reader.GetFieldValue<byte[]>(2), generation);
            }

            if (current is not null)
            {
                tasks.Add((current, generation));
            }
        }

        using (var update = new Statement(connection, "UPDATE event_segments SET gen_before = $1 WHERE task_id = $2 AND last_seq = $3"))
        {
            update.Transaction = transaction;
            foreach (var (taskId, lastSeq, genBefore) in segments)
            {
                update.Execute(genBefore, taskId, lastSeq);
            }
        }

        using (var update = new Statement(connection, "UPDATE tasks SET generation = $1 WHERE task_id = $2"))
        {
            update.Transaction = transaction;
            foreach (var (taskId, generation) in tasks)
            {
                update.Execute(generation, taskId);
            }
        }
    }

    private static int ReadVersion(SqliteConnection connection, SqliteTransaction transaction)
    {
        using var exists = connection.CreateCommand();
        exists.Transaction = transaction;
        exists.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'herald_schema'";
        if (Convert.ToInt64(exists.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            using var any = connection.CreateCommand();
            any.Transaction = transaction;
            any.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'";
            if (Convert.ToInt64(any.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0)
            {
                throw new InvalidOperationException("The database holds tables but no Herald schema: it is not a Herald database. Use another file.");
            }

            return 0;
        }

        using var read = connection.CreateCommand();
        read.Transaction = transaction;
        read.CommandText = "SELECT version FROM herald_schema";
        return Convert.ToInt32(read.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
