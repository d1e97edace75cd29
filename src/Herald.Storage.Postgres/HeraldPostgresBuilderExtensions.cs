using Herald.Server.Hosting;
using Herald.Server.Storage;
using Herald.Storage.Postgres;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

// In the DI namespace, as AddHerald is, so no extra using is needed.
#pragma warning disable IDE0130
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>Registers the PostgreSQL store.</summary>
public static class HeraldPostgresBuilderExtensions
{
    /// <summary>
    /// Keeps tasks in the PostgreSQL database named by <paramref name="connectionString"/> (an Npgsql connection string):
    /// any number of replicas may share it, each serving any request; Herald's tables are created or migrated at start-up.
    /// </summary>
    public static IHeraldBuilder UsePostgres(this IHeraldBuilder builder, string connectionString, Action<PostgresStoreOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return Use(builder, new PostgresStoreOptions { ConnectionString = connectionString }, configure);
    }

    /// <summary>
    /// Keeps tasks in the database of <paramref name="dataSource"/>, built by the host (for example with Npgsql's
    /// OpenTelemetry hooks); the host keeps ownership of it and disposes it.
    /// </summary>
    public static IHeraldBuilder UsePostgres(this IHeraldBuilder builder, NpgsqlDataSource dataSource, Action<PostgresStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        return Use(builder, new PostgresStoreOptions { DataSource = dataSource }, configure);
    }

    private static IHeraldBuilder Use(IHeraldBuilder builder, PostgresStoreOptions options, Action<PostgresStoreOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        configure?.Invoke(options);

        // The container disposes it (IAsyncDisposable) when the host stops, after the engine's shutdown has run.
        builder.Services.Replace(ServiceDescriptor.Singleton<TaskStore>(_ => PostgresTaskStore.Open(options)));
        return builder;
    }
}
