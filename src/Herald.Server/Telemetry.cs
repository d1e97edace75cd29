using System.Diagnostics;
using System.Diagnostics.Metrics;
using Herald.Server.Storage;

namespace Herald.Server;

/// <summary>
/// Herald's activity source and instruments, created once. Spans are started only when a listener samples them
/// (<see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns null otherwise) and instruments record
/// nothing without a listener, so an unobserved server pays a null check per operation.
/// </summary>
internal static class Telemetry
{
    public static readonly ActivitySource Source = new(HeraldDiagnostics.Name, Version);

    public static readonly Meter Meter = new(HeraldDiagnostics.Name, Version);

    /// <summary>Boundaries for latencies from tens of microseconds to seconds (the defaults start at 5 ms).</summary>
    public static readonly double[] LatencyBuckets =
        [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    public static readonly UpDownCounter<long> RunsActive = Meter.CreateUpDownCounter<long>(
        "herald.agent.runs.active", "{run}", "Agent runs executing in this process.");

    public static readonly Histogram<double> RunDuration = Meter.CreateHistogram(
        "herald.agent.run.duration", "s", "How long an agent run took, by the state it left the task in.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600] });

    public static readonly UpDownCounter<long> StreamsOpen = Meter.CreateUpDownCounter<long>(
        "herald.streams.open", "{stream}", "Task streams open (SendStreamingMessage, SubscribeToTask, in-process subscriptions).");

    public static readonly Counter<long> EventsAppended = Meter.CreateCounter<long>(
        "herald.events.appended", "{event}", "Events an agent's run appended durably to task logs.");

    public static readonly Histogram<double> AppendDuration = Meter.CreateHistogram(
        "herald.store.append.duration", "s", "From handing a batch of a run's events to the store to the store saying it is durable (each attempt).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });

    public static readonly Counter<long> StoreErrors = Meter.CreateCounter<long>(
        "herald.store.errors", "{error}", "Store operations that failed, by error.type: transient (retried) or the refusal's type.");

    public static readonly Histogram<long> StreamLag = Meter.CreateHistogram<long>(
        "herald.stream.lag", "{event}", "How many events behind the task's log a stream was when it read (0: caught up).",
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [0, 1, 2, 5, 10, 50, 100, 500, 1000, 5000] });

    public static readonly Counter<long> LeasesRecovered = Meter.CreateCounter<long>(
        "herald.leases.recovered", "{task}", "Orphaned tasks (their runner's lease expired) that maintenance failed with a reason.");

    public static readonly Counter<long> RetentionDeleted = Meter.CreateCounter<long>(
        "herald.retention.deleted", "{task}", "Ended tasks deleted with their logs by retention.");

    public static readonly Counter<long> Operations = Meter.CreateCounter<long>(
        "herald.operations", "{operation}", "A2A operations served, by rpc.method, a2a.binding and herald.outcome (ok, error, canceled).");

    public static readonly Histogram<double> OperationDuration = Meter.CreateHistogram(
        "herald.operation.duration", "s", "How long an A2A operation took, from the request to the end of its response (a stream's whole life).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });

    public static readonly Counter<long> PushDeliveries = Meter.CreateCounter<long>(
        "herald.push.deliveries", "{delivery}", "Webhook POSTs of push notifications, by herald.push.outcome (delivered, retry_later, refused, blocked).");

    public static readonly Histogram<double> PushDeliveryDuration = Meter.CreateHistogram(
        "herald.push.delivery.duration", "s", "How long one webhook POST took, by herald.push.outcome.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });

    public static readonly Counter<long> PushConfigsFailing = Meter.CreateCounter<long>(
        "herald.push.configs.failing", "{config}", "Push configs marked failing (retries exhausted, or every address refused by the SSRF guard).");

    private static string Version => typeof(Telemetry).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>Starts an internal span without making it the current one of the caller's flow (for spans that outlive the call).</summary>
    public static Activity? StartDetached(string name, ActivityKind kind = ActivityKind.Internal, IEnumerable<ActivityLink>? links = null)
    {
        var previous = Activity.Current;
        var activity = Source.StartActivity(name, kind, default(ActivityContext), null, links);
        Activity.Current = previous;
        return activity;
    }

    /// <summary>
    /// The trace context to keep with a task created or continued now: the current activity's, when Herald is listened to
    /// and there is one (null otherwise, at the cost of a check).
    /// </summary>
    public static TaskTraceContext? CaptureTraceContext() =>
        Source.HasListeners() ? TaskTraceContext.From(Activity.Current) : null;

    /// <summary>
    /// A link from a span starting now to the task's stored trace context (<paramref name="origin"/>), or null when there is
    /// none, it does not parse, or it is the current span itself (the span is then its child already).
    /// </summary>
    public static ActivityLink[]? LinkTo(TaskTraceContext? origin)
    {
        if (origin is null || !origin.TryGetActivityContext(out var context))
        {
            return null;
        }

        return Activity.Current is { } current && current.TraceId == context.TraceId && current.SpanId == context.SpanId
            ? null
            : [new ActivityLink(context)];
    }

    /// <summary>The store a span's write went to, for <c>herald.store</c>: <c>memory</c>, <c>sqlite</c>, <c>postgresql</c>, or a host's own store's type name.</summary>
    public static string StoreName(Storage.TaskStore store) => store.GetType().Name switch
    {
        var name when name.Contains("InMemory", StringComparison.Ordinal) => "memory",
        var name when name.Contains("Sqlite", StringComparison.Ordinal) => "sqlite",
        var name when name.Contains("Postgres", StringComparison.Ordinal) => "postgresql",
        var name => name,
    };
}
