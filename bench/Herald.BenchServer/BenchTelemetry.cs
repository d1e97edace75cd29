using System.Diagnostics;
using Herald.Server;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Herald.Bench;

/// <summary>
/// <c>--telemetry</c>: what an operator attaches to watch Herald (the OpenTelemetry SDK tracing the "Herald"
/// ActivitySource and reading the "Herald" Meter, a batch span processor and a periodic metric reader, as
/// <c>herald serve --otlp</c> sets up), with exporters that only count what reaches them. The measured cost is Herald's
/// instrumentation plus the SDK's, without network I/O or serialization.
/// </summary>
internal static class BenchTelemetry
{
    /// <summary>How often the metric reader collects (OTLP's default is 60 s; shorter, so a bench run sees several collections).</summary>
    private const int MetricExportMilliseconds = 5000;

    private static readonly CountingSpanExporter Spans = new();
    private static readonly CountingMetricExporter Metrics = new();

    public static void Attach(IServiceCollection services) =>
        services.AddOpenTelemetry()
            .WithTracing(t => t
                .AddSource(HeraldDiagnostics.Name)
                .AddProcessor(new BatchActivityExportProcessor(Spans)))
            .WithMetrics(m => m
                .AddMeter(HeraldDiagnostics.Name)
                .AddReader(new PeriodicExportingMetricReader(Metrics, MetricExportMilliseconds)));

    /// <summary>What the exporters received so far, as JSON (<c>GET /bench/telemetry</c>): shows that the listener was on.</summary>
    public static string Json() =>
        $"{{\"spans\":{Interlocked.Read(ref Spans.Count)},\"metricExports\":{Interlocked.Read(ref Metrics.Exports)},\"metricPoints\":{Interlocked.Read(ref Metrics.Points)}}}";

    private sealed class CountingSpanExporter : BaseExporter<Activity>
    {
        public long Count;

        public override ExportResult Export(in Batch<Activity> batch)
        {
            Interlocked.Add(ref Count, batch.Count);
            return ExportResult.Success;
        }
    }

    private sealed class CountingMetricExporter : BaseExporter<Metric>
    {
        public long Exports;
        public long Points;

        public override ExportResult Export(in Batch<Metric> batch)
        {
            // Walk the points as an exporter must to serialize them, without serializing.
            long points = 0;
            foreach (var metric in batch)
            {
                foreach (ref readonly var point in metric.GetMetricPoints())
                {
                    _ = point.EndTime;
                    points++;
                }
            }

            Interlocked.Increment(ref Exports);
            Interlocked.Add(ref Points, points);
            return ExportResult.Success;
        }
    }
}
