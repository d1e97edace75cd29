using System.CommandLine;
using Herald.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Herald.Cli.Hosting;

/// <summary>
/// <c>herald serve --otlp URL</c>: Herald's spans and metrics (and ASP.NET Core's request spans) exported over OTLP/HTTP with
/// protobuf to <c>URL/v1/traces</c> and <c>URL/v1/metrics</c>, as any OpenTelemetry collector receives them (port 4318);
/// <c>herald serve --metrics</c>: the same metrics (and the runtime's) scraped by Prometheus at <c>/metrics</c>.
/// </summary>
internal static class ObservabilityServing
{
    public static Option<string?> CreateOption() => new("--otlp")
    {
        Description = "Export traces and metrics over OTLP/HTTP (protobuf) to this collector base URL, e.g. http://127.0.0.1:4318 " +
            "(sent to /v1/traces and /v1/metrics). Off by default.",
        HelpName = "URL",
    };

    /// <summary>The error for an --otlp value that is not an absolute http(s) URL, or null.</summary>
    public static string? Validate(string? text) =>
        text is null || (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
            ? null
            : $"--otlp '{text}' is not an absolute http or https URL, e.g. http://127.0.0.1:4318.";

    /// <summary><c>--metrics</c>: a Prometheus scrape endpoint on the A2A port.</summary>
    public static Option<bool> CreateMetricsOption() => new("--metrics")
    {
        Description = "Serve a Prometheus scrape endpoint at " + MetricsPath + " on the A2A port: Herald's, ASP.NET Core's and the runtime's " +
            "metrics. Off by default.",
    };

    /// <summary>Where <c>--metrics</c> serves the scrape endpoint.</summary>
    public const string MetricsPath = "/metrics";

    public static void Configure(WebApplicationBuilder builder, Uri? collector, bool metrics = false)
    {
        if (collector is null && !metrics)
        {
            return;
        }

        var telemetry = builder.Services.AddOpenTelemetry().ConfigureResource(r => r.AddService("herald"));
        if (collector is not null)
        {
            var root = collector.ToString().TrimEnd('/');
            telemetry.WithTracing(t => t
                .AddSource(HeraldDiagnostics.Name)
                .AddAspNetCoreInstrumentation()
                .AddOtlpExporter(o =>
                {
                    o.Endpoint = new Uri(root + "/v1/traces");
                    o.Protocol = OtlpExportProtocol.HttpProtobuf;
                }));
        }

        telemetry.WithMetrics(m =>
        {
            m.AddMeter(HeraldDiagnostics.Name).AddAspNetCoreInstrumentation();
            if (collector is not null)
            {
                m.AddOtlpExporter(o =>
                {
                    o.Endpoint = new Uri(collector.ToString().TrimEnd('/') + "/v1/metrics");
                    o.Protocol = OtlpExportProtocol.HttpProtobuf;
                });
            }

            if (metrics)
            {
                // The runtime's own meter (GC, thread pool, exceptions; .NET 9+) costs nothing until read: a scrape reads it.
                m.AddMeter("System.Runtime").AddPrometheusExporter();
            }
        });
    }

    /// <summary>Maps the scrape endpoint when <c>--metrics</c> asked for it (every role: a worker has metrics too).</summary>
    public static void Map(WebApplication app, bool metrics)
    {
        if (metrics)
        {
            app.MapPrometheusScrapingEndpoint(MetricsPath);
        }
    }
}
