using System.Globalization;

namespace Herald.LoadGen;

/// <summary>Command-line options; lists are comma-separated (<c>--n 1000,10000</c>).</summary>
internal sealed class LoadGenOptions
{
    public const string Usage = """
        Herald load generator: measures any A2A server with raw HttpClient and an SSE reader on bytes (JSON-RPC, HTTP+JSON/REST), or Grpc.Net.Client (gRPC).

        dotnet run -c Release --project bench/Herald.LoadGen -- --url URL --scenario NAME [options]

          --url URL              the server's JSON-RPC endpoint, the base of its REST routes, or its gRPC address (127.0.0.1 only)
          --scenario NAME        stream | fanout | idle | latency | many-tasks | churn | replica-latency
          --binding B            jsonrpc (default), rest (HTTP+JSON: POST URL/message:stream, ...; v1.0 only) or grpc (lf.a2a.v1.A2AService over HTTP/2; v1.0 only)
          --a2a-version V        1.0 (default) or 0.3
          --label NAME           the server's name in results (default: the host:port)
          --json FILE            also write the results as JSON
          --server-pid PID       read the server's VmRSS and CPU time from /proc/PID
          --timeout S            time limit of each measurement in seconds (default 180)
          --variant TEXT         appended to measurement names as " (TEXT)", e.g. a server setting
          --warmup S             unmeasured 200-chunk streams first: 40, or as many as fit in S seconds (default 3)

          stream      --n 1000,10000   chunks on one task, one client          [--repeat 5] [--budget S]
          fanout      --k 100,1000     subscribers of one task  --n 1000 chunks [--start-ms MS]
          idle        --c 1000,10000   open streams held for    --hold S (default 60)
          latency     --rate 1000      chunks/s for             --duration S (default 5)
          many-tasks  --t 100          concurrent tasks, one client each, --n 1000 chunks each
          churn       --tasks 50000    short tasks, --concurrency 16 at a time; server RSS sampled every second
                                       (memory over time: with retention on it must plateau); --settle S: then wait
                                       S seconds (longer than the server's retention) and read the live heap again

        Replicas (PostgreSQL): --replicas URL,URL,...  every replica's endpoint (the first is --url's server): fanout
          spreads its subscribers over them, many-tasks its clients; --pg CONNSTRING: many-tasks also reads the
          database's commits and WAL syncs (pg_stat_database, pg_stat_wal) around each run.
          replica-latency --rate 1000 --duration S: a task started on the first replica, its chunks received by a
                                       subscriber on the second (append on A, receipt on B)

        The agent must understand the message text "N delay=MS start=MS" (Herald's bench agent,
        bench/reference, bench/js-server) and put its send time in artifact.metadata.benchTsUs.

        herald-loadgen report --dir DIR --out FILE [--command CMD] [--micro DIR] [--notes FILE]
          combines result JSON files into docs/performance.md.
        """;

    public required Uri Url { get; init; }

    public required string Scenario { get; init; }

    public string A2AVersion { get; init; } = "1.0";

    /// <summary><c>jsonrpc</c>, <c>rest</c> or <c>grpc</c>.</summary>
    public string Binding { get; init; } = "jsonrpc";

    public string? Label { get; init; }

    public string? JsonPath { get; init; }

    public int? ServerPid { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(180);

    public IReadOnlyList<int> N { get; init; } = [];

    public IReadOnlyList<int> K { get; init; } = [100, 1000];

    public IReadOnlyList<int> C { get; init; } = [1000];

    public IReadOnlyList<int> T { get; init; } = [100];

    public int Repeat { get; init; } = 5;

    /// <summary>Stop repeating a stream size once this much time was spent on it (at least one run).</summary>
    public TimeSpan Budget { get; init; } = TimeSpan.FromSeconds(30);

    public double? StartMs { get; init; }

    /// <summary>How long each invocation first streams unmeasured (JIT warm-up on both sides).</summary>
    public TimeSpan WarmUp { get; init; } = TimeSpan.FromSeconds(3);

    public TimeSpan Hold { get; init; } = TimeSpan.FromSeconds(60);

    public double Rate { get; init; } = 1000;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Appended to measurement names, " (VARIANT)": the same scenario on a differently configured server.</summary>
    public string? Variant { get; init; }

    public int Tasks { get; init; } = 50_000;

    /// <summary>churn: how long to wait after the run before reading what the server still holds; null: not read.</summary>
    public TimeSpan? Settle { get; init; }

    public int Concurrency { get; init; } = 16;

    /// <summary>Every replica's endpoint, the measured server's first; empty for one server.</summary>
    public IReadOnlyList<Uri> Replicas { get; init; } = [];

    /// <summary>An Npgsql connection string of the replicas' database, for its commit and WAL sync counters; null: not read.</summary>
    public string? PgConnection { get; init; }

    public static LoadGenOptions Parse(IReadOnlyDictionary<string, string> values)
    {
        var url = Get(values, "url") ?? throw new ArgumentException("--url is required.");
        var scenario = Get(values, "scenario") ?? throw new ArgumentException("--scenario is required.");
        var uri = new Uri(url);
        if (!uri.IsLoopback)
        {
            throw new ArgumentException("The load generator only loads servers on this machine (127.0.0.1 / localhost).");
        }

        var n = Ints(values, "n");
        return new LoadGenOptions
        {
            Url = uri,
            Scenario = scenario,
            A2AVersion = Get(values, "a2a-version") ?? "1.0",
            Binding = Get(values, "binding") is { } binding
                ? binding is "jsonrpc" or "rest" or "grpc" ? binding : throw new ArgumentException($"--binding must be jsonrpc, rest or grpc, not '{binding}'.")
                : "jsonrpc",
            Label = Get(values, "label"),
            JsonPath = Get(values, "json"),
            ServerPid = Get(values, "server-pid") is { } pid ? int.Parse(pid, CultureInfo.InvariantCulture) : null,
            Timeout = Seconds(values, "timeout") ?? TimeSpan.FromSeconds(180),
            N = n ?? (scenario == "stream" ? [1000, 10000] : [1000]),
            K = Ints(values, "k") ?? [100, 1000],
            C = Ints(values, "c") ?? [1000],
            T = Ints(values, "t") ?? [100],
            Repeat = Ints(values, "repeat")?[0] ?? 5,
            Budget = Seconds(values, "budget") ?? TimeSpan.FromSeconds(30),
            StartMs = Get(values, "start-ms") is { } s ? double.Parse(s, CultureInfo.InvariantCulture) : null,
            Hold = Seconds(values, "hold") ?? TimeSpan.FromSeconds(60),
            WarmUp = Seconds(values, "warmup") ?? TimeSpan.FromSeconds(3),
            Rate = Get(values, "rate") is { } r ? double.Parse(r, CultureInfo.InvariantCulture) : 1000,
            Duration = Seconds(values, "duration") ?? TimeSpan.FromSeconds(5),
            Tasks = Ints(values, "tasks")?[0] ?? 50_000,
            Settle = Seconds(values, "settle"),
            Variant = Get(values, "variant"),
            Concurrency = Ints(values, "concurrency")?[0] ?? 16,
            Replicas = Get(values, "replicas")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(r => new Uri(r)).ToArray() ?? [],
            PgConnection = Get(values, "pg"),
        };
    }

    /// <summary><c>--name value</c> pairs; a flag without a value gets "true".</summary>
    public static Dictionary<string, string> ParseArgs(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Unexpected argument '{args[i]}'.");
            }

            var name = args[i][2..];
            values[name] = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
        }

        return values;
    }

    private static string? Get(IReadOnlyDictionary<string, string> values, string name) =>
        values.TryGetValue(name, out var value) ? value : null;

    private static int[]? Ints(IReadOnlyDictionary<string, string> values, string name) =>
        Get(values, name)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(v => int.Parse(v.Replace("_", "", StringComparison.Ordinal), CultureInfo.InvariantCulture)).ToArray();

    private static TimeSpan? Seconds(IReadOnlyDictionary<string, string> values, string name) =>
        Get(values, name) is { } v ? TimeSpan.FromSeconds(double.Parse(v, CultureInfo.InvariantCulture)) : null;
}
