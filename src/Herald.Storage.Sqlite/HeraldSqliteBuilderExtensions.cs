using Herald.Server.Hosting;
using Herald.Server.Storage;
using Herald.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection.Extensions;

// In the DI namespace, as AddHerald is, so no extra using is needed.
#pragma warning disable IDE0130
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>Registers the SQLite store.</summary>
public static class HeraldSqliteBuilderExtensions
{
    /// <summary>
    /// Keeps tasks in the SQLite database at <paramref name="databasePath"/> (created when missing): they
    /// survive restarts, and tasks that were running when a process died are failed with a reason at start-up.
    /// </summary>
    public static IHeraldBuilder UseSqlite(this IHeraldBuilder builder, string databasePath, Action<SqliteStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        var options = new SqliteStoreOptions { DatabasePath = databasePath };
        configure?.Invoke(options);

        // The container disposes it (IAsyncDisposable) when the host stops, after the engine's shutdown has run.
        builder.Services.Replace(ServiceDescriptor.Singleton<TaskStore>(services =>
        {
            options.TimeProvider ??= services.GetService<TimeProvider>();
            return SqliteTaskStore.Open(options);
        }));
        return builder;
    }
}
