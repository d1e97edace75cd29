using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Herald.Server;
using Herald.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Herald.AspNetCore.Tests;

/// <summary>
/// What a running Herald shows an OpenTelemetry SDK (in-memory exporters): the spans of a streamed task, joined in the
/// request's trace; the instruments a workload moves; the store health check. docs/observability.md lists them.
/// </summary>
[Collection(TelemetryCollection.Name)] // listeners are process-wide: these tests must not see each other's spans
public sealed class TelemetryTests
{
    private static async Task<HeraldTestServer> StartAsync(ControlledAgent agent, Action<IServiceCollection>? services = null) =>
        await HeraldTestServer.StartAsync(
            h => h.AddAgent(agent),
            configureServices: s =>
            {
                s.AddHealthChecks().AddHeraldStore();
                services?.Invoke(s);
            },
            configureApp: app => app.MapHeraldHealthChecks());

    [Fact]
    public async Task StreamedTask_RunAppendsAndStreamSpans_AllInTheRequestsTrace()
    {
        var spans = new List<Activity>();
        using var tracing = Tracing(spans);
        var agent = new ControlledAgent();
        var server = await StartAsync(agent);
        try
        {
            await using var stream = await server.Wire.StreamAsync("go");
            var run = await agent.NextRunAsync();
            await run.WorkingAsync();
            await run.ArtifactAsync("a");
            await run.CompleteAsync("done");
            await run.FinishAsync();
            await stream.ReadToEndAsync();
        }
        finally
        {
            await server.DisposeAsync(); // every stream of the server is disposed: its span has ended
        }

        tracing.ForceFlush();
        var byName = spans.ToLookup(s => s.OperationName);
        var runSpan = Assert.Single(byName["herald.agent.run"]);
        var streamSpan = Assert.Single(byName["herald.stream"]);
        var request = Assert.Single(spans, s => s.Kind == ActivityKind.Server && s.TraceId == runSpan.TraceId);
        var appends = byName["herald.store.append"].ToList();

        Assert.NotEmpty(appends);
        Assert.All(appends, a => Assert.Equal(runSpan.SpanId, a.ParentSpanId));
        Assert.Equal(request.TraceId, runSpan.TraceId);
        Assert.Equal(request.TraceId, streamSpan.TraceId);
        var taskId = (string)runSpan.GetTagItem("a2a.task.id")!;
        Assert.Equal(taskId, streamSpan.GetTagItem("a2a.task.id"));
        Assert.Equal("TASK_STATE_COMPLETED", runSpan.GetTagItem("a2a.task.state"));
        Assert.Equal(3L, streamSpan.GetTagItem("herald.stream.events")); // working, artifact, completed
        Assert.Equal(4, appends.Sum(a => (int)a.GetTagItem("herald.store.events")!) + 1); // + the created event
        Assert.All(appends, a => Assert.Equal("memory", a.GetTagItem("herald.store")));
        Assert.All(appends, a => Assert.InRange((long)a.GetTagItem("herald.store.bytes")!, 20, 4096));
    }

    [Fact]
    public async Task StreamedTask_RunIsTheCreatingRequestsChild_AndAStreamOpenedByAnotherRequestLinksToIt()
    {
        var spans = new List<Activity>();
        using var tracing = Tracing(spans);
        var agent = new ControlledAgent();
        var server = await StartAsync(agent);
        string taskId;
        try
        {
            await using var created = await server.Wire.StreamAsync("go");
            var run = await agent.NextRunAsync();
            taskId = run.TaskId;
            await run.WorkingAsync();
            await using var subscribed = await server.Wire.SubscribeToTaskAsync(taskId);
            await run.ArtifactAsync("a");
            await run.CompleteAsync("done");
            await run.FinishAsync();
            await created.ReadToEndAsync();
            await subscribed.ReadToEndAsync();
        }
        finally
        {
            await server.DisposeAsync(); // every stream of the server is disposed: its span has ended
        }

        tracing.ForceFlush();
        var send = Assert.Single(spans, s => s.DisplayName == "a2a/SendStreamingMessage");
        var subscribe = Assert.Single(spans, s => s.DisplayName == "a2a/SubscribeToTask");
        var runSpan = Assert.Single(spans, s => s.OperationName == "herald.agent.run");
        var streams = spans.Where(s => s.OperationName == "herald.stream").ToList();
        var live = Assert.Single(streams, s => s.ParentSpanId == send.SpanId);
        var later = Assert.Single(streams, s => s.ParentSpanId == subscribe.SpanId);

        Assert.Equal(2, streams.Count);
        Assert.NotEqual(send.TraceId, subscribe.TraceId); // two requests, two traces
        Assert.Equal((send.TraceId, send.SpanId), (runSpan.TraceId, runSpan.ParentSpanId));
        Assert.Equal(send.TraceId, live.TraceId);
        Assert.Empty(live.Links);
        Assert.Equal(subscribe.TraceId, later.TraceId);
        var link = Assert.Single(later.Links);
        Assert.Equal((send.TraceId, send.SpanId), (link.Context.TraceId, link.Context.SpanId));
        Assert.All(streams, s => Assert.Equal(taskId, s.GetTagItem("a2a.task.id")));
    }

    [Fact]
    public async Task Workload_MovesTheInstruments_AndTheGaugesReturnToZero()
    {
        var metrics = new List<Metric>();
        using var meters = Sdk.CreateMeterProviderBuilder().AddMeter(HeraldDiagnostics.Name).AddInMemoryExporter(metrics).Build();
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);

        for (var i = 0; i < 3; i++)
        {
            await using var stream = await server.Wire.StreamAsync("go");
            var run = await agent.NextRunAsync();
            if (i == 0)
            {
                // Open streams are counted by the binding that opened them.
                meters.ForceFlush();
                Assert.Equal(1, Sum(metrics, "herald.streams.open", ("a2a.binding", "JSONRPC")));
                Assert.Equal(0, Sum(metrics, "herald.streams.open", ("a2a.binding", "GRPC")));
                metrics.Clear();
            }

            await run.ArtifactAsync("x");
            await run.ArtifactAsync("y", append: true);
            await run.CompleteAsync();
            await run.FinishAsync();
            await stream.ReadToEndAsync();
        }

        // A run's instruments are recorded as the runner lets it go, just after the agent returned: wait (bounded) for that.
        var engine = (Herald.Server.Engine.TaskEngine)server.Tasks;
        using (var limit = Bounded.Token())
        {
            while (engine.RunningCount > 0)
            {
                await Task.Delay(5, limit.Token);
            }
        }

        meters.ForceFlush();

        Assert.Equal(9, Sum(metrics, "herald.events.appended")); // three runs: two chunks and completed each
        Assert.Equal(0, Sum(metrics, "herald.agent.runs.active"));
        Assert.Equal(0, Sum(metrics, "herald.streams.open"));
        Assert.True(HistogramCount(metrics, "herald.store.append.duration") >= 3);
        Assert.Equal(3, HistogramCount(metrics, "herald.agent.run.duration"));
        Assert.True(HistogramCount(metrics, "herald.stream.lag") >= 3);
    }

    [Fact]
    public async Task OperationLogScope_EngineLogsCarryTheTaskAndTheOperationsTraceAndSpanIds()
    {
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(HeraldDiagnostics.Name).AddInMemoryExporter(spans).Build();
        var logs = new ScopeLoggerProvider();
        var agent = new ControlledAgent();
        var server = await StartAsync(agent, s => s.AddLogging(b =>
        {
            b.AddProvider(logs);
            b.AddFilter<ScopeLoggerProvider>(null, LogLevel.Trace);
            b.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        }));
        string taskId;
        try
        {
            taskId = (await server.Wire.SendImmediatelyAsync()).GetProperty("id").GetString()!;
            var run = await agent.NextRunAsync();
            await server.Wire.CancelTaskAsync(taskId);
            await run.Returned.Within();
        }
        finally
        {
            await server.DisposeAsync();
        }

        tracing.ForceFlush();
        var cancel = Assert.Single(spans, s => s.DisplayName == "a2a/CancelTask");
        var canceled = Assert.Single(logs.Entries, e => e.EventId.Id == 1002); // the engine's [LoggerMessage] TaskCanceled
        Assert.Equal(taskId, canceled.Scope["a2a.task.id"]);
        Assert.Equal("CancelTask", canceled.Scope["rpc.method"]);
        Assert.Equal("JSONRPC", canceled.Scope["a2a.binding"]);
        Assert.Equal(cancel.TraceId.ToHexString(), canceled.Scope["TraceId"]);
        Assert.Equal(cancel.SpanId.ToHexString(), canceled.Scope["SpanId"]);
    }

    [Fact]
    public async Task OperationSpan_UnderAspNetCoresServerSpan_IsItsInternalChild()
    {
        var spans = new List<Activity>();
        using var tracing = Tracing(spans);
        var agent = new ControlledAgent();
        var server = await StartAsync(agent);
        try
        {
            var taskId = (await server.Wire.SendImmediatelyAsync()).GetProperty("id").GetString()!;
            await agent.NextRunAsync();
            await server.Wire.GetTaskAsync(taskId);
        }
        finally
        {
            await server.DisposeAsync();
        }

        tracing.ForceFlush();
        var get = Assert.Single(spans, s => s.DisplayName == "a2a/GetTask");
        var request = Assert.Single(spans, s => s.Kind == ActivityKind.Server && s.SpanId == get.ParentSpanId);
        Assert.Equal(ActivityKind.Internal, get.Kind);
        Assert.Equal(request.TraceId, get.TraceId);
    }

    [Fact]
    public async Task Health_StoreUnavailable_Unhealthy503_ThenHealthyAgain()
    {
        var store = new FaultyTaskStore();
        await using var server = await StartAsync(new ControlledAgent(), s => s.AddSingleton<TaskStore>(store));

        var healthy = await GetHealthAsync(server);
        store.GoDown();
        var down = await GetHealthAsync(server);
        store.ComeBack();
        var back = await GetHealthAsync(server);

        Assert.Equal((HttpStatusCode.OK, "Healthy"), (healthy.Status, healthy.Body.GetProperty("status").GetString()));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.Status);
        Assert.Equal("Unhealthy", down.Body.GetProperty("checks").GetProperty("herald-store").GetProperty("status").GetString());
        Assert.Contains("unavailable", down.Body.GetProperty("checks").GetProperty("herald-store").GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, back.Status);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> GetHealthAsync(HeraldTestServer server)
    {
        using var response = await server.Client.GetAsync("/healthz").Within();
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, document.RootElement.Clone());
    }

    /// <summary>Herald's spans under ASP.NET Core's server spans, into <paramref name="spans"/>.</summary>
    private static TracerProvider Tracing(List<Activity> spans) => Sdk.CreateTracerProviderBuilder()
        .AddSource(HeraldDiagnostics.Name)
        .AddAspNetCoreInstrumentation()
        .AddInMemoryExporter(spans)
        .Build();

    private static long Sum(List<Metric> metrics, string name, (string Key, string Value)? tag = null)
    {
        long sum = 0;
        foreach (var metric in metrics.Where(m => m.Name == name))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                if (tag is { } wanted && !HasTag(point, wanted))
                {
                    continue;
                }

                sum += point.GetSumLong();
            }
        }

        return sum;

        static bool HasTag(in MetricPoint point, (string Key, string Value) wanted)
        {
            foreach (var pair in point.Tags)
            {
                if (pair.Key == wanted.Key && Equals(pair.Value, wanted.Value))
                {
                    return true;
                }
            }

            return false;
        }
    }

    private static long HistogramCount(List<Metric> metrics, string name)
    {
        long count = 0;
        foreach (var metric in metrics.Where(m => m.Name == name))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                count += point.GetHistogramCount();
            }
        }

        return count;
    }
}

/// <summary>Keeps each log entry with the values of every scope it was written in (activity tracking's ids included).</summary>
internal sealed class ScopeLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly List<(EventId EventId, Dictionary<string, object?> Scope)> _entries = [];
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public IReadOnlyList<(EventId EventId, Dictionary<string, object?> Scope)> Entries
    {
        get
        {
            lock (_entries)
            {
                return _entries.ToArray();
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(ScopeLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scope = new Dictionary<string, object?>();
            provider._scopes.ForEachScope(
                (value, values) =>
                {
                    if (value is IEnumerable<KeyValuePair<string, object?>> pairs)
                    {
                        foreach (var pair in pairs)
                        {
                            values[pair.Key] = pair.Value;
                        }
                    }
                },
                scope);
            lock (provider._entries)
            {
                provider._entries.Add((eventId, scope));
            }
        }
    }
}
