using System.Globalization;
using Npgsql;

namespace Herald.LoadGen;

/// <summary>
/// What the PostgreSQL scenarios add: replicas (clients spread over every replica of one database), append-to-receipt
/// latency across replicas, and the database's own write counters around a many-tasks run.
/// </summary>
internal sealed partial class Scenarios
{
    /// <summary>How long PostgreSQL may keep a backend's counters before publishing them (it flushes them at most once a second).</summary>
    private static readonly TimeSpan StatsSettle = TimeSpan.FromMilliseconds(1200);

    /// <summary>The replica client <paramref name="i"/> talks to: round robin over <c>--replicas</c>, else the one server.</summary>
    private Uri Replica(int i) => options.Replicas.Count == 0 ? options.Url : options.Replicas[i % options.Replicas.Count];

    // ---- replica-latency: a task started on replica A, read by a subscriber on replica B ----

    private async Task<List<Measurement>> ReplicaLatencyAsync()
    {
        if (options.Replicas.Count < 2 || _grpc is not null)
        {
            throw new ArgumentException("replica-latency needs --replicas A,B,... (two at least) and the JSON-RPC or REST binding.");
        }

        await WarmUpAsync();
        var reader = Replica(1);
        var delay = (1000.0 / options.Rate).ToString("0.###", CultureInfo.InvariantCulture);

        // Warm-up over the same path at the same rate (the subscriber's replica has not served a stream yet), discarded.
        using (var warm = new CancellationTokenSource(options.Timeout))
        {
            await SubscribeAcrossAsync(new StreamRecorder(recordLatency: true), (int)options.Rate, delay, reader, warm.Token);
        }

        var n = (int)(options.Rate * options.Duration.TotalSeconds);
        var run = new StreamRecorder(recordLatency: true, expectedChunks: n);
        using var cts = new CancellationTokenSource(options.Timeout + options.Duration);
        await SubscribeAcrossAsync(run, n, delay, reader, cts.Token);
        var latencies = run.LatenciesUs.Select(us => us / 1000.0).Order().ToArray();
        var m = new Measurement { Name = $"replica-latency rate={options.Rate:0}/s" };
        if (latencies.Length > 0)
        {
            m.Metrics["p50_ms"] = Percentile(latencies, 0.50);
            m.Metrics["p90_ms"] = Percentile(latencies, 0.90);
            m.Metrics["p99_ms"] = Percentile(latencies, 0.99);
            m.Metrics["max_ms"] = latencies[^1];
            m.Metrics["chunks"] = latencies.Length;
            m.Metrics["achieved_rate"] = run.Chunks / Seconds(run.FirstChunkTicks, run.EndTicks);
        }

        m.Metrics["replicas"] = options.Replicas.Count;
        Check(m, run.Completed && !run.JoinedLate && latencies.Length == n && (latencies.Length == 0 || latencies[0] >= -0.05),
            run.JoinedLate ? "the subscriber attached after the first chunk (raise the start delay)" : run.Error ?? $"{latencies.Length}/{n} chunks timestamped");
        log($"  replica-latency: {latencies.Length} chunks appended on {options.Url.Authority}, received on {reader.Authority}: p50 {m.Metrics.GetValueOrDefault("p50_ms"):F3} ms, p99 {m.Metrics.GetValueOrDefault("p99_ms"):F3} ms");
        return [m];
    }

    /// <summary>
    /// Starts a task of <paramref name="n"/> chunks on the first replica (it runs the agent there) and follows it with a
    /// subscription on <paramref name="reader"/>; the agent waits long enough before its first chunk for the subscriber
    /// to attach (checked: a subscriber that joins late sees chunks in its first snapshot).
    /// </summary>
    private async Task SubscribeAcrossAsync(StreamRecorder recorder, int n, string delay, Uri reader, CancellationToken cancellationToken)
    {
        var taskId = await StartTaskAsync($"{n} delay={delay} start=750", cancellationToken);
        await RunSubscribeAsync(recorder, taskId, cancellationToken, reader);
    }

    // ---- the database's counters ----

    /// <summary>
    /// The database's committed transactions (reads included: every statement outside a transaction is one) and WAL syncs
    /// (each one a durable commit of everything written before it), after letting every backend publish its counters;
    /// null without <c>--pg</c>.
    /// </summary>
    private async Task<DatabaseSample?> SampleDatabaseAsync(CancellationToken cancellationToken)
    {
        if (options.PgConnection is not { } connectionString)
        {
            return null;
        }

        await Task.Delay(StatsSettle, cancellationToken);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var read = new NpgsqlCommand(
            "SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()), (SELECT wal_sync FROM pg_stat_wal), " +
            "(SELECT wal_bytes FROM pg_stat_wal)::bigint", connection);
        await using var row = await read.ExecuteReaderAsync(cancellationToken);
        await row.ReadAsync(cancellationToken);
        return new DatabaseSample(row.GetInt64(0), row.GetInt64(1), row.GetInt64(2));
    }

    /// <summary>The database's rates over the measured runs (their durations only), and what one commit carried.</summary>
    private static void AddDatabaseRates(Measurement m, List<(DatabaseSample Before, DatabaseSample After, double Seconds)> runs, long events)
    {
        if (runs.Count == 0)
        {
            return;
        }

        var seconds = runs.Sum(r => r.Seconds);
        var commits = runs.Sum(r => r.After.Commits - r.Before.Commits);
        var syncs = runs.Sum(r => r.After.WalSyncs - r.Before.WalSyncs);
        var walBytes = runs.Sum(r => r.After.WalBytes - r.Before.WalBytes);
        m.Metrics["db_commits_per_s"] = commits / seconds;
        m.Metrics["db_wal_syncs_per_s"] = syncs / seconds;
        m.Metrics["db_wal_mib_per_s"] = walBytes / seconds / (1024.0 * 1024);
        if (syncs > 0)
        {
            m.Metrics["events_per_wal_sync"] = events / (double)syncs;
        }
    }

    private sealed record DatabaseSample(long Commits, long WalSyncs, long WalBytes);
}
