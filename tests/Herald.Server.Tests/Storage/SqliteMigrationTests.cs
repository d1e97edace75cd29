using Herald.Protocol;
using Herald.Server.Storage;
using Herald.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Herald.Server.Tests.Storage;

/// <summary>
/// Schema migrations: a database written by an older Herald opens with this one, and what the newer schema
/// adds is computed from what the old one holds.
/// </summary>
public sealed class SqliteMigrationTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Open_Version1Database_ComputesGenerationsFromTheStoredLog()
    {
        var path = Path.Combine(_directory.Path, "v1.db");
        var busy = NewTask("busy");
        var quiet = NewTask("quiet");
        using (var v1 = Version1Database.Create(path))
        {
            // busy: created | working, chunk, chunk | follow-up message | input-required (generations 1 | 2 3 4 | 4 | 5).
            v1.InsertTask(busy, TaskState.InputRequired, lastSeq: 6, historyCount: 1);
            v1.InsertSegment(busy.Id, 1, [TaskEvent.Created(0, busy, T0)]);
            v1.InsertSegment(busy.Id, 2, [Status(busy, TaskState.Working, 1), Chunk(busy, "x", append: false), Chunk(busy, "y", append: true)]);
            v1.InsertSegment(busy.Id, 5, [TaskEvent.ForMessage(0, Message.UserText("more") with { TaskId = busy.Id, ContextId = busy.ContextId }, T0.AddSeconds(2))]);
            v1.InsertSegment(busy.Id, 6, [Status(busy, TaskState.InputRequired, 3)]);
            v1.InsertTask(quiet, TaskState.Submitted, lastSeq: 1, historyCount: 0);
            v1.InsertSegment(quiet.Id, 1, [TaskEvent.Created(0, quiet, T0)]);
        }

        await using var store = (SqliteStore)SqliteTaskStore.Open(new SqliteStoreOptions { DatabasePath = path });

        Assert.Equal(SqliteSchema.CurrentVersion, ReadVersion(path));
        Assert.Equal(5, SqliteSchema.CurrentVersion);
        Assert.Equal([(1L, 1L), (2, 2), (3, 3), (4, 4), (5, 4), (6, 5)], (await store.ReadAsync(busy.Id, 0, 100)).Select(e => (e.Sequence, e.Generation)));
        Assert.Equal([(4L, 4L), (5, 4), (6, 5)], (await store.ReadAsync(busy.Id, 3, 100)).Select(e => (e.Sequence, e.Generation)));
        Assert.Equal([(1L, 1L)], (await store.ReadAsync(quiet.Id, 0, 100)).Select(e => (e.Sequence, e.Generation)));
        Assert.Equal(5, (await store.GetAsync(busy.Id))!.Generation);
        Assert.Equal(1, (await store.GetAsync(quiet.Id))!.Generation);
        var page = await store.ListAsync(new TaskQuery { ContextId = busy.ContextId, PageSize = 10 });
        Assert.Equal(5, page.Tasks.Single().Generation);

        // The migrated task goes on from its generation.
        var mismatch = await store.ContinueAsync(busy.Id, UserMessage(busy, "stale"), new RunnerLease("r", TimeSpan.FromSeconds(30)), expectedGeneration: 4);
        var trace = new TaskTraceContext("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        var untraced = (await store.GetAsync(busy.Id))!.TraceContext;
        var continued = await store.ContinueAsync(busy.Id, UserMessage(busy, "answer").WithTraceContext(trace), new RunnerLease("r", TimeSpan.FromSeconds(30)), expectedGeneration: 5);
        var working = await store.AppendAsync(busy.Id, Status(busy, TaskState.Working, 5), new AppendOptions { LeaseOwner = "r" });

        Assert.Equal(ContinueOutcome.GenerationMismatch, mismatch.Outcome);
        Assert.Equal(ContinueOutcome.Continued, continued.Outcome);
        Assert.Equal((7L, 5L), (continued.Message!.Sequence, continued.Message.Generation));
        Assert.Null(untraced); // tasks stored before version 3 have no trace context
        Assert.Equal(TaskOwner.Anonymous, (await store.GetAsync(busy.Id))!.Owner); // nor an owner (version 4): anonymous
        Assert.Equal(2, (await store.ListAsync(new TaskQuery { Owner = TaskOwner.Anonymous, PageSize = 10 })).TotalSize);
        Assert.Equal(trace, (await store.GetAsync(busy.Id))!.TraceContext);
        Assert.Equal((8L, 6L), (working.Sequence, working.Generation));
        Assert.Equal([(7L, 5L), (8, 6)], (await store.ReadAsync(busy.Id, 6, 100)).Select(e => (e.Sequence, e.Generation)));
    }

    [Fact]
    public async Task Open_CurrentVersionDatabase_OpensAgainWithoutMigrating()
    {
        var path = Path.Combine(_directory.Path, "current.db");
        var task = NewTask("t");
        await using (var store = (SqliteStore)SqliteTaskStore.Open(new SqliteStoreOptions { DatabasePath = path }))
        {
            await store.CreateAsync(task);
            await store.AppendAsync(task.Id, [Status(task, TaskState.Working, 1), Chunk(task, "x", append: false)]);
        }

        await using (var reopened = (SqliteStore)SqliteTaskStore.Open(new SqliteStoreOptions { DatabasePath = path }))
        {
            Assert.Equal([1L, 2, 3], (await reopened.ReadAsync(task.Id, 0, 100)).Select(e => e.Generation));
            Assert.Equal(3, (await reopened.GetAsync(task.Id))!.Generation);
        }

        Assert.Equal(SqliteSchema.CurrentVersion, ReadVersion(path));
    }

    private static AgentTask NewTask(string name) => new()
    {
        Id = name + "-" + Guid.NewGuid().ToString("N"),
        ContextId = "ctx-" + Guid.NewGuid().ToString("N"),
        Status = new AgentTaskStatus { State = TaskState.Submitted, Timestamp = T0 },
    };

    private static TaskEvent Status(AgentTask task, TaskState state, int second) => TaskEvent.ForStatus(0, new TaskStatusUpdateEvent
    {
        TaskId = task.Id,
        ContextId = task.ContextId!,
        Status = new AgentTaskStatus { State = state, Timestamp = T0.AddSeconds(second) },
    }, T0.AddSeconds(second));

    private static TaskEvent Chunk(AgentTask task, string text, bool append) => TaskEvent.ForArtifact(0, new TaskArtifactUpdateEvent
    {
        TaskId = task.Id,
        ContextId = task.ContextId!,
        Artifact = new Artifact { ArtifactId = "a", Parts = [Part.FromText(text)] },
        Append = append ? true : null,
    }, T0.AddSeconds(1));

    private static TaskEvent UserMessage(AgentTask task, string text) =>
        TaskEvent.ForMessage(0, Message.UserText(text) with { TaskId = task.Id, ContextId = task.ContextId }, T0.AddSeconds(4));

    private static long ReadVersion(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT version FROM herald_schema";
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>A database as a version 1 Herald wrote it: the version 1 tables, filled through their own columns.</summary>
    private sealed class Version1Database : IDisposable
    {
        private readonly SqliteConnection _connection;

        private Version1Database(SqliteConnection connection) => _connection = connection;

        public static Version1Database Create(string path)
        {
            var connection = new SqliteConnection($"Data Source={path};Pooling=False");
            connection.Open();
            var database = new Version1Database(connection);
            foreach (var statement in SqliteSchema.Version1)
            {
                database.Execute(statement);
            }

            database.Execute("CREATE TABLE herald_schema (version INTEGER NOT NULL)");
            database.Execute("INSERT INTO herald_schema (version) VALUES (1)");
            return database;
        }

        public void InsertTask(AgentTask task, TaskState state, long lastSeq, int historyCount)
        {
            var status = new AgentTaskStatus { State = state, Timestamp = T0.AddSeconds(lastSeq) };
            Execute(
                "INSERT INTO tasks (task_id, context_id, state, status_ms, status_json, metadata_json, last_seq, history_count, artifact_count, ended_ms, lease_owner, lease_expires_ms) " +
                "VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, 0, NULL, NULL, NULL)",
                task.Id, task.ContextId, (long)state, StoredForms.ToMs(status.Timestamp!.Value), StoredForms.Encode(status, A2AJsonContext.Default.AgentTaskStatus),
                lastSeq, (long)historyCount);
            for (var i = 0; i < historyCount; i++)
            {
                Execute("INSERT INTO history (task_id, idx, message_json) VALUES ($1, $2, $3)",
                    task.Id, (long)i, StoredForms.Encode(Message.UserText("h" + i), A2AJsonContext.Default.Message));
            }

            Execute("INSERT INTO task_counts (state, count) VALUES ($1, 1) ON CONFLICT (state) DO UPDATE SET count = count + 1", (long)state);
        }

        public void InsertSegment(string taskId, long firstSequence, TaskEvent[] events) =>
            Execute("INSERT INTO event_segments (task_id, last_seq, first_seq, events) VALUES ($1, $2, $3, $4)",
                taskId, firstSequence + events.Length - 1, firstSequence, EventSegment.Pack(events, 0, events.Length));

        public void Dispose() => _connection.Dispose();

        private void Execute(string sql, params object?[] values)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = sql;
            for (var i = 0; i < values.Length; i++)
            {
                command.Parameters.AddWithValue("$" + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), values[i] ?? DBNull.Value);
            }

            command.ExecuteNonQuery();
        }
    }
}
