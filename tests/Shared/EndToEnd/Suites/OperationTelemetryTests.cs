using System.Diagnostics;
using Herald.Protocol;
using Herald.Server;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Herald.Testing.EndToEnd;

/// <summary>
/// The span, count and duration of every A2A operation, whatever the binding (OpenTelemetry in-memory exporters):
/// one <c>a2a/{method}</c> span per request with the RPC conventions' attributes and the A2A ones, an error with its code.
/// </summary>
[Collection(TelemetryCollection.Name)] // listeners are process-wide: these tests must not see each other's spans
public abstract class OperationTelemetryTests : BindingTests
{
    [Fact]
    public async Task EveryMethod_OneServerSpanWithItsAttributes_AndAnErrorWithItsCode()
    {
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(HeraldDiagnostics.Name).AddInMemoryExporter(spans).Build();
        using var meters = Sdk.CreateMeterProviderBuilder().AddMeter(HeraldDiagnostics.Name).AddInMemoryExporter(metrics).Build();
        var agent = new ControlledAgent();
        var server = await StartAsync(agent);
        string binding, taskId, streamedTaskId;
        try
        {
            binding = server.Wire.Binding;
            taskId = (await server.Wire.SendImmediatelyAsync()).GetProperty("id").GetString()!;
            var run = await agent.NextRunAsync();
            await server.Wire.GetTaskAsync(taskId);
            await server.Wire.ListTasksAsync();
            await using (var subscription = await server.Wire.SubscribeToTaskAsync(taskId))
            {
                await server.Wire.CancelTaskAsync(taskId);
                await subscription.ReadToEndAsync();
            }

            await run.Returned.Within();
            await using (var stream = await server.Wire.StreamAsync("again"))
            {
                var second = await agent.NextRunAsync();
                streamedTaskId = second.TaskId;
                await second.CompleteAsync();
                await second.FinishAsync();
                await stream.ReadToEndAsync();
            }

            await ErrorAsync(() => server.Wire.GetTaskAsync("no-such-task"), A2AErrorCodes.TaskNotFound);
        }
        finally
        {
            await server.DisposeAsync(); // every request has ended: so has its span
        }

        tracing.ForceFlush();
        meters.ForceFlush();
        var operations = spans.Where(s => s.DisplayName.StartsWith("a2a/", StringComparison.Ordinal)).OrderBy(s => s.StartTimeUtc).ToList();
        Assert.Equal(
            ["a2a/SendMessage", "a2a/GetTask", "a2a/ListTasks", "a2a/SubscribeToTask", "a2a/CancelTask", "a2a/SendStreamingMessage", "a2a/GetTask"],
            operations.Select(s => s.DisplayName));
        var rpcSystem = binding switch { "JSONRPC" => "jsonrpc", "GRPC" => "grpc", _ => null };
        foreach (var span in operations)
        {
            Assert.Equal(ActivityKind.Server, span.Kind); // no ASP.NET Core instrumentation: the operation is the server span
            Assert.Equal(rpcSystem, span.GetTagItem("rpc.system"));
            Assert.Equal("a2a", span.GetTagItem("rpc.service"));
            Assert.Equal(span.DisplayName["a2a/".Length..], span.GetTagItem("rpc.method"));
            Assert.Equal(binding, span.GetTagItem("a2a.binding"));
            Assert.Equal("1.0", span.GetTagItem("a2a.dialect"));
        }

        Assert.Equal(
            [taskId, taskId, null, taskId, taskId, streamedTaskId, "no-such-task"],
            operations.Select(s => (string?)s.GetTagItem("a2a.task.id")));
        Assert.Equal(["ok", "ok", "ok", "ok", "ok", "ok", "error"], operations.Select(s => (string?)s.GetTagItem("herald.outcome")));
        var failed = operations[^1];
        Assert.Equal(ActivityStatusCode.Error, failed.Status);
        Assert.Equal(A2AErrorCodes.TaskNotFound, failed.GetTagItem("a2a.error.code"));
        Assert.All(operations.SkipLast(1), s => Assert.Equal(ActivityStatusCode.Unset, s.Status));

        Assert.Equal(7, Points(metrics, "herald.operations").Sum(p => p.GetSumLong()));
        Assert.Equal(1, Points(metrics, "herald.operations").Where(p => Tag(p, "rpc.method") == "GetTask" && Tag(p, "herald.outcome") == "error").Sum(p => p.GetSumLong()));
        Assert.All(Points(metrics, "herald.operations"), p => Assert.Equal(binding, Tag(p, "a2a.binding")));
        Assert.Equal(7, Points(metrics, "herald.operation.duration").Sum(p => p.GetHistogramCount()));
    }

    private static List<MetricPoint> Points(List<Metric> metrics, string name)
    {
        var points = new List<MetricPoint>();
        foreach (var metric in metrics.Where(m => m.Name == name))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                points.Add(point);
            }
        }

        return points;
    }

    private static string? Tag(MetricPoint point, string key)
    {
        foreach (var tag in point.Tags)
        {
            if (tag.Key == key)
            {
                return tag.Value?.ToString();
            }
        }

        return null;
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "Telemetry";
}
