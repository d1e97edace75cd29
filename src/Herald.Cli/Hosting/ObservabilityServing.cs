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
/// protobuf to <c>URL/v1/traces</c> and <c>URL/v1/metrics</c>, as any OpenTelemetry collector receives them (port 4318).
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

    public static void Configure(WebApplicationBuilder builder, Uri? collector)
    {
        if (collector is null)
        {
            return;
        }

        var root = collector.ToString().TrimEnd('/');
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("herald"))
            .WithTracing(t => t
                .AddSource(HeraldDiagnostics.Name)
                .AddAspNetCoreInstrumentation()
                .AddOtlpExporter(o =>
                {
                    o.Endpoint = new Uri(root + "/v1/traces");
                    o.Protocol = OtlpExportProtocol.HttpProtobuf;
                }))
            .WithMetrics(m => m
                .AddMeter(HeraldDiagnostics.Name)
                .AddAspNetCoreInstrumentation()
                .AddOtlpExporter(o =>
                {
                    o.Endpoint = new Uri(root + "/v1/metrics");
                    o.Protocol = OtlpExportProtocol.HttpProtobuf;
                }));
    }
}
