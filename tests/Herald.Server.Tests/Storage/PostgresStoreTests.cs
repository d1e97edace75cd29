using Herald.Protocol;
using Herald.Server.Storage;
using Herald.Storage.Postgres;
using Npgsql;

namespace Herald.Server.Tests.Storage;

/// <summary>What only the PostgreSQL store has: migrations shared by replicas, and a listening connection that can drop.</summary>
public sealed class PostgresStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly List<TaskStore> _stores = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await ((IAsyncDisposable)store).DisposeAsync();
        }
    }

    [PostgresFact]
    public async Task ListeningConnectionKilled_WaitersWake_AndNotificationsFlowAgainAfterTheReconnect()
    {
        var applicationName = "herald-test-" + Guid.NewGuid().ToString("N")[..8];
        var (_, connectionString) = PostgresServer.Shared.CreateSchema($"Application Name={applicationName}");
        var store = Open(connectionString);
        var writer = Open(connectionString.Replace(applicationName, applicationName + "-writer", StringComparison.Ordinal));
        var task = NewTask();
        await store.CreateAsync(task);
        await store.WaitForEventsAsync(task.Id, 0).Within(); // the listener is up
        var waiting = store.WaitForEventsAsync(task.Id, 1).AsTask();

        // The server ends the listening session (as a restart or a network cut would), and an append lands meanwhile.
        Assert.Equal(1, await TerminateListenersAsync(applicationName));
        await writer.AppendAsync(task.Id, Status(task, TaskState.Working, T0.AddSeconds(1)));

        await waiting.Within();
        Assert.Equal([2L], (await store.ReadAsync(task.Id, 1, 10)).Select(e => e.Sequence));

        // Listening again: the next append wakes a waiter by notification.
        await WaitForListenerAsync(applicationName);
        var next = store.WaitForEventsAsync(task.Id, 2).AsTask();
        await writer.AppendAsync(task.Id, Status(task, TaskState.Completed, T0.AddSeconds(2)));
        await next.Within();
        Assert.Equal(TaskState.Completed, (await store.GetAsync(task.Id))!.Task.Status.State);
    }

    [PostgresFact]
    public async Task ConcurrentAppendersOnThreeInstances_OneTask_SequencesAndGenerationsHaveNoGapsOrDoubles()
    {
        var (_, connectionString) = PostgresServer.Shared.CreateSchema();
        TaskStore[] instances = [Open(connectionString), Open(connectionString), Open(connectionString)];
        var task = NewTask();
        await instances[0].CreateAsync(task);

        var appended = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => Task.Run(async () =>
            (await instances[i % 3].AppendAsync(task.Id, [Status(task, TaskState.Working, T0.AddSeconds(i)), Status(task, TaskState.Working, T0.AddSeconds(i))])).ToArray()))).Within();

        // Each batch got two consecutive sequences, and together they are 2..121 exactly once.
        Assert.All(appended, batch => Assert.Equal(batch[0].Sequence + 1, batch[1].Sequence));
        Assert.Equal(Enumerable.Range(2, 120).Select(i => (long)i), appended.SelectMany(b => b).Select(e => e.Sequence).Order());
        var log = await instances[2].ReadAsync(task.Id, 0, 1000);
        Assert.Equal(Enumerable.Range(1, 121).Select(i => (long)i), log.Select(e => e.Sequence));
        Assert.Equal(Enumerable.Range(1, 121).Select(i => (long)i), log.Select(e => e.Generation));
        Assert.Equal(121, (await instances[1].GetAsync(task.Id))!.Generation);
    }

    [PostgresFact]
    public async Task ReplicasStartingTogether_ApplyTheMigrationsOnce()
    {
        var (schema, connectionString) = PostgresServer.Shared.CreateSchema();

        var stores = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Open(connectionString)))).Within();

        await using var connection = new NpgsqlConnection(PostgresServer.Shared.ConnectionString(PostgresServer.TestDatabase, "Pooling=false"));
        await connection.OpenAsync();
        await using var versions = new NpgsqlCommand($"SELECT array_agg(version) FROM {schema}.herald_schema", connection);
        var applied = (int[])(await versions.ExecuteScalarAsync())!;
        Assert.Equal(4, Assert.Single(applied)); // this Herald's schema version
        var task = NewTask();
        await stores[0].CreateAsync(task);
        Assert.Equal(1, (await stores[3].GetAsync(task.Id))!.Sequence);
    }

    [PostgresFact]
    public async Task Version1Database_MigratesToPendingRuns_AndItsTasksGoOn()
    {
        // A version 1 database is this schema without what version 2 adds: pending_runs and the trace context columns.
        var (schema, connectionString) = PostgresServer.Shared.CreateSchema();
        var paused = NewTask();
        var v1 = Open(connectionString);
        await v1.CreateAsync(paused, new RunnerLease("runner-a", TimeSpan.FromSeconds(30)));
        await v1.AppendAsync(paused.Id, Status(paused, TaskState.InputRequired, T0.AddSeconds(1)), new AppendOptions { LeaseOwner = "runner-a", ReleaseLease = true });
        await PostgresServer.Shared.ExecuteAsync(PostgresServer.TestDatabase, $"DROP TABLE {schema}.push_configs; DROP TABLE {schema}.pending_runs; ALTER TABLE {schema}.tasks DROP COLUMN trace_parent, DROP COLUMN trace_state, DROP COLUMN owner, DROP COLUMN tenant; UPDATE {schema}.herald_schema SET version = 1");

        var migrated = Open(connectionString);
        var answer = TaskEvent.ForMessage(0, Message.UserText("answer") with { TaskId = paused.Id, ContextId = paused.ContextId }, T0.AddSeconds(2));
        var continued = await migrated.ContinuePendingAsync(paused.Id, answer, new byte[] { 1 });
        var claimed = await migrated.ClaimRunAsync(new RunnerLease("worker", TimeSpan.FromSeconds(30)));

        Assert.Equal(ContinueOutcome.Continued, continued.Outcome);
        Assert.Equal(paused.Id, claimed?.TaskId);
        await using var connection = new NpgsqlConnection(PostgresServer.Shared.ConnectionString(PostgresServer.TestDatabase, "Pooling=false"));
        await connection.OpenAsync();
        await using var version = new NpgsqlCommand($"SELECT array_agg(version) FROM {schema}.herald_schema", connection);
        var versions = (int[])(await version.ExecuteScalarAsync())!;
        Assert.Equal(4, Assert.Single(versions));
        Assert.Equal(TaskOwner.Anonymous, (await migrated.GetAsync(paused.Id))!.Owner);
    }

    [PostgresFact]
    public async Task NewerSchema_IsRefusedWithAClearMessage()
    {
        var (schema, connectionString) = PostgresServer.Shared.CreateSchema();
        Open(connectionString);
        await PostgresServer.Shared.ExecuteAsync(PostgresServer.TestDatabase, $"UPDATE {schema}.herald_schema SET version = 99");

        var error = Assert.Throws<InvalidOperationException>(() => PostgresTaskStore.Open(connectionString));

        Assert.Contains("schema version 99, newer than this Herald's (4)", error.Message, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task UnreachableDatabase_IsTransient()
    {
        var error = Assert.Throws<TaskStoreUnavailableException>(() => PostgresTaskStore.Open("Host=127.0.0.1;Port=1;Username=postgres;Timeout=2"));

        Assert.True(TaskStore.IsTransient(error));
        Assert.False(error.MayHaveCommitted);
        await Task.CompletedTask;
    }

    [PostgresFact]
    public async Task ConcurrentAppendsToManyTasks_CommitInFewerTransactionsThanWrites()
    {
        const int tasks = 50;
        var (schema, connectionString) = PostgresServer.Shared.CreateSchema();
        var store = Open(connectionString);
        var created = new List<AgentTask>();
        for (var i = 0; i < tasks; i++)
        {
            created.Add(NewTask());
            await store.CreateAsync(created[^1]);
        }

        var commitsBefore = Commits(store);

        // The writer's first group waits on a row lock held elsewhere, so every append below is queued before any commits.
        List<ValueTask<IReadOnlyList<TaskEvent>>> appends;
        await using (await RowLock.TakeAsync(schema, created[0].Id))
        {
            appends = [.. created.Select((t, i) => store.AppendAsync(t.Id, [Status(t, TaskState.Working, T0.AddSeconds(i))]))];
        }

        foreach (var append in appends)
        {
            Assert.Equal(2, Assert.Single(await append.Within()).Sequence);
        }

        // 50 writes: the group that met the lock, then one with all the others (the bound is 128).
        Assert.InRange(Commits(store) - commitsBefore, 1, 2);
        var other = Open(connectionString);
        foreach (var task in created)
        {
            Assert.Equal(TaskState.Working, (await other.GetAsync(task.Id))!.Task.Status.State);
        }
    }

    [PostgresFact]
    public async Task RefusedWritesInAGroup_LeaveTheOthersCommittedAndAcknowledged()
    {
        var (schema, connectionString) = PostgresServer.Shared.CreateSchema();
        var store = Open(connectionString);
        var good = Enumerable.Range(0, 5).Select(_ => NewTask()).ToArray();
        var (terminal, behind, leased, blocker) = (NewTask(), NewTask(), NewTask(), NewTask());
        foreach (var task in good.Append(terminal).Append(behind).Append(blocker))
        {
            await store.CreateAsync(task);
        }

        await store.CreateAsync(leased, new RunnerLease("runner-a", TimeSpan.FromMinutes(5)));
        await store.AppendAsync(terminal.Id, Status(terminal, TaskState.Completed, T0.AddSeconds(1)));
        await store.WaitForEventsAsync(blocker.Id, 0).Within(); // the listener is up
        var waiting = store.WaitForEventsAsync(good[2].Id, 1).AsTask();
        var commitsBefore = Commits(store);

        // Refused writes between good ones, all in the groups that form behind the lock.
        ValueTask<IReadOnlyList<TaskEvent>>[] accepted;
        Task[] refused;
        await using (await RowLock.TakeAsync(schema, blocker.Id))
        {
            var first = store.AppendAsync(blocker.Id, [Status(blocker, TaskState.Working, T0)]);
            var toTerminal = store.AppendAsync(terminal.Id, [Status(terminal, TaskState.Working, T0)]).AsTask();
            var g0 = store.AppendAsync(good[0].Id, [Status(good[0], TaskState.Working, T0)]);
            var conflict = store.AppendAsync(behind.Id, [Status(behind, TaskState.Working, T0)], new AppendOptions { ExpectedSequence = 7 }).AsTask();
            var g1 = store.AppendAsync(good[1].Id, [Status(good[1], TaskState.Working, T0)]);
            var leaseLost = store.AppendAsync(leased.Id, [Status(leased, TaskState.Working, T0)], new AppendOptions { LeaseOwner = "runner-b" }).AsTask();
            var g2 = store.AppendAsync(good[2].Id, [Status(good[2], TaskState.Working, T0)]);
            var exists = store.CreateAsync(good[3]).AsTask();
            var g3 = store.AppendAsync(good[3].Id, [Status(good[3], TaskState.Working, T0)]);
            var g4 = store.AppendAsync(good[4].Id, [Status(good[4], TaskState.Working, T0), Status(good[4], TaskState.Completed, T0)]);
            accepted = [first, g0, g1, g2, g3, g4];
            refused = [toTerminal, conflict, leaseLost, exists];
        }

        await Assert.ThrowsAsync<TaskAlreadyTerminalException>(() => refused[0].Within());
        await Assert.ThrowsAsync<AppendConflictException>(() => refused[1].Within());
        await Assert.ThrowsAsync<LeaseLostException>(() => refused[2].Within());
        await Assert.ThrowsAsync<TaskAlreadyExistsException>(() => refused[3].Within());
        foreach (var append in accepted)
        {
            Assert.Equal(2, (await append.Within())[0].Sequence);
        }

        Assert.InRange(Commits(store) - commitsBefore, 1, 2);

        // What was acknowledged is in the database (seen through another instance), the refused writes left nothing,
        // and the notification of a good write sent after refused ones woke its waiter.
        await waiting.Within();
        var other = Open(connectionString);
        Assert.Equal([1L, 2L], (await other.ReadAsync(good[2].Id, 0, 10)).Select(e => e.Sequence));
        Assert.Equal([1L, 2L, 3L], (await other.ReadAsync(good[4].Id, 0, 10)).Select(e => e.Sequence));
        Assert.Equal(TaskState.Completed, (await other.GetAsync(good[4].Id))!.Task.Status.State);
        Assert.Equal([1L, 2L], (await other.ReadAsync(terminal.Id, 0, 10)).Select(e => e.Sequence));
        Assert.Equal([1L], (await other.ReadAsync(behind.Id, 0, 10)).Select(e => e.Sequence));
        Assert.Equal([1L], (await other.ReadAsync(leased.Id, 0, 10)).Select(e => e.Sequence));
        Assert.Equal(TaskState.Submitted, (await other.GetAsync(leased.Id))!.Task.Status.State);
    }

    /// <summary>Five writes queued behind a lock: the group that met it holds one or two, then groups of two at most.</summary>
    [PostgresFact]
    public Task GroupCountBound_TwoWritesPerTransactionAtMost() => QueuedWritesCommitAsync(maxGroup: 2, maxBytes: 4 * 1024 * 1024, expectedCommits: 3);

    /// <summary>Every write over the size bound: each commits alone.</summary>
    [PostgresFact]
    public Task GroupSizeBound_WritesOverItCommitAlone() => QueuedWritesCommitAsync(maxGroup: 128, maxBytes: 1, expectedCommits: 5);

    private async Task QueuedWritesCommitAsync(int maxGroup, long maxBytes, int expectedCommits)
    {
        var (schema, connectionString) = PostgresServer.Shared.CreateSchema();
        var store = Open(connectionString, o => (o.MaxGroupCommit, o.MaxGroupCommitBytes) = (maxGroup, maxBytes));
        var tasks = Enumerable.Range(0, 5).Select(_ => NewTask()).ToArray();
        foreach (var task in tasks)
        {
            await store.CreateAsync(task);
        }

        var commitsBefore = Commits(store);
        List<ValueTask<IReadOnlyList<TaskEvent>>> appends;
        await using (await RowLock.TakeAsync(schema, tasks[0].Id))
        {
            appends = [.. tasks.Select(t => store.AppendAsync(t.Id, [Status(t, TaskState.Working, T0)]))];
        }

        foreach (var append in appends)
        {
            Assert.Equal(2, Assert.Single(await append.Within()).Sequence);
        }

        Assert.Equal(expectedCommits, Commits(store) - commitsBefore);
    }

    private static long Commits(TaskStore store) => ((PostgresStore)store).Commits;

    private TaskStore Open(string connectionString, Action<PostgresStoreOptions>? configure = null)
    {
        var options = new PostgresStoreOptions { ConnectionString = connectionString, ListenRetryDelay = TimeSpan.FromMilliseconds(50) };
        configure?.Invoke(options);
        var store = PostgresTaskStore.Open(options);
        lock (_stores)
        {
            _stores.Add(store);
        }

        return store;
    }

    private static async Task<int> TerminateListenersAsync(string applicationName)
    {
        await using var connection = new NpgsqlConnection(PostgresServer.Shared.ConnectionString(PostgresServer.TestDatabase, "Pooling=false"));
        await connection.OpenAsync();
        await using var kill = new NpgsqlCommand(
            "SELECT count(*)::int FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%') killed", connection)
        {
            Parameters = { new() { Value = applicationName } },
        };
        return (int)(await kill.ExecuteScalarAsync())!;
    }

    /// <summary>Until a session of that application listens again (bounded).</summary>
    private static async Task WaitForListenerAsync(string applicationName)
    {
        using var bound = Bounded.Token();
        await using var connection = new NpgsqlConnection(PostgresServer.Shared.ConnectionString(PostgresServer.TestDatabase, "Pooling=false"));
        await connection.OpenAsync(bound.Token);
        while (true)
        {
            await using var count = new NpgsqlCommand(
                "SELECT count(*)::int FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'", connection)
            {
                Parameters = { new() { Value = applicationName } },
            };
            if ((int)(await count.ExecuteScalarAsync(bound.Token))! > 0)
            {
                return;
            }

            await Task.Delay(20, bound.Token);
        }
    }

    private static AgentTask NewTask() => new()
    {
        Id = Guid.NewGuid().ToString(),
        ContextId = "ctx-" + Guid.NewGuid().ToString("N"),
        Status = new AgentTaskStatus { State = TaskState.Submitted, Timestamp = T0 },
    };

    private static TaskEvent Status(AgentTask task, TaskState state, DateTimeOffset at) => TaskEvent.ForStatus(0, new TaskStatusUpdateEvent
    {
        TaskId = task.Id,
        ContextId = task.ContextId!,
        Status = new AgentTaskStatus { State = state, Timestamp = at },
    }, at);

    /// <summary>A row of the tasks table locked by another session until disposed: writers of that task wait.</summary>
    private sealed class RowLock(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
    {
        public static async Task<RowLock> TakeAsync(string schema, string taskId)
        {
            var connection = new NpgsqlConnection(PostgresServer.Shared.ConnectionString(PostgresServer.TestDatabase, "Pooling=false"));
            await connection.OpenAsync();
            var transaction = await connection.BeginTransactionAsync();
            await using var select = new NpgsqlCommand($"SELECT 1 FROM {schema}.tasks WHERE task_id = $1 FOR UPDATE", connection, transaction)
            {
                Parameters = { new() { Value = taskId } },
            };
            Assert.NotNull(await select.ExecuteScalarAsync());
            return new RowLock(connection, transaction);
        }

        public async ValueTask DisposeAsync()
        {
            await transaction.RollbackAsync();
            await connection.DisposeAsync();
        }
    }
}
