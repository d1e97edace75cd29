using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Herald.LoadGen;

/// <summary>Issue 21's figures: Herald on PostgreSQL, one replica and three sharing one database.</summary>
internal static partial class Report
{
    private const string PgLabel = "herald-pg";
    private const string Pg3Label = "herald-pg3";

    /// <summary>The issue's target for append on one replica to receipt on another.</summary>
    private const double ReplicaP99TargetMs = 20;

    private static bool IsPostgres(string label) => label.StartsWith(PgLabel, StringComparison.Ordinal);

    private static void AppendPostgres(StringBuilder md, Func<string, string, Measurement?> get, IReadOnlyDictionary<string, string> args)
    {
        md.AppendLine("## PostgreSQL (issue 21: replicas on one database)");
        md.AppendLine();
        var dir = args.GetValueOrDefault("dir") ?? "";
        var skipped = Path.Combine(dir, "postgres-skipped.txt");
        if (File.Exists(skipped))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"Not measured in this run: {File.ReadAllText(skipped).Trim()}.");
            md.AppendLine();
            return;
        }

        md.AppendLine("A throwaway PostgreSQL cluster on 127.0.0.1, started by `bench/run.sh` with durable settings (`fsync` and");
        md.AppendLine("`synchronous_commit` on, as operators run it), on this machine's disk. **herald-pg** is one bench server on it (`--postgres`);");
        md.AppendLine("**3 replicas** are three bench servers sharing another database: a task is started on the first, subscribers and");
        md.AppendLine("clients are spread over the three. Each server commits the writes of all its tasks in groups (one transaction, one");
        md.AppendLine("savepoint per write); the database is also a process on this 2-core machine.");
        md.AppendLine();
        md.AppendLine("| Figure | Measured | Compared | Checks |");
        md.AppendLine("|---|---|---|---|");

        // One stream: the largest size measured on every store.
        var streamName = LargestCommon(get, "stream N=", [PgLabel, SqliteLabel, HeraldLabel]) ?? LargestCommon(get, "stream N=", [PgLabel]);
        var stream = streamName is null ? null : get(PgLabel, streamName);
        if (stream is null)
        {
            md.AppendLine("| one stream through PostgreSQL | not measured | – | – |");
        }
        else
        {
            var pg = Value(stream, "events_per_s");
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| one stream of {Pretty(streamName!)[9..]} chunks (events/s) | {Format(pg)} ({Format(Value(stream, "server_cpu_us_per_event"))} server CPU µs/event) | {Ratio(pg, Value(get(SqliteLabel, streamName!), "events_per_s"))} of SQLite, {Ratio(pg, Value(get(HeraldLabel, streamName!), "events_per_s"))} of in memory | {Checks("stream", stream)} |");
        }

        var latency = get(Pg3Label, "replica-latency rate=1000/s");
        if (latency is null)
        {
            md.AppendLine("| append on replica A to receipt on replica B, 1,000 events/s | not measured | – | – |");
        }
        else
        {
            var p99 = Value(latency, "p99_ms");
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| append on replica A to receipt on replica B, 1,000 events/s | median {Format(Value(latency, "p50_ms"))} ms, p99 {Format(p99)} ms | target p99 < {ReplicaP99TargetMs:F0} ms: {(latency.Ok && p99 < ReplicaP99TargetMs ? "met" : "**missed**")} | {(latency.Ok ? "✓" : "⚠ " + latency.Problem)} {Format(Value(latency, "chunks"))} chunks at {Format(Value(latency, "achieved_rate"))}/s; p90 {Format(Value(latency, "p90_ms"))} ms, max {Format(Value(latency, "max_ms"))} ms |");
        }

        var fanoutName = LargestCommon(get, "fanout K=", [Pg3Label]);
        var fanout = fanoutName is null ? null : get(Pg3Label, fanoutName);
        if (fanout is null)
        {
            md.AppendLine("| fan-out of one task over 3 replicas | not measured | – | – |");
        }
        else
        {
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| fan-out of one task to {Pretty(fanoutName!)[9..]} subscribers over 3 replicas (deliveries/s) | {Format(Value(fanout, "deliveries_per_s"))} | every subscriber identical: {(fanout.Ok ? "yes" : "**no**")}; in memory, one process: {Format(Value(get(HeraldLabel, fanoutName!), "deliveries_per_s"))} | {Checks("fanout", fanout)} |");
        }

        var manyName = LargestCommon(get, "many-tasks T=", [PgLabel, Pg3Label]) ?? LargestCommon(get, "many-tasks T=", [PgLabel]);
        var one = manyName is null ? null : get(PgLabel, manyName);
        var three = manyName is null ? null : get(Pg3Label, manyName);
        foreach (var (m, caption) in new[] { (one, "one replica"), (three, "3 replicas") })
        {
            if (m is null)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| many tasks at once, {caption} | not measured | – | – |");
                continue;
            }

            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {Pretty(manyName!)[13..]} tasks at once, {caption} (events/s) | {Format(Value(m, "events_per_s"))} | database: {Format(Value(m, "db_wal_syncs_per_s"))} WAL syncs/s ({Format(Value(m, "events_per_wal_sync"))} events each), {Format(Value(m, "db_commits_per_s"))} commits/s, {Format(Value(m, "db_wal_mib_per_s"))} MiB of WAL/s | {Checks("many-tasks", m)} |");
        }

        md.AppendLine();
        AppendPostgresLimit(md, one, three, FsyncPerSecond(Path.Combine(dir, "postgres-fsync.txt")));
    }

    /// <summary>How throughput grows with replicas, and what the database's write rate allows, from this run's figures.</summary>
    private static void AppendPostgresLimit(StringBuilder md, Measurement? one, Measurement? three, double fsyncs)
    {
        md.AppendLine("What limits it: every commit is durable only once PostgreSQL has flushed its write-ahead log to disk, one");
        md.AppendLine("flush at a time for the whole database, so the disk's flush rate is the ceiling on durable commits. Group commit");
        md.AppendLine("makes each flush carry many events: each replica puts the writes of all its tasks in one transaction, and");
        md.AppendLine("PostgreSQL flushes the commits that arrive during a flush together. Commits counted above include reads (each");
        md.AppendLine("statement outside a transaction is one); WAL syncs are the flushes.");
        md.AppendLine();
        if (one is null || three is null)
        {
            md.AppendLine("(Not measured on both one and three replicas in this run.)");
            md.AppendLine();
            return;
        }

        var growth = Value(three, "events_per_s") / Value(one, "events_per_s");
        var text = new StringBuilder(FormattableString.Invariant(
            $"In this run: three replicas wrote {Format(Value(three, "events_per_s"))} events/s, {growth:F2}× one replica's {Format(Value(one, "events_per_s"))}"));
        if (!double.IsNaN(fsyncs))
        {
            var busiest = Math.Max(Value(one, "db_wal_syncs_per_s"), Value(three, "db_wal_syncs_per_s"));
            var perSync = Value(three, "events_per_wal_sync");
            text.Append(FormattableString.Invariant(
                $"; the disk takes {Format(fsyncs)} flushes/s (`pg_test_fsync`, one 8 kB `fdatasync`), so at {Format(perSync)} events per flush the database's write rate alone would allow at most about {Format(fsyncs * perSync)} events/s."));
            text.Append(busiest >= 0.8 * fsyncs
                ? FormattableString.Invariant($" The database flushed {Format(busiest)} times a second, near that ceiling: the disk's flush rate is what limits throughput here, and more replicas help only by putting more events in each flush.")
                : FormattableString.Invariant($" The database flushed at most {Format(busiest)} times a second, {busiest / fsyncs:P1} of that ceiling: here the limit is not the database's write rate but CPU (servers, database and load generator share 2 cores), so replicas on separate machines would grow further."));
        }
        else
        {
            text.Append(" (the disk's flush rate was not measured in this run).");
        }

        md.AppendLine(text.ToString());
        md.AppendLine();
    }

    /// <summary>The largest measurement of <paramref name="prefix"/> (e.g. <c>stream N=</c>) that every label has, or null.</summary>
    private static string? LargestCommon(Func<string, string, Measurement?> get, string prefix, string[] labels)
    {
        foreach (var size in new long[] { 100_000, 10_000, 5_000, 1_000, 500, 200, 100, 50, 20, 10 })
        {
            var name = prefix + size.ToString(CultureInfo.InvariantCulture);
            if (labels.All(l => get(l, name) is not null))
            {
                return name;
            }
        }

        return null;
    }

    /// <summary>fdatasync operations per second from <c>pg_test_fsync</c>'s output (its first comparison: one 8 kB write); NaN when absent.</summary>
    private static double FsyncPerSecond(string path)
    {
        if (!File.Exists(path))
        {
            return double.NaN;
        }

        var match = Regex.Match(File.ReadAllText(path), @"^\s*fdatasync\s+([0-9.,]+) ops/sec", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture) : double.NaN;
    }
}
