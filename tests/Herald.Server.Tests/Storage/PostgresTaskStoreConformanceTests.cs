using Herald.Server.Storage;
using Herald.Storage.Postgres;
using Npgsql;

namespace Herald.Server.Tests.Storage;

/// <summary>The conformance suite on PostgreSQL: each test class instance on a schema of its own in the shared test cluster (a lock timeout of 1 s for BreakProviderAsync).</summary>
public sealed class PostgresTaskStoreConformanceTests : DurableTaskStoreConformanceTests, INeedPostgres
{
    private readonly Lazy<(string Schema, string ConnectionString)> _schema = new(() => PostgresServer.Shared.CreateSchema("Options=-c lock_timeout=1000"));

    protected override TaskStore CreateStore() => Open();

    protected override TaskStore OpenSecond(TaskStore existing) => Track(Open());

    protected override async Task<TaskStore> ReopenAsync(TaskStore existing)
    {
        await ((IAsyncDisposable)existing).DisposeAsync();
        return Track(Open());
    }

    /// <summary>
    /// Another session locks the tasks table against writers (reads go on): the store's writes wait for their row lock
    /// until the lock timeout of the test's connection string, and PostgreSQL answers 55P03 (lock not available).
    /// </summary>
    protected override async Task<IAsyncDisposable> BreakProviderAsync(TaskStore store)
    {
        var connection = new NpgsqlConnection(PostgresServer.Shared.ConnectionString(PostgresServer.TestDatabase, "Pooling=false"));
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using (var lockTable = new NpgsqlCommand($"LOCK TABLE {_schema.Value.Schema}.tasks IN EXCLUSIVE MODE", connection, transaction))
        {
            await lockTable.ExecuteNonQueryAsync();
        }

        return new LockHolder(connection, transaction);
    }

    private TaskStore Open() => PostgresTaskStore.Open(new PostgresStoreOptions
    {
        ConnectionString = _schema.Value.ConnectionString,
        TimeProvider = Clock,
    });

    private sealed class LockHolder(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await transaction.RollbackAsync();
            await connection.DisposeAsync();
        }
    }
}
