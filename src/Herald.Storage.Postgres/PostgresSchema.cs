using Npgsql;

namespace Herald.Storage.Postgres;

/// <summary>
/// The schema, created and migrated by version (<c>herald_schema</c> says which), under a transaction-scoped advisory
/// lock so that replicas starting together apply each migration exactly once. The log is <c>events</c>: one row per
/// event with its sequence, generation, kind, state, time and v1.0 wire bytes. The fold is relational, as in SQLite:
/// <c>tasks</c> (one row per task: status, counters, lease; the row every write locks), <c>history</c>,
/// <c>artifacts</c> and <c>artifact_segments</c> (the parts each write added to an artifact), so an append inserts rows
/// and rewrites only the task's row, whatever the task's size. Ids are compared byte-wise (<c>COLLATE "C"</c>), as
/// the other stores order them. Instants are Unix milliseconds. Version 2 adds <c>tasks.trace_parent</c> and
/// <c>tasks.trace_state</c>: the W3C trace context of the request that created or last continued the task. Version 3 adds
/// <c>tasks.owner</c> and <c>tasks.tenant</c>: whose the task is. Version 4 adds <c>push_configs</c>.
/// </summary>
internal static class PostgresSchema
{
    public const int CurrentVersion = 4;

    /// <summary>The advisory lock key migrations run under ("herald" in ASCII).</summary>
    private const long MigrationLock = 0x68_65_72_61_6c_64;

    /// <summary>The statements of each version, in order: index i migrates from version i to version i + 1.</summary>
    internal static readonly string[][] Migrations =
    [
        [
            """
            CREATE TABLE tasks (
                task_id          text COLLATE "C" NOT NULL PRIMARY KEY,
                context_id       text COLLATE "C" NOT NULL,
                state            integer NOT NULL,
                status_ms        bigint  NOT NULL,
                status_json      bytea   NOT NULL,
                metadata_json    bytea,
                last_seq         bigint  NOT NULL,
                generation       bigint  NOT NULL,
                history_count    integer NOT NULL,
                artifact_count   integer NOT NULL,
                ended_ms         bigint,
                lease_owner      text,
                lease_expires_ms bigint,
                lease_holder     uuid
            )
            """,
            "CREATE INDEX tasks_by_status ON tasks (status_ms DESC, task_id)",
            "CREATE INDEX tasks_by_context ON tasks (context_id, status_ms DESC, task_id)",
            "CREATE INDEX tasks_by_state ON tasks (state, status_ms DESC, task_id)",
            "CREATE INDEX tasks_by_end ON tasks (ended_ms) WHERE ended_ms IS NOT NULL",
            "CREATE INDEX tasks_by_lease ON tasks (lease_expires_ms) WHERE lease_owner IS NOT NULL AND ended_ms IS NULL",
            "CREATE INDEX tasks_by_holder ON tasks (lease_holder) WHERE lease_holder IS NOT NULL",
            """
            CREATE TABLE events (
                task_id    text COLLATE "C" NOT NULL REFERENCES tasks ON DELETE CASCADE,
                seq        bigint   NOT NULL,
                generation bigint   NOT NULL,
                kind       smallint NOT NULL,
                state      smallint NOT NULL,
                at_ms      bigint   NOT NULL,
                v1_json    bytea    NOT NULL,
                PRIMARY KEY (task_id, seq)
            )
            """,
            """
            CREATE TABLE history (
                task_id      text COLLATE "C" NOT NULL REFERENCES tasks ON DELETE CASCADE,
                idx          integer NOT NULL,
                message_json bytea   NOT NULL,
                PRIMARY KEY (task_id, idx)
            )
            """,
            """
            CREATE TABLE artifacts (
                task_id       text COLLATE "C" NOT NULL REFERENCES tasks ON DELETE CASCADE,
                idx           integer NOT NULL,
                artifact_id   text    NOT NULL,
                header_json   bytea   NOT NULL,
                segment_count integer NOT NULL,
                PRIMARY KEY (task_id, idx),
                UNIQUE (task_id, artifact_id)
            )
            """,
            """
            CREATE TABLE artifact_segments (
                task_id      text COLLATE "C" NOT NULL REFERENCES tasks ON DELETE CASCADE,
                artifact_idx integer NOT NULL,
                segment      integer NOT NULL,
                parts_json   bytea   NOT NULL,
                PRIMARY KEY (task_id, artifact_idx, segment)
            )
            """,
        ],
        [
            "ALTER TABLE tasks ADD COLUMN trace_parent text, ADD COLUMN trace_state text",
            // Runs to do, oldest first: recorded with the message that asks for them, removed when a claimer starts one
            // or its task ends. The claim itself is the task's lease (taken under FOR UPDATE SKIP LOCKED).
            """
            CREATE TABLE pending_runs (
                run_order bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                task_id   text COLLATE "C" NOT NULL UNIQUE REFERENCES tasks ON DELETE CASCADE,
                run       bytea NOT NULL
            )
            """,
        ],
        [
            // Whose each task is (issue 17): tasks written before have none, which is what an anonymous caller on an open
            // server acts as. Lists of one owner read its own range of this index, totals included.
            """ALTER TABLE tasks ADD COLUMN owner text COLLATE "C" NOT NULL DEFAULT '', ADD COLUMN tenant text COLLATE "C" NOT NULL DEFAULT ''""",
            "CREATE INDEX tasks_by_owner ON tasks (tenant, owner, status_ms DESC, task_id)",
        ],
        [
            // Push-notification configurations (issue 16), oldest first: the config as the wire has it, and its delivery
            // cursor (the last sequence delivered) and state, advanced by the delivery worker.
            """
            CREATE TABLE push_configs (
                config_order     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                task_id          text COLLATE "C" NOT NULL REFERENCES tasks ON DELETE CASCADE,
                config_id        text COLLATE "C" NOT NULL,
                config_json      bytea   NOT NULL,
                cursor           bigint  NOT NULL,
                lease_owner      text,
                lease_expires_ms bigint,
                attempts         integer NOT NULL DEFAULT 0,
                next_attempt_ms  bigint  NOT NULL DEFAULT 0,
                failing_since_ms bigint,
                last_error       text,
                UNIQUE (task_id, config_id)
            )
            """,
        ],
    ];

    /// <summary>Creates the schema in a database without one, or migrates an older one; refuses a newer one.</summary>
    public static void Ensure(NpgsqlConnection connection)
    {
        using var transaction = connection.BeginTransaction();
        Execute(connection, transaction, $"SELECT pg_advisory_xact_lock({MigrationLock})");
        Execute(connection, transaction, "CREATE TABLE IF NOT EXISTS herald_schema (version integer NOT NULL)");
        int version;
        using (var read = new NpgsqlCommand("SELECT max(version) FROM herald_schema", connection, transaction))
        {
            version = read.ExecuteScalar() is int v ? v : 0;
        }

        if (version > CurrentVersion)
        {
            throw new InvalidOperationException(
                $"The database '{connection.Database}' has Herald schema version {version}, newer than this Herald's ({CurrentVersion}). Use a newer Herald, or another database.");
        }

        for (; version < CurrentVersion; version++)
        {
            foreach (var statement in Migrations[version])
            {
                Execute(connection, transaction, statement);
            }

            Execute(connection, transaction, "DELETE FROM herald_schema");
            Execute(connection, transaction, $"INSERT INTO herald_schema (version) VALUES ({version + 1})");
        }

        transaction.Commit();
    }

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.ExecuteNonQuery();
    }
}
