using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Herald.LoadGen;

/// <summary>Issue #19's "zero cost when off, measured cost when on": the telemetry section of docs/performance.md.</summary>
internal static partial class Report
{
    /// <summary>A fresh in-memory bench server without a listener, measured in turn with <see cref="TelemetryOnLabel"/>.</summary>
    private const string TelemetryOffLabel = "herald-off";

    /// <summary>The same bench server with <c>--telemetry</c>: the OpenTelemetry SDK listening to Herald's spans and metrics.</summary>
    private const string TelemetryOnLabel = "herald-telemetry";

    /// <summary>What the counting exporters of <see cref="TelemetryOnLabel"/> received, saved by bench/run.sh next to the results.</summary>
    private const string TelemetryExportedFile = "herald-telemetry.exported";

    private static readonly (string Scenario, (string Metric, string Caption, bool HigherIsBetter)[] Figures)[] TelemetryFigures =
    [
        ("stream", [("events_per_s", "events/s", true), ("server_cpu_us_per_event", "server CPU µs/event", false)]),
        ("fanout", [("deliveries_per_s", "deliveries/s", true), ("server_cpu_us_per_event", "server CPU µs/delivery", false)]),
    ];

    private static void AppendTelemetry(StringBuilder md, List<(string Scenario, string Name)> order, Func<string, string, Measurement?> get, string? dir)
    {
        var rows = order.Where(o => get(TelemetryOnLabel, o.Name) is not null && get(TelemetryOffLabel, o.Name) is not null).ToList();
        if (rows.Count == 0)
        {
            return;
        }

        md.AppendLine("## Telemetry on vs off (issue #19)");
        md.AppendLine();
        md.AppendLine("Two fresh in-memory bench servers started together and measured in turn, scenario by scenario: **off** (no listener,");
        md.AppendLine("as every other Herald figure here) and **on** (`--telemetry`: the OpenTelemetry SDK tracing the `Herald` ActivitySource");
        md.AppendLine("with a batch span processor and reading the `Herald` Meter every 5 s, into exporters that only count, so the cost is");
        md.AppendLine("Herald's instrumentation plus the SDK's, without network or serialization). **off, main run** is the Herald column of the");
        md.AppendLine("results table: the same build without a listener, measured minutes earlier on a server that had served other scenarios.");
        md.AppendLine();
        md.AppendLine("| Scenario | Figure | off, main run | off | on | on ÷ off |");
        md.AppendLine("|---|---|---:|---:|---:|---:|");
        var problems = new List<string>();
        foreach (var (scenario, name) in rows)
        {
            var figures = TelemetryFigures.FirstOrDefault(f => f.Scenario == scenario).Figures ?? [];
            foreach (var (metric, caption, _) in figures)
            {
                var off = get(TelemetryOffLabel, name);
                var on = get(TelemetryOnLabel, name);
                var ratio = Coarse(off, metric) || Coarse(on, metric) ? "–" : Ratio(Value(on, metric), Value(off, metric));
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {Pretty(name)} | {caption} | {Cell(get(HeraldLabel, name), metric, problems, "Herald", name)} | {Cell(off, metric, problems, "Herald, telemetry off", name)} | {Cell(on, metric, problems, "Herald, telemetry on", name)} | {ratio} |");
            }
        }

        md.AppendLine();
        md.AppendLine("On ÷ off above 1 means more of it with the listener (events/s: better; CPU µs: worse). What the spread says:");
        md.AppendLine();
        foreach (var (scenario, name) in rows)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- {Pretty(name)}: {TelemetrySpread(scenario, get(HeraldLabel, name), get(TelemetryOffLabel, name), get(TelemetryOnLabel, name))}");
        }

        md.AppendLine();
        md.AppendLine(TelemetryExported(dir));
        md.AppendLine();
        md.AppendLine("How to read it: \"zero cost when off\" means an unobserved server pays nothing measurable for the instrumentation, so");
        md.AppendLine("off should differ from off, main run by no more than two measurements of one build differ (the stream's worst–best");
        md.AppendLine("range over its repeated runs is that spread; fan-out runs once per server, so its spread is the gap between the two off");
        md.AppendLine("figures). Per event, \"off\" costs a few field reads (`HasListeners()`, `Instrument.Enabled`): the micro-benchmark");
        md.AppendLine("`TelemetryBenchmarks` (`bench/run.sh --micro`) times one streamed task in process with and without a listener.");
        md.AppendLine();
        foreach (var p in problems.Distinct())
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- ⚠ {p}");
        }

        if (problems.Count > 0)
        {
            md.AppendLine();
        }
    }

    /// <summary>The telemetry figures against the run-to-run spread: the stream's worst–best over its runs, else the two "off" figures.</summary>
    private static string TelemetrySpread(string scenario, Measurement? main, Measurement? off, Measurement? on)
    {
        var metric = scenario == "stream" ? "events_per_s" : "deliveries_per_s";
        var offValue = Value(off, metric);
        var onValue = Value(on, metric);
        var mainValue = Value(main, metric);
        var text = new StringBuilder();
        if (!double.IsNaN(mainValue))
        {
            text.Append(CultureInfo.InvariantCulture, $"off vs off, main run: {Percent(offValue / mainValue - 1)}");
        }

        if (scenario == "stream")
        {
            var worst = Value(off, "events_per_s_worst");
            var best = Value(off, "events_per_s_best");
            text.Append(CultureInfo.InvariantCulture, $"{(text.Length > 0 ? "; " : "")}off's {Value(off, "runs"):F0} runs spread {worst:N0} – {best:N0} events/s ({Percent(worst / offValue - 1)} to {Percent(best / offValue - 1)} of its median)");
            if (!double.IsNaN(mainValue))
            {
                text.Append(mainValue >= worst && mainValue <= best ? ", the main run's median inside it" : ", the main run's median outside it");
            }

            text.Append(CultureInfo.InvariantCulture, $"; on vs off: {Percent(onValue / offValue - 1)} (on's median {onValue:N0} events/s), ");
            text.Append(onValue >= worst && onValue <= best ? "inside off's spread (no overhead measurable at this noise)" : onValue < worst ? "below off's slowest run: a measured overhead" : "above off's fastest run");
            text.Append(CultureInfo.InvariantCulture, $" (on's own runs: {Value(on, "events_per_s_worst"):N0} – {Value(on, "events_per_s_best"):N0})");
        }
        else
        {
            var gap = double.IsNaN(mainValue) ? double.NaN : Math.Abs(offValue / mainValue - 1);
            var change = onValue / offValue - 1;
            text.Append(CultureInfo.InvariantCulture, $"{(text.Length > 0 ? "; " : "")}on vs off: {Percent(change)}");
            if (!double.IsNaN(gap))
            {
                text.Append(Math.Abs(change) <= gap
                    ? ", within the gap between the two off figures (no overhead measurable at this noise)"
                    : change < 0 ? ", slower by more than the two off figures differ: a measured overhead" : ", faster by more than the two off figures differ: noise");
            }
        }

        return text.Append('.').ToString();
    }

    private static string TelemetryExported(string? dir)
    {
        var file = dir is null ? null : Path.Combine(dir, TelemetryExportedFile);
        if (file is null || !File.Exists(file))
        {
            return "What the listener received was not recorded (no " + TelemetryExportedFile + " in the results).";
        }

        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(file));
            var spans = json.RootElement.GetProperty("spans").GetInt64();
            var points = json.RootElement.GetProperty("metricPoints").GetInt64();
            var exports = json.RootElement.GetProperty("metricExports").GetInt64();
            return spans > 0 && points > 0
                ? FormattableString.Invariant($"The listener was on: the \"on\" server's exporters received {spans:N0} spans and {points:N0} metric points in {exports:N0} metric exports.")
                : FormattableString.Invariant($"⚠ The \"on\" server's exporters received {spans:N0} spans and {points:N0} metric points: the listener was not working, the \"on\" figures measure nothing.");
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or IOException)
        {
            return $"⚠ What the listener received could not be read ({TelemetryExportedFile}: {ex.Message}).";
        }
    }

    private static string Percent(double fraction) => double.IsNaN(fraction) || double.IsInfinity(fraction)
        ? "–"
        : (fraction >= 0 ? "+" : "−") + Math.Abs(fraction).ToString("P1", CultureInfo.InvariantCulture);
}
