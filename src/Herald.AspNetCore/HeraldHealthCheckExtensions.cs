using System.Text.Json;
using Herald.AspNetCore.Health;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

// In the ASP.NET Core builder namespace, like MapHealthChecks, so no extra using is needed.
#pragma warning disable IDE0130
namespace Microsoft.AspNetCore.Builder;
#pragma warning restore IDE0130

/// <summary>Health checks for a Herald server: the task store answers.</summary>
public static class HeraldHealthCheckExtensions
{
    /// <summary>The name of the store check.</summary>
    public const string StoreCheckName = "herald-store";

    /// <summary>Adds the task store check (one read of the store, unhealthy while it is unavailable).</summary>
    public static IHealthChecksBuilder AddHeraldStore(this IHealthChecksBuilder builder, string name = StoreCheckName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddCheck<TaskStoreHealthCheck>(name, HealthStatus.Unhealthy, ["herald", "ready"]);
    }

    /// <summary>
    /// Maps GET <paramref name="pattern"/> to the registered health checks (register the store's with
    /// <c>services.AddHealthChecks().AddHeraldStore()</c>): 200 with <c>{"status":"Healthy","checks":{...}}</c>, or 503 with
    /// each check's status and reason.
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>services.AddHealthChecks()</c> was not called.</exception>
    public static IEndpointConventionBuilder MapHeraldHealthChecks(this IEndpointRouteBuilder endpoints, string pattern = "/healthz")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.ServiceProvider.GetService<HealthCheckService>() is null)
        {
            throw new InvalidOperationException("Health checks are not registered. Call builder.Services.AddHealthChecks().AddHeraldStore() before app.MapHeraldHealthChecks().");
        }

        return endpoints.MapHealthChecks(pattern, new HealthCheckOptions { ResponseWriter = WriteAsync }).WithDisplayName("Herald health");
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("status", report.Status.ToString());
            json.WriteStartObject("checks");
            foreach (var (name, entry) in report.Entries)
            {
                json.WriteStartObject(name);
                json.WriteString("status", entry.Status.ToString());
                if (entry.Description is { } description)
                {
                    json.WriteString("description", description);
                }

                json.WriteNumber("durationMs", Math.Round(entry.Duration.TotalMilliseconds, 1));
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return context.Response.Body.WriteAsync(buffer.WrittenMemory).AsTask();
    }
}
