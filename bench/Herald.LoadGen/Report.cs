using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Herald.LoadGen;

/// <summary>
/// Combines the JSON results of one run (every scenario against every server) into
/// docs/performance.md: the table, the ratios, the targets, the machine and the command.
/// </summary>
internal static partial class Report
{
    private const string HeraldLabel = "herald";
    private const string SqliteLabel = "herald-sqlite";
    private const string ReferenceLabel = "reference";
    private const string JsLabel = "js";

    /// <summary>The same Herald server measured over its other bindings (<c>--binding</c>), label and column name.</summary>
    private static readonly (string Label, string Binding)[] HeraldBindings = [("herald-rest", "REST"), ("herald-grpc", "gRPC")];

    /// <summary>The servers' columns, in order: label in the result files, caption in the tables.</summary>
    private static readonly (string Label, string Caption)[] Servers =
        [(HeraldLabel, "Herald"), (SqliteLabel, "Herald SQLite"), (ReferenceLabel, "reference"), (JsLabel, "JS SDK")];

    /// <summary>The ratio columns: numerator label, denominator label, caption.</summary>
    private static readonly (string Of, string To, string Caption)[] Ratios =
        [(HeraldLabel, ReferenceLabel, "Herald ÷ reference"), (HeraldLabel, JsLabel, "Herald ÷ JS SDK"), (SqliteLabel, HeraldLabel, "SQLite ÷ Herald in memory")];

    private static readonly string[] IdleNames = ["idle C=10000", "idle C=5000", "idle C=2000", "idle C=1000"];

    private static readonly string[] ScenarioOrder = ["stream", "fanout", "latency", "many-tasks", "churn", "idle"];

    /// <summary>The figures shown per scenario: metric, caption, whether higher is better.</summary>
    private static readonly Dictionary<string, (string Metric, string Caption, bool HigherIsBetter)[]> Shown = new(StringComparer.Ordinal)
    {
        ["stream"] = [("events_per_s", "events/s", true), ("server_cpu_us_per_event", "server CPU µs/event", false), ("client_cpu_us_per_event", "client CPU µs/event", false)],
        ["fanout"] = [("deliveries_per_s", "deliveries/s", true)],
        ["latency"] = [("p50_ms", "median ms", false), ("p99_ms", "p99 ms", false), ("max_ms", "max ms", false)],
        ["many-tasks"] = [("events_per_s", "events/s", true), ("server_cpu_us_per_event", "server CPU µs/event", false), ("client_cpu_us_per_event", "client CPU µs/event", false)],
        ["churn"] =
        [
            ("tasks_per_s", "tasks/s", true), ("heap_50_mib", "live heap at half-way MiB", false), ("heap_end_mib", "live heap at the end MiB", false),
            ("heap_kib_per_task_second_half", "live heap growth KiB/task, 2nd half", false), ("rss_50_mib", "RSS at half-way MiB", false),
            ("rss_end_mib", "RSS at the end MiB", false), ("rss_kib_per_task_second_half", "RSS growth KiB/task, 2nd half", false),
        ],
        ["idle"] = [("kib_per_stream", "server KiB/stream", false)],
    };

    public static int Run(IReadOnlyDictionary<string, string> args)
    {
        var dir = args.GetValueOrDefault("dir") ?? throw new ArgumentException("report needs --dir DIR (the run's JSON results).");
        var output = args.GetValueOrDefault("out") ?? throw new ArgumentException("report needs --out FILE.");
        var reports = Directory.GetFiles(dir, "*.json")
            .Select(f => JsonSerializer.Deserialize(File.ReadAllText(f), ResultsJsonContext.Default.ScenarioReport)!)
            .ToList();
        var markdown = Build(reports, args);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        File.WriteAllText(output, markdown);
        Console.WriteLine($"Wrote {output} from {reports.Count} result files.");
        if (args.GetValueOrDefault("readme") is { } readme)
        {
            UpdateReadme(readme, reports, args);
            Console.WriteLine($"Updated the performance section of {readme}.");
        }

        return 0;
    }

    private static string Build(List<ScenarioReport> reports, IReadOnlyDictionary<string, string> args)
    {
        // (label, measurement name) -> measurement
        var byLabel = new Dictionary<(string, string), Measurement>();
        var order = new List<(string Scenario, string Name)>();
        foreach (var report in reports.OrderBy(r => Array.IndexOf(ScenarioOrder, r.Scenario)).ThenBy(r => r.Started))
        {
            foreach (var m in report.Results)
            {
                byLabel[(report.Label, m.Name)] = m;
                if (!IsPostgres(report.Label) && !order.Contains((report.Scenario, m.Name)))
                {
                    order.Add((report.Scenario, m.Name));
                }
            }
        }

        order = [.. order.OrderBy(o => Array.IndexOf(ScenarioOrder, o.Scenario)).ThenBy(o => SizeOf(o.Name))];
        Measurement? Get(string label, string name) => byLabel.GetValueOrDefault((label, name));

        var md = new StringBuilder();
        md.AppendLine("# Performance");
        md.AppendLine();
        md.AppendLine("<!-- Generated by bench/run.sh (herald-loadgen report). Do not edit the figures by hand: re-run the script. -->");
        md.AppendLine();
        var measured = reports.Count == 0 ? DateTimeOffset.UtcNow : reports.Min(r => r.Started);
        md.AppendLine(CultureInfo.InvariantCulture, $"Measured {measured:yyyy-MM-dd HH:mm} UTC with one command from a clean checkout:");
        md.AppendLine();
        md.AppendLine("```");
        md.AppendLine(args.GetValueOrDefault("command") ?? "bench/run.sh");
        md.AppendLine("```");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Commit measured: `{args.GetValueOrDefault("commit") ?? "unknown"}`{(args.GetValueOrDefault("dirty") is { Length: > 0 } dirty && dirty != "0" ? $" **with uncommitted changes** ({dirty} file(s))" : ", clean tree (no uncommitted changes)")}.");
        md.AppendLine();
        md.AppendLine("The servers, measured in the same run by the same load generator (`bench/Herald.LoadGen`: raw");
        md.AppendLine("`HttpClient` + an SSE reader on bytes, A2A v1.0 JSON-RPC, one scenario after the other, the servers in turn):");
        md.AppendLine();
        md.AppendLine("- **Herald**: `bench/Herald.BenchServer`, Herald with the in-memory store and the bench agent.");
        md.AppendLine("- **Herald SQLite**: the same bench server on the SQLite store (`--store FILE`: WAL, `synchronous=FULL`, a sync to");
        md.AppendLine("  disk per commit, commits grouped), as `herald serve` runs by default.");
        md.AppendLine("- **reference**: `bench/reference`, a minimal Kestrel endpoint that writes pre-serialized SSE events of the");
        md.AppendLine("  same size as Herald's, one flush per event: no engine, no log, no serialization. The physical limit.");
        md.AppendLine("- **JS SDK**: `bench/js-server`, the `@a2a-js/sdk` 1.3.0 server (express 5, its `InMemoryTaskStore`).");
        md.AppendLine();
        md.AppendLine("All three run the same agent: message text `N delay=MS start=MS` gives a working status, N chunks appended");
        md.AppendLine("to one artifact (each with its send time in `artifact.metadata.benchTsUs`), then completed. The machine is");
        md.AppendLine("small and shared, so absolute figures are noisy; the ratios, taken minutes apart on the same machine, are the result.");
        md.AppendLine();

        md.AppendLine("## Results");
        md.AppendLine();
        var present = Servers.Where(server => reports.Any(r => r.Label == server.Label)).ToArray();
        var ratios = Ratios.Where(ratio => present.Any(p => p.Label == ratio.Of) && present.Any(p => p.Label == ratio.To)).ToArray();
        md.AppendLine("| Scenario | Figure | " + string.Join(" | ", present.Select(p => p.Caption)) + " | " + string.Join(" | ", ratios.Select(r => r.Caption)) + " |");
        md.AppendLine("|---|---|" + string.Concat(Enumerable.Repeat("---:|", present.Length + ratios.Length)));
        var problems = new List<string>();
        foreach (var (scenario, name) in order)
        {
            if (!Shown.TryGetValue(scenario, out var figures))
            {
                continue;
            }

            foreach (var (metric, caption, higher) in figures)
            {
                double Of(string label) => Get(label, name) is var m && !Coarse(m, metric) ? Value(m, metric) : double.NaN;
                var cells = present.Select(p => Cell(Get(p.Label, name), metric, problems, p.Caption, name));
                var ratioCells = ratios.Select(r => Ratio(Of(r.Of), Of(r.To)));
                md.AppendLine(CultureInfo.InvariantCulture, $"| {Pretty(name)} | {caption} | {string.Join(" | ", cells)} | {string.Join(" | ", ratioCells)} |");
            }
        }

        md.AppendLine();
        md.AppendLine("Ratios are Herald's figure divided by the other server's (1/n: Herald's is n times smaller): above 1 means Herald has more of it");
        md.AppendLine("(events/s: better; ms, µs and KiB: worse). \"server CPU µs/event\" is the server process's user+system");
        md.AppendLine("time (from `/proc/<pid>/stat`, 10 ms resolution) divided by the events it delivered: unlike events/s it does");
        md.AppendLine("not depend much on what else the machine was doing. \"client CPU µs/event\" is the load generator's own");
        md.AppendLine("user+system time (`Environment.CpuUsage`) over the same windows, divided by the same events; where it is above the");
        md.AppendLine("server's, the measurement is marked client-bound (see \"Is the load generator the bottleneck?\" below).");
        md.AppendLine();
        if (problems.Count > 0)
        {
            md.AppendLine("Marked ⚠ (the measurement did not pass its own checks):");
            md.AppendLine();
            foreach (var p in problems.Distinct())
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"- {p}");
            }

            md.AppendLine();
        }

        if (args.GetValueOrDefault("incidents") is { } incidents && File.Exists(incidents) && new FileInfo(incidents).Length > 0)
        {
            md.AppendLine("Incidents during the run:");
            md.AppendLine();
            md.AppendLine(File.ReadAllText(incidents).TrimEnd());
            md.AppendLine();
        }

        AppendBindings(md, order, Get, problems);
        AppendClientBound(md, reports, order, Get);

        md.AppendLine("### Checks behind the figures");
        md.AppendLine();
        md.AppendLine("| Scenario | " + string.Join(" | ", present.Select(p => p.Caption)) + " |");
        md.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---|", present.Length)));
        foreach (var (scenario, name) in order)
        {
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {Pretty(name)} | {string.Join(" | ", present.Select(p => Checks(scenario, Get(p.Label, name))))} |");
        }

        md.AppendLine();
        AppendHeraldGc(md, order, n => Get(HeraldLabel, n));
        AppendTargets(md, Get);
        AppendStoreTargets(md, Get);
        AppendTelemetry(md, order, Get, args.GetValueOrDefault("dir"));
        AppendPostgres(md, Get, args);
        AppendMachine(md, args);
        AppendScenarios(md, reports);
        AppendFile(md, args.GetValueOrDefault("notes"));
        AppendMicro(md, args.GetValueOrDefault("micro"));
        return md.ToString();
    }

    /// <summary>
    /// Herald over JSON-RPC and over its other bindings: the same server process in the same run, for the scenarios
    /// measured on more than one binding.
    /// </summary>
    private static void AppendBindings(StringBuilder md, List<(string Scenario, string Name)> order, Func<string, string, Measurement?> get, List<string> problems)
    {
        var bindings = HeraldBindings.Where(b => order.Any(o => get(b.Label, o.Name) is not null)).ToList();
        var rows = order.Where(o => Shown.ContainsKey(o.Scenario) && bindings.Any(b => get(b.Label, o.Name) is not null)).ToList();
        if (rows.Count == 0)
        {
            return;
        }

        md.AppendLine("### Herald over each binding");
        md.AppendLine();
        md.AppendLine("The same Herald server process, measured in turn over JSON-RPC (SSE) and over " + string.Join(" and ", bindings.Select(b => b.Binding)) + ".");
        md.AppendLine("REST (`--binding rest`) is `POST /message:stream` and `POST /tasks/{id}:subscribe`, SSE data without the JSON-RPC envelope;");
        md.AppendLine("gRPC is `lf.a2a.v1.A2AService` on the server's second, HTTP/2-only address (`--binding grpc`: SendStreamingMessage,");
        md.AppendLine("SubscribeToTask, each stream item a protobuf `StreamResponse`). Every binding encodes an event once and shares the bytes.");
        md.AppendLine();
        md.AppendLine("| Scenario | Figure | JSON-RPC | " + string.Join(" | ", bindings.Select(b => b.Binding)) + " | " + string.Join(" | ", bindings.Select(b => $"{b.Binding} ÷ JSON-RPC")) + " |");
        md.AppendLine("|---|---|---:|" + string.Concat(bindings.Select(_ => "---:|")) + string.Concat(bindings.Select(_ => "---:|")));
        foreach (var (scenario, name) in rows)
        {
            foreach (var (metric, caption, _) in Shown[scenario])
            {
                var rpc = get(HeraldLabel, name);
                var rpcValue = Coarse(rpc, metric) ? double.NaN : Value(rpc, metric);
                var cells = bindings.Select(b => Cell(get(b.Label, name), metric, problems, $"Herald {b.Binding}", name));
                var ratios = bindings.Select(b => get(b.Label, name) is { } m && !Coarse(m, metric) ? Ratio(Value(m, metric), rpcValue) : "");
                md.AppendLine(CultureInfo.InvariantCulture, $"| {Pretty(name)} | {caption} | {Cell(rpc, metric, problems, "Herald", name)} | {string.Join(" | ", cells)} | {string.Join(" | ", ratios)} |");
            }
        }

        md.AppendLine();
        foreach (var (label, binding) in bindings)
        {
            md.AppendLine($"Checks ({binding}): " + string.Join("; ", rows.Where(o => get(label, o.Name) is not null).Select(o => $"{Pretty(o.Name)}: {Checks(o.Scenario, get(label, o.Name))}")) + ".");
            md.AppendLine();
        }
    }

    /// <summary>
    /// Issue 20: the load generator's CPU per event next to the server's, per measurement and server. A measurement where
    /// the client spent more is client-bound: its figure may show the load generator's limit rather than the server's.
    /// </summary>
    private static void AppendClientBound(StringBuilder md, List<ScenarioReport> reports, List<(string Scenario, string Name)> order, Func<string, string, Measurement?> get)
    {
        var labels = Servers.Select(s => (s.Label, s.Caption)).Concat(HeraldBindings.Select(b => (b.Label, Caption: $"Herald {b.Binding}")))
            .Where(l => order.Any(o => get(l.Label, o.Name)?.Metrics.ContainsKey("client_cpu_us_per_event") == true))
            .ToArray();
        var rows = order.Where(o => labels.Any(l => get(l.Label, o.Name)?.Metrics.ContainsKey("client_cpu_us_per_event") == true)).ToList();
        if (rows.Count == 0)
        {
            return;
        }

        md.AppendLine("### Is the load generator the bottleneck?");
        md.AppendLine();
        md.AppendLine("Per measurement, the load generator's CPU per event (user+system, its whole process) / the server's, in µs, over the");
        md.AppendLine("same windows. **client-bound** marks a measurement where the client spent more than the server: there, the figure");
        md.AppendLine("may be the load generator's limit. (Latency is paced at a fixed rate, so there the flag only compares costs.)");
        md.AppendLine();
        md.AppendLine("| Scenario | " + string.Join(" | ", labels.Select(l => l.Caption)) + " |");
        md.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---:|", labels.Length)));
        var bound = new List<string>();
        var judged = 0;
        foreach (var (_, name) in rows)
        {
            var cells = labels.Select(l =>
            {
                var m = get(l.Label, name);
                if (m is null || !m.Metrics.TryGetValue("client_cpu_us_per_event", out var client))
                {
                    return "–";
                }

                if (!m.Metrics.TryGetValue("server_cpu_us_per_event", out var server))
                {
                    return $"{Format(client)} / –";
                }

                if (Coarse(m, "server_cpu_us_per_event"))
                {
                    return $"{Format(client)} / {Format(server)} (server CPU too small to judge)";
                }

                judged++;
                if (client > server)
                {
                    bound.Add($"{l.Caption}, {Pretty(name)}");
                    return $"{Format(client)} / {Format(server)} **client-bound**";
                }

                return $"{Format(client)} / {Format(server)}";
            });
            md.AppendLine(CultureInfo.InvariantCulture, $"| {Pretty(name)} | {string.Join(" | ", cells)} |");
        }

        md.AppendLine();
        // Every other labelled run (telemetry on/off, PostgreSQL) is judged too, in one sentence.
        var others = reports.Where(r => !labels.Any(l => l.Label == r.Label))
            .SelectMany(r => r.Results.Where(m => m.ClientBound == true && !Coarse(m, "server_cpu_us_per_event")).Select(m => $"{r.Label}, {Pretty(m.Name)}"))
            .Distinct().ToList();
        bound.AddRange(others);
        md.AppendLine(bound.Count == 0
            ? FormattableString.Invariant($"No measurement was client-bound ({judged} judged in the table above, and the runs below).")
            : FormattableString.Invariant($"Client-bound: {string.Join("; ", bound)}. In these, the load generator spent more CPU per event than the server, so the measured rate is a lower bound of the server's."));
        md.AppendLine();
    }

    private static void AppendTargets(StringBuilder md, Func<string, string, Measurement?> get)
    {
        md.AppendLine("## Targets (issue #4: streaming)");
        md.AppendLine();
        md.AppendLine("| Target | Measured | Verdict |");
        md.AppendLine("|---|---|---|");
        foreach (var n in new[] { 1000, 10000 })
        {
            var name = $"stream N={n}";
            var h = Value(get(HeraldLabel, name), "events_per_s");
            var r = Value(get(ReferenceLabel, name), "events_per_s");
            var j = Value(get(JsLabel, name), "events_per_s");
            Target(md, FormattableString.Invariant($"stream N={n:N0}: ≥ 40% of the reference's events/s"), h / r, v => v.ToString("P0", CultureInfo.InvariantCulture), v => v >= 0.4);
            Target(md, FormattableString.Invariant($"stream N={n:N0}: ≥ 10× the JS SDK's events/s"), h / j, v => v.ToString("F1", CultureInfo.InvariantCulture) + "×", v => v >= 10);
        }

        var small = Value(get(HeraldLabel, "stream N=1000"), "events_per_s");
        var large = Value(get(HeraldLabel, "stream N=10000"), "events_per_s");
        Target(md, "stream: the N=10,000 figure within 20% of the N=1,000 figure", large / small, v => v.ToString("P0", CultureInfo.InvariantCulture) + " of N=1,000", v => v >= 0.8);

        var fanout = get(HeraldLabel, "fanout K=1000");
        md.AppendLine(fanout is null
            ? FormattableString.Invariant($"| fanout K=1,000 × 1,000 events: every subscriber complete and identical | not measured | – |")
            : FormattableString.Invariant($"| fanout K=1,000 × 1,000 events: every subscriber complete and identical | {Value(fanout, "complete"):F0}/1,000 complete, {Value(fanout, "distinct_sequences"):F0} distinct sequence(s), {Value(fanout, "deliveries_per_s"):N0} deliveries/s | {(fanout.Ok ? "met" : "**missed**")} |"));

        var idleName = IdleNames.FirstOrDefault(n => get(HeraldLabel, n) is not null);
        if (idleName is not null)
        {
            var idle = get(HeraldLabel, idleName)!;
            var c = Value(idle, "streams");
            var hold = Value(idle, "hold_s");
            var scaled = c < 10000 || hold < 60 ? FormattableString.Invariant($" (**measured at C={c:N0}, {hold:F0} s**, not C=10,000 for a minute)") : "";
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| idle C=10,000: every stream open after a minute{scaled} | {Value(idle, "held_and_completed"):N0}/{c:N0} held {hold:F0} s | {(idle.Ok ? (scaled.Length == 0 ? "met" : "met at the measured scale") : "**missed**")} |");
            Target(md, $"idle: server memory per stream under 30 KB ({Pretty(idleName)})", Value(idle, "kib_per_stream") * 1.024, v => v.ToString("F1", CultureInfo.InvariantCulture) + " KB", v => v < 30);
        }

        Target(md, "latency at 1,000 events/s: p99 under 2 ms", Value(get(HeraldLabel, "latency rate=1000/s"), "p99_ms"), v => v.ToString("F2", CultureInfo.InvariantCulture) + " ms", v => v < 2);
        md.AppendLine();
    }

    /// <summary>What the Herald server's GC did per scenario (its bench server reports GC counters; the others do not).</summary>
    private static void AppendHeraldGc(StringBuilder md, List<(string Scenario, string Name)> order, Func<string, Measurement?> get)
    {
        var rows = order.Select(o => (o.Name, M: get(o.Name))).Where(r => r.M is not null && r.M.Metrics.ContainsKey("server_alloc_bytes_per_event")).ToList();
        if (rows.Count == 0)
        {
            return;
        }

        md.AppendLine("### Inside Herald: allocation and GC per scenario");
        md.AppendLine();
        md.AppendLine("From the bench server's `GET /bench/gc` (GC counters of the process) before and after each measurement; per");
        md.AppendLine("event delivered. Allocation includes the bench agent's own objects (artifact, part, metadata) and the event log,");
        md.AppendLine("which the in-memory store keeps until retention deletes the task (the bench server keeps ended tasks except in churn).");
        md.AppendLine();
        md.AppendLine("| Scenario | allocated bytes/event | GC pause | gen0 / gen1 / gen2 GCs | heap after |");
        md.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var (name, m) in rows)
        {
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {Pretty(name)} | {Value(m, "server_alloc_bytes_per_event"):N0} | {Value(m, "server_gc_pause_ms"):N0} ms ({Value(m, "server_gc_pause_pct"):F1}% of the wall time) | {Value(m, "server_gen0"):F0} / {Value(m, "server_gen1"):F0} / {Value(m, "server_gen2"):F0} | {Value(m, "server_heap_mib"):N0} MiB |");
        }

        md.AppendLine();
    }

    private static void Target(StringBuilder md, string target, double value, Func<double, string> format, Func<double, bool> met) =>
        md.AppendLine(double.IsNaN(value) || double.IsInfinity(value)
            ? $"| {target} | not measured | – |"
            : $"| {target} | {format(value)} | {(met(value) ? "met" : "**missed**")} |");

    private static void AppendMachine(StringBuilder md, IReadOnlyDictionary<string, string> args)
    {
        md.AppendLine("## Machine");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- CPU: {CpuModel()}, {Environment.ProcessorCount} logical cores (`nproc`)");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Memory: {MemTotalGiB():F1} GiB");
        md.AppendLine(CultureInfo.InvariantCulture, $"- OS: {RuntimeInformation.OSDescription}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- .NET: {RuntimeInformation.FrameworkDescription}; Node.js: {args.GetValueOrDefault("node-version") ?? "?"}");
        md.AppendLine("- Servers and load generator on the same machine, over 127.0.0.1, while other work (builds, tests) may run.");
        md.AppendLine();
    }

    private static void AppendScenarios(StringBuilder md, List<ScenarioReport> reports)
    {
        md.AppendLine("## Scenarios as run");
        md.AppendLine();
        foreach (var group in reports.Where(r => r.Label == HeraldLabel).OrderBy(r => Array.IndexOf(ScenarioOrder, r.Scenario)).ThenBy(r => r.Results.Count == 0 ? 0 : SizeOf(r.Results[0].Name)))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- `{group.Scenario}`: `herald-loadgen {Sanitize(group.CommandLine)}`");
        }

        md.AppendLine();
        md.AppendLine("- **stream**: one client sends `N delay=0` with SendStreamingMessage and reads to the end; events/s = all");
        md.AppendLine("  events of the stream ÷ (request sent → stream closed), median of up to 5 runs; the two sizes take turns.");
        md.AppendLine("- **fanout**: SendMessage (returnImmediately) starts `1000 delay=0 start=S`; K clients SubscribeToTask during");
        md.AppendLine("  the start delay; deliveries/s = events after the snapshot summed over subscribers ÷ (first chunk received →");
        md.AppendLine("  last subscriber closed). Every subscriber's events from the first chunk to the end are hashed (XxHash3 of each");
        md.AppendLine("  event's bytes, chained in order) and every stream's chunks checked in order (chunk i after chunk i - 1, each");
        md.AppendLine("  once; a gap, a duplicate or a reordering fails the stream, in every scenario): \"identical\" means");
        md.AppendLine("  one distinct hash. (Before the first chunk they may differ: the send answers before the agent runs, so a");
        md.AppendLine("  subscriber that attached before the agent's working status gets it as an event, a later one in its snapshot.)");
        md.AppendLine("- **latency**: one stream at a fixed rate (the agent paces on a schedule); latency = receipt time − the");
        md.AppendLine("  agent's `benchTsUs` just before the append, both on the machine's monotonic clock.");
        md.AppendLine("- **many-tasks**: T clients, each its own `N delay=0` task, all at once; total events/s.");
        md.AppendLine("- **churn**: 50,000 short tasks (`1 delay=0`, streamed to the end) from 16 clients, the server's VmRSS sampled every");
        md.AppendLine("  second; the run's quarter marks are when 25%, 50%, 75% of the tasks had completed. With retention, ended tasks are");
        md.AppendLine("  deleted as new ones arrive, so memory levels off; \"growth KiB/task, 2nd half\" is what each task of the second");
        md.AppendLine("  half still added. Retention is 2 s (swept every second), so the run spans many retention windows: with the 10 s");
        md.AppendLine("  of an earlier version, a 12 s in-memory run ended before anything was deleted. At the start, at each quarter mark");
        md.AppendLine("  and at the end the bench server runs a full, compacting GC (`GET /bench/gc?collect=1`) and reports its live heap:");
        md.AppendLine("  what the process still holds. RSS also counts the free space the server GC keeps committed for reuse, which a");
        md.AppendLine("  run this short does not give back. With retention on, the load generator then waits 6 s (`--settle`: longer");
        md.AppendLine("  than retention plus a sweep) and reads the live heap once more: what the 50,000 tasks left behind once deleted.");
        md.AppendLine("  The plateau is judged on that; the quarter figures show the retained window moving with the load.");
        md.AppendLine("- **idle**: C streams of `1 delay=HOLD` opened (64 at a time); the server's VmRSS before opening and 3 s after");
        md.AppendLine("  the last opened, divided by the streams open at that moment; then every stream must stay open for the whole");
        md.AppendLine("  hold (Herald and the reference send `: keep-alive` every 15 s; the JS SDK sends nothing) and complete.");
        md.AppendLine("  RSS includes the agent's own per-task state (a task waiting on a timer) on every server.");
        md.AppendLine();
    }

    private static void AppendFile(StringBuilder md, string? path)
    {
        if (path is not null && File.Exists(path))
        {
            md.AppendLine(File.ReadAllText(path).TrimEnd());
            md.AppendLine();
        }
    }

    private static void AppendMicro(StringBuilder md, string? dir)
    {
        if (dir is null || !Directory.Exists(dir))
        {
            return;
        }

        var files = Directory.GetFiles(dir, "*-report-github.md").Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0)
        {
            return;
        }

        md.AppendLine("## Micro-benchmarks (BenchmarkDotNet, short job)");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Run of {File.GetLastWriteTimeUtc(files[0]):yyyy-MM-dd HH:mm} UTC, on the machine above.");
        md.AppendLine();
        md.AppendLine("`dotnet run -c Release --project bench/Herald.Benchmarks -- --filter '*' --job short` (`bench/run.sh --micro`).");
        md.AppendLine("Short job: 3 warm-up and 3 measured iterations, so the error columns are wide; allocations are exact.");
        md.AppendLine();
        // The key figures first (mean time and allocation per operation), the full tables below.
        md.AppendLine("| Benchmark | Method | Parameters | Mean | Allocated |");
        md.AppendLine("|---|---|---|---:|---:|");
        foreach (var file in files)
        {
            var name = ClassName(file);
            foreach (var row in MarkdownRows(File.ReadAllText(file)))
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {row.Method} | {row.Parameters} | {row.Mean} | {row.Allocated} |");
            }
        }

        md.AppendLine();
        md.AppendLine("<details><summary>Full BenchmarkDotNet tables</summary>");
        md.AppendLine();
        var environmentShown = false;
        foreach (var file in files)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"### {ClassName(file)}");
            md.AppendLine();
            var text = File.ReadAllText(file).Trim();
            // The environment block is the same for every class: show it once.
            if (environmentShown && text.StartsWith("```", StringComparison.Ordinal))
            {
                var end = text.IndexOf("```", 3, StringComparison.Ordinal);
                text = text[(end + 3)..].Trim();
            }

            environmentShown = true;
            md.AppendLine(text);
            md.AppendLine();
        }

        md.AppendLine("</details>");
        md.AppendLine();
    }

    private static string ClassName(string file)
    {
        var name = Path.GetFileName(file).Replace("-report-github.md", "", StringComparison.Ordinal);
        return name[(name.LastIndexOf('.') + 1)..];
    }

    /// <summary>Method, parameter values, Mean and Allocated of each row of a BenchmarkDotNet GitHub table.</summary>
    private static IEnumerable<(string Method, string Parameters, string Mean, string Allocated)> MarkdownRows(string markdown)
    {
        string[]? header = null;
        foreach (var line in markdown.Split('\n'))
        {
            if (!line.StartsWith('|'))
            {
                continue;
            }

            var cells = line.Trim().Trim('|').Split('|').Select(c => c.Replace("**", "", StringComparison.Ordinal).Trim()).ToArray();
            if (header is null)
            {
                header = cells;
                continue;
            }

            if (cells.All(c => c.Length == 0 || c.All(ch => ch is '-' or ':')))
            {
                continue;
            }

            var mean = Array.IndexOf(header, "Mean");
            var allocated = Array.IndexOf(header, "Allocated");
            if (mean < 1 || cells.Length != header.Length)
            {
                continue;
            }

            var parameters = string.Join(", ", Enumerable.Range(1, mean - 1).Select(k => $"{header[k]}={cells[k]}"));
            yield return (cells[0], parameters, cells[mean], allocated < 0 ? "" : cells[allocated]);
        }
    }

    private static string Cell(Measurement? m, string metric, List<string> problems, string server, string name)
    {
        if (m is null || !m.Metrics.TryGetValue(metric, out var value))
        {
            return "–";
        }

        // /proc CPU time has a 10 ms resolution: below 50 ms the per-event figure is mostly rounding.
        if (metric == "server_cpu_us_per_event" && Value(m, "server_cpu_ms") < 50)
        {
            return $"({Value(m, "server_cpu_ms"):F0} ms in all: too little to divide)";
        }

        var text = Format(value);
        if (!m.Ok)
        {
            problems.Add($"{server}, {Pretty(name)}: {m.Problem}");
            text += " ⚠";
        }

        return text;
    }

    private static string Checks(string scenario, Measurement? m)
    {
        if (m is null)
        {
            return "not run";
        }

        var mark = m.Ok ? "✓" : "⚠";
        return scenario switch
        {
            "stream" => $"{mark} {Value(m, "runs"):F0} run(s) of {Value(m, "events_per_run"):N0} events, all completed, chunks in order; events/s {Value(m, "events_per_s_worst"):N0} – {Value(m, "events_per_s_best"):N0}",
            "fanout" => $"{mark} {Value(m, "complete"):N0}/{Value(m, "subscribers"):N0} complete, {Value(m, "distinct_sequences"):F0} distinct sequence(s), {Value(m, "late_subscribers"):F0} late; all subscribed in {Value(m, "all_subscribed_ms"):N0} ms",
            "idle" => $"{mark} {Value(m, "held_and_completed"):N0}/{Value(m, "streams"):N0} held {Value(m, "hold_s"):F0} s and completed; opened in {Value(m, "open_all_ms"):N0} ms; RSS {Value(m, "rss_before_kib") / 1024:N0} → {Value(m, "rss_open_kib") / 1024:N0} MiB",
            "latency" => $"{mark} {Value(m, "chunks"):N0} chunks at {Value(m, "achieved_rate"):N0}/s; p90 {Value(m, "p90_ms"):F2} ms, p99.9 {Value(m, "p999_ms"):F2} ms",
            "many-tasks" => $"{mark} {Value(m, "complete"):N0}/{Value(m, "tasks"):N0} complete, {Value(m, "events"):N0} events in {Value(m, "elapsed_ms"):N0} ms",
            "churn" => $"{mark} {Value(m, "completed"):N0}/{Value(m, "tasks"):N0} completed in {Value(m, "elapsed_s"):N0} s; RSS {Value(m, "rss_start_mib"):N0} → {Value(m, "rss_25_mib"):N0} → {Value(m, "rss_50_mib"):N0} → {Value(m, "rss_75_mib"):N0} → {Value(m, "rss_end_mib"):N0} MiB (start, quarters){(double.IsNaN(Value(m, "heap_end_mib")) ? "" : $"; live heap {Value(m, "heap_start_mib"):N0} → {Value(m, "heap_25_mib"):N0} → {Value(m, "heap_50_mib"):N0} → {Value(m, "heap_75_mib"):N0} → {Value(m, "heap_end_mib"):N0} MiB")}; {(double.IsNaN(Value(m, "tasks_listed_at_end")) ? "" : $"{Value(m, "tasks_listed_at_end"):N0} tasks listed at the end")}",
            _ => mark,
        };
    }

    private static bool Coarse(Measurement? m, string metric) =>
        metric == "server_cpu_us_per_event" && Value(m, "server_cpu_ms") < 50;

    private static double Value(Measurement? m, string metric) =>
        m is not null && m.Metrics.TryGetValue(metric, out var v) ? v : double.NaN;

    private static string Ratio(double a, double b)
    {
        if (double.IsNaN(a) || double.IsNaN(b) || b == 0 || a == 0)
        {
            return "–";
        }

        var r = a / b;
        return r switch
        {
            >= 10 => r.ToString("N0", CultureInfo.InvariantCulture) + "×",
            >= 0.1 => r.ToString("F2", CultureInfo.InvariantCulture) + "×",
            _ => "1/" + (1 / r).ToString("N0", CultureInfo.InvariantCulture),
        };
    }

    private static string Format(double v) => v switch
    {
        double.NaN => "–",
        >= 1000 => v.ToString("N0", CultureInfo.InvariantCulture),
        >= 10 => v.ToString("F1", CultureInfo.InvariantCulture),
        _ => v.ToString("F2", CultureInfo.InvariantCulture),
    };

    /// <summary>"stream N=10000" becomes "stream N=10,000".</summary>
    private static string Pretty(string name)
    {
        var eq = name.LastIndexOf('=');
        if (eq < 0)
        {
            return name;
        }

        var digits = new string(name[(eq + 1)..].TakeWhile(char.IsDigit).ToArray());
        return digits.Length == 0 ? name : name[..(eq + 1)] + long.Parse(digits, CultureInfo.InvariantCulture).ToString("N0", CultureInfo.InvariantCulture) + name[(eq + 1 + digits.Length)..];
    }

    private static long SizeOf(string name)
    {
        var eq = name.LastIndexOf('=');
        var digits = eq < 0 ? "" : new string(name[(eq + 1)..].TakeWhile(char.IsDigit).ToArray());
        return digits.Length == 0 ? 0 : long.Parse(digits, CultureInfo.InvariantCulture);
    }

    /// <summary>Drops the run-specific parts (ports, paths, pids) of a command line.</summary>
    private static string Sanitize(string commandLine)
    {
        var parts = commandLine.Split(' ');
        var kept = new List<string>();
        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i] is "--url" or "--json" or "--server-pid" or "--label" or "--replicas" or "--pg")
            {
                kept.Add(parts[i] + (parts[i] switch { "--url" => " URL", "--server-pid" => " PID", "--json" => " FILE", "--replicas" => " URL,URL,...", "--pg" => " CONNSTRING", _ => " " + (i + 1 < parts.Length ? parts[i + 1] : "") }));
                i++;
                continue;
            }

            kept.Add(parts[i]);
        }

        return string.Join(' ', kept);
    }

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? "unknown" : line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static double MemTotalGiB()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            return long.Parse(line["MemTotal:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture) / 1024.0 / 1024.0;
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or FormatException)
        {
            return double.NaN;
        }
    }
}
