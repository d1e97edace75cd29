using Herald.Server.Storage;
using Microsoft.Data.Sqlite;

namespace Herald.Storage.Sqlite;

/// <summary>
/// The store's fault model for SQLite: which provider errors may pass (the operation can be retried) and
/// how they reach callers (<see cref="TaskStoreUnavailableException"/>). Everything else is not transient:
/// a corrupt file or a schema mismatch does not heal by retrying.
/// </summary>
internal static class SqliteFaults
{
    private const int Busy = 5;
    private const int Locked = 6;
    private const int NoMemory = 7;
    private const int ReadOnly = 8;
    private const int IoError = 10;
    private const int Full = 13;
    private const int CantOpen = 14;
    private const int Protocol = 15;

    /// <summary>True for a busy or locked database, a full disk or quota, an I/O error, a file that cannot be opened right now.</summary>
    public static bool IsTransient(Exception exception) => exception is SqliteException
    {
        SqliteErrorCode: Busy or Locked or NoMemory or ReadOnly or IoError or Full or CantOpen or Protocol,
    };

    /// <summary>The transient error as callers see it. SQLite commits atomically: a write that failed did not happen.</summary>
    public static TaskStoreUnavailableException Unavailable(Exception exception, bool write) =>
        new(Describe(exception, write), exception) { MayHaveCommitted = false };

    private static string Describe(Exception exception, bool write)
    {
        var what = write ? "write" : "read";
        return exception is SqliteException { SqliteErrorCode: Full }
            ? $"The SQLite database is full (disk or size limit); the {what} can be retried once space is freed."
            : $"The SQLite database is unavailable ({((SqliteException)exception).SqliteErrorCode}: {exception.Message}); the {what} can be retried.";
    }
}
