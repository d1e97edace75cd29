using Herald.Server.Storage;
using Npgsql;

namespace Herald.Storage.Postgres;

/// <summary>
/// The store's fault model for PostgreSQL: which errors may pass (the operation can be retried) and how they reach
/// callers (<see cref="TaskStoreUnavailableException"/>). Everything else (a syntax error, a constraint the store does
/// not expect, a schema mismatch) is a bug or a misconfiguration and goes through as it is.
/// </summary>
internal static class PostgresFaults
{
    /// <summary>
    /// True for a connection that failed or broke (any Npgsql error that is not the server's answer), and for server
    /// answers that say "not now": Npgsql's transient ones, serialization failures, deadlocks, lock and statement
    /// timeouts, shutdowns and restarts, the connection exception class (08), too many connections or a full disk (53).
    /// </summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        PostgresException pg => pg.IsTransient || pg.SqlState is "40001" or "40P01" or "55P03" or "57014" or "57P01" or "57P02" or "57P03" or "57P05"
            || pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("53", StringComparison.Ordinal),
        NpgsqlException => true,
        TimeoutException or System.Net.Sockets.SocketException or IOException => true,
        _ => false,
    };

    /// <summary>The transient error as callers see it.</summary>
    /// <param name="exception">What the provider threw.</param>
    /// <param name="write">Whether the operation was a write.</param>
    /// <param name="mayHaveCommitted">Whether it failed while committing: the outcome is then unknown.</param>
    public static TaskStoreUnavailableException Unavailable(Exception exception, bool write, bool mayHaveCommitted) =>
        new($"The PostgreSQL database is unavailable ({Describe(exception)}); the {(write ? "write" : "read")} can be retried.", exception)
        {
            MayHaveCommitted = mayHaveCommitted,
        };

    private static string Describe(Exception exception) =>
        exception is PostgresException pg ? $"{pg.SqlState}: {pg.MessageText}" : exception.Message;
}
