namespace Herald.Testing;

/// <summary>
/// Marks a test class whose tests need the test PostgreSQL cluster (<see cref="PostgresServer"/>): where PostgreSQL is not
/// installed (and CI does not require it), <see cref="StoreFactAttribute"/> and <see cref="StoreTheoryAttribute"/> tests of
/// such a class are reported as skipped, with the reason.
/// </summary>
public interface INeedPostgres;
