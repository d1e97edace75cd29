using Herald.Server.Agents;
using Herald.Server.Storage;
using Herald.Storage.Postgres;
using Herald.Storage.Sqlite;

namespace Herald.Server.Tests.Engine;

/// <summary>The stores the engine tests run against: every engine test runs on each.</summary>
public enum StoreKind
{
    InMemory,
    Sqlite,

    /// <summary>PostgreSQL: each store on a schema of its own in the test cluster (<see cref="PostgresServer"/>).</summary>
    Postgres,
}

/// <summary>
/// Base of the engine test classes: each is abstract, with one subclass per store (see
/// <c>StoreVariants.cs</c>), so the engine's behaviour is checked on every store, not only in memory.
/// </summary>
public abstract class EngineTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    protected abstract StoreKind Kind { get; }

    /// <summary>The clock of this test's stores and engines.</summary>
    private protected TestClock Clock { get; } = new();

    public void Dispose()
    {
        _directory.Dispose();
        GC.SuppressFinalize(this);
    }

    private protected EngineHarness Harness(
        Func<AgentContext, CancellationToken, Task>? agent = null,
        Action<HeraldOptions>? configure = null,
        AgentResponseMode mode = AgentResponseMode.Task) =>
        EngineHarness.Create(agent, configure, mode, NewStore, Clock);

    /// <summary>A new, empty store of this class's kind.</summary>
    protected TaskStore NewStore() => Kind switch
    {
        StoreKind.InMemory => TaskStore.CreateInMemory(Clock),

        // Normal durability: the tests check behaviour, and a sync to disk per commit only makes them slower.
        StoreKind.Sqlite => SqliteTaskStore.Open(new SqliteStoreOptions
        {
            DatabasePath = Path.Combine(_directory.Path, Guid.NewGuid().ToString("N") + ".db"),
            Durability = SqliteDurability.Normal,
            TimeProvider = Clock,
        }),
        StoreKind.Postgres => PostgresTaskStore.Open(new PostgresStoreOptions
        {
            ConnectionString = PostgresServer.Shared.CreateSchema().ConnectionString,
            TimeProvider = Clock,
        }),
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, null),
    };
}
