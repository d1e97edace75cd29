namespace Herald.Storage.Postgres;

/// <summary>PostgreSQL's own parts of how values are kept (the shared forms are <see cref="Herald.Server.Storage.StoredForms"/>).</summary>
internal static class PostgresCodec
{
    /// <summary>"Now" in SQL: the test clock's instant when one is passed, else the database's clock (every replica shares it).</summary>
    public static string Now(int parameter) => $"COALESCE(${parameter}::bigint, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)";
}
