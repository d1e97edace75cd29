namespace Herald.Server.Tests.Engine;

#pragma warning disable SA1402 // One line per class: the variants are declarations only.

public sealed class TaskEngineSendTestsInMemory : TaskEngineSendTests
{
    protected override StoreKind Kind => StoreKind.InMemory;
}

public sealed class TaskEngineSendTestsSqlite : TaskEngineSendTests
{
    protected override StoreKind Kind => StoreKind.Sqlite;
}

public sealed class TaskEngineQueryTestsInMemory : TaskEngineQueryTests
{
    protected override StoreKind Kind => StoreKind.InMemory;
}

public sealed class TaskEngineQueryTestsSqlite : TaskEngineQueryTests
{
    protected override StoreKind Kind => StoreKind.Sqlite;
}

public sealed class SubscriptionTestsInMemory : SubscriptionTests
{
    protected override StoreKind Kind => StoreKind.InMemory;
}

public sealed class SubscriptionTestsSqlite : SubscriptionTests
{
    protected override StoreKind Kind => StoreKind.Sqlite;
}

public sealed class TaskEngineCancelTestsInMemory : TaskEngineCancelTests
{
    protected override StoreKind Kind => StoreKind.InMemory;
}

public sealed class TaskEngineCancelTestsSqlite : TaskEngineCancelTests
{
    protected override StoreKind Kind => StoreKind.Sqlite;
}

public sealed class HeraldTasksTestsInMemory : Herald.Server.Tests.HeraldTasksTests
{
    protected override StoreKind Kind => StoreKind.InMemory;
}

public sealed class HeraldTasksTestsSqlite : Herald.Server.Tests.HeraldTasksTests
{
    protected override StoreKind Kind => StoreKind.Sqlite;
}

public sealed class ClientChosenTaskIdTestsInMemory : ClientChosenTaskIdTests
{
    protected override StoreKind Kind => StoreKind.InMemory;
}

public sealed class ClientChosenTaskIdTestsSqlite : ClientChosenTaskIdTests
{
    protected override StoreKind Kind => StoreKind.Sqlite;
}

public sealed class StoreFaultTestsInMemory : StoreFaultTests
{
    protected override StoreKind Kind => StoreKind.InMemory;
}

public sealed class StoreFaultTestsSqlite : StoreFaultTests
{
    protected override StoreKind Kind => StoreKind.Sqlite;
}

public sealed class GenerationEngineTestsInMemory : GenerationEngineTests
{
    protected override StoreKind Kind => StoreKind.InMemory;
}

public sealed class GenerationEngineTestsSqlite : GenerationEngineTests
{
    protected override StoreKind Kind => StoreKind.Sqlite;
}

public sealed class TaskEngineSendTestsPostgres : TaskEngineSendTests, INeedPostgres
{
    protected override StoreKind Kind => StoreKind.Postgres;
}

public sealed class TaskEngineQueryTestsPostgres : TaskEngineQueryTests, INeedPostgres
{
    protected override StoreKind Kind => StoreKind.Postgres;
}

public sealed class SubscriptionTestsPostgres : SubscriptionTests, INeedPostgres
{
    protected override StoreKind Kind => StoreKind.Postgres;
}

public sealed class TaskEngineCancelTestsPostgres : TaskEngineCancelTests, INeedPostgres
{
    protected override StoreKind Kind => StoreKind.Postgres;
}

public sealed class HeraldTasksTestsPostgres : Herald.Server.Tests.HeraldTasksTests, INeedPostgres
{
    protected override StoreKind Kind => StoreKind.Postgres;
}

public sealed class ClientChosenTaskIdTestsPostgres : ClientChosenTaskIdTests, INeedPostgres
{
    protected override StoreKind Kind => StoreKind.Postgres;
}

public sealed class StoreFaultTestsPostgres : StoreFaultTests, INeedPostgres
{
    protected override StoreKind Kind => StoreKind.Postgres;
}

public sealed class GenerationEngineTestsPostgres : GenerationEngineTests, INeedPostgres
{
    protected override StoreKind Kind => StoreKind.Postgres;
}
