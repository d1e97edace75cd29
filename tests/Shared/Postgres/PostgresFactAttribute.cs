namespace Herald.Testing;

/// <summary>A test that needs the test PostgreSQL cluster: skipped, with the reason, where it cannot run (<see cref="PostgresServer.SkipReason"/>).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute() => Skip = PostgresServer.SkipReason;
}
