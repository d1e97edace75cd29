using System.Globalization;
using Herald.Protocol;
using Herald.Server.Engine;
using Herald.Server.Push;
using Herald.Server.Storage;
using Herald.Server.Tests.Engine;
using Herald.Storage.Postgres;
using Herald.Storage.Sqlite;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace Herald.Server.Tests.Push;

/// <summary>
/// Push delivery as one more reader of the log: every status and artifact event after a webhook's cursor is POSTed to it in
/// log order, at least once, with its sequence in <c>Herald-Event-Sequence</c>; the cursor moves only after a 2xx, so a
/// webhook that fails and recovers, or a restart, loses nothing; a webhook that keeps failing is marked failing.
/// </summary>
public sealed class PushDeliveryTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private volatile bool _afterRestart;

    public void Dispose() => _directory.Dispose();

    private static void Configure(HeraldOptions o)
    {
        o.PushNotifications = true;
        o.WebhookAllow = ["127.0.0.1"];
        o.PushPollInterval = TimeSpan.FromMilliseconds(50);
        o.PushRetryDelay = TimeSpan.FromMilliseconds(10);
        o.PushMaxRetryDelay = TimeSpan.FromMilliseconds(50);
        o.WebhookTimeout = TimeSpan.FromSeconds(5);
    }

    private static PushDeliveries StartDeliveries(EngineHarness harness)
    {
        var options = harness.Engine.Options;
        var deliveries = new PushDeliveries(harness.Store, new WebhookSender(new WebhookAddressPolicy(options.WebhookAllow), options), options, TimeProvider.System, NullLogger.Instance);
        deliveries.Start();
        return deliveries;
    }

    /// <summary>An agent that waits for <paramref name="go"/>, then streams <paramref name="chunks"/> chunks and completes.</summary>
    private static Func<Agents.AgentContext, CancellationToken, Task> Streamer(TaskCompletionSource go, int chunks) => async (context, ct) =>
    {
        await go.Task.WaitAsync(ct);
        await context.StartWorkAsync("streaming", ct);
        for (var i = 0; i < chunks; i++)
        {
            await context.AppendTextAsync("out", "chunk " + i + " ", lastChunk: i == chunks - 1, cancellationToken: ct);
        }

        await context.CompleteAsync("done", ct);
    };

    private static TaskPushNotificationConfig Hook(string taskId, WebhookReceiver receiver, string id) =>
        new() { TaskId = taskId, Id = id, Url = new Uri(receiver.Url, id).AbsoluteUri, Token = "token-" + id };

    /// <summary>The streamed events of the task's log after <paramref name="after"/>: what a webhook must receive.</summary>
    private static async Task<List<TaskEvent>> StreamedAsync(TaskStore store, string taskId, long after = 1) =>
        [.. (await store.ReadAsync(taskId, after, 10_000)).Where(e => e.IsStreamed)];

    private static long Sequence(ReceivedRequest request) => long.Parse(request.Header("Herald-Event-Sequence")!, CultureInfo.InvariantCulture);

    private static async Task UntilAsync(Func<bool> done)
    {
        using var timeout = new CancellationTokenSource(Bounded.Timeout);
        while (!done())
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    [Fact]
    public async Task ManyChunks_ToTwoWebhooks_EachGetsEveryEventOnceInLogOrder_WithItsBytesAndSequence()
    {
        var go = Bounded.NewSignal();
        await using var harness = EngineHarness.Create(Streamer(go, 200), Configure, realTime: true);
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var deliveries = StartDeliveries(harness);
        var task = (await harness.Engine.SendMessageAsync(Caller.Anonymous, EngineHarness.Request() with { Configuration = new SendMessageConfiguration { ReturnImmediately = true } }).AsTask().Within()).Task!.Task;
        await harness.Engine.CreateTaskPushNotificationConfigAsync(Caller.Anonymous, Hook(task.Id, receiver, "a")).AsTask().Within();
        await harness.Engine.CreateTaskPushNotificationConfigAsync(Caller.Anonymous, Hook(task.Id, receiver, "b")).AsTask().Within();

        go.TrySetResult();
        var expected = await UntilCompletedAsync(harness, task.Id);
        await UntilAsync(() => receiver.Requests.Count >= 2 * expected.Count);

        foreach (var hook in new[] { "/a", "/b" })
        {
            var received = receiver.Requests.Where(r => r.PathAndQuery == hook).ToList();
            Assert.Equal(expected.Select(e => e.Sequence), received.Select(Sequence));
            Assert.Equal(expected.Select(e => Convert.ToHexString(e.GetV1Json().Span)), received.Select(r => Convert.ToHexString(r.Body)));
            Assert.All(received, r => Assert.Equal("token-" + hook[1..], r.Header("X-A2A-Notification-Token")));
            Assert.All(received, r => Assert.Equal(task.Id, r.Header("Herald-Task-Id")));
        }

        Assert.Equal(202, expected.Count); // working, 200 chunks, completed
    }

    [Fact]
    public async Task InlineConfigWithBearerCredentials_AsTheTckSendsIt_FirstPostWithinFifteenSeconds()
    {
        // The A2A TCK's push test (1.0 line): a config inline in SendMessage with a Bearer credential, then a POST with a
        // StreamResponse body to the webhook within 15 seconds.
        await using var harness = EngineHarness.Create((context, ct) => context.CompleteAsync("done", ct).AsTask(), Configure, realTime: true);
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var deliveries = StartDeliveries(harness);
        var request = EngineHarness.Request("hi") with
        {
            Configuration = new SendMessageConfiguration
            {
                TaskPushNotificationConfig = new TaskPushNotificationConfig
                {
                    Url = new Uri(receiver.Url, "tck").AbsoluteUri,
                    Authentication = new AuthenticationInfo { Scheme = "Bearer", Credentials = "tck-credential" },
                },
            },
        };

        var task = (await harness.Engine.SendMessageAsync(Caller.Anonymous, request).AsTask().Within()).Task!.Task;
        var first = await receiver.FirstRequest.Task.WaitAsync(TimeSpan.FromSeconds(15));

        Assert.Equal("POST", first.Method);
        Assert.Equal("Bearer tck-credential", first.Header("Authorization"));
        Assert.StartsWith("application/a2a+json", first.Header("Content-Type"), StringComparison.Ordinal);
        var body = System.Text.Json.JsonSerializer.Deserialize(first.Body, A2AJsonContext.Default.StreamResponse)!;
        Assert.Equal(task.Id, body.StatusUpdate?.TaskId ?? body.ArtifactUpdate?.TaskId);
    }

    [Fact]
    public async Task Deliveries_JoinTheTasksTrace_AndAreCounted()
    {
        var spans = new System.Collections.Concurrent.ConcurrentQueue<System.Diagnostics.Activity>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == HeraldDiagnostics.Name,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        var delivered = 0L;
        using var meters = new System.Diagnostics.Metrics.MeterListener();
        meters.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == HeraldDiagnostics.Name && instrument.Name == "herald.push.deliveries")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        meters.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag is { Key: "herald.push.outcome", Value: "delivered" })
                {
                    Interlocked.Add(ref delivered, value);
                }
            }
        });
        meters.Start();

        var go = Bounded.NewSignal();
        await using var harness = EngineHarness.Create(Streamer(go, 3), Configure, realTime: true);
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var deliveries = StartDeliveries(harness);
        using var source = new System.Diagnostics.ActivitySource("PushDeliveryTests");
        using var requestListener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = s => s.Name == "PushDeliveryTests",
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(requestListener);
        AgentTask task;
        System.Diagnostics.ActivityTraceId traceId;
        using (var request = source.StartActivity("client request"))
        {
            traceId = request!.TraceId;
            task = (await harness.Engine.SendMessageAsync(Caller.Anonymous, EngineHarness.Request() with { Configuration = new SendMessageConfiguration { ReturnImmediately = true } }).AsTask().Within()).Task!.Task;
        }

        await harness.Engine.CreateTaskPushNotificationConfigAsync(Caller.Anonymous, Hook(task.Id, receiver, "traced")).AsTask().Within();
        go.TrySetResult();
        var expected = await UntilCompletedAsync(harness, task.Id);
        // One span per delivery turn (a turn ends when the webhook has caught up): together they posted every event.
        List<System.Diagnostics.Activity> Turns() => [.. spans.Where(s => s.OperationName == "herald.push.deliver" && (string?)s.GetTagItem("a2a.task.id") == task.Id)];
        await UntilAsync(() => receiver.Requests.Count >= expected.Count && Interlocked.Read(ref delivered) >= expected.Count
            && Turns().Sum(s => (int)(s.GetTagItem("herald.push.events") ?? 0)) >= expected.Count);

        Assert.All(Turns(), span =>
        {
            Assert.Equal(traceId, span.TraceId); // a child of the request that created the task, like its run
            Assert.Equal("traced", span.GetTagItem("herald.push.config.id"));
            Assert.Equal("delivered", span.GetTagItem("herald.push.outcome"));
        });
        Assert.Equal(expected.Count, Turns().Sum(s => (int)s.GetTagItem("herald.push.events")!));
    }

    [Fact]
    public async Task WebhookFailsThenRecovers_EveryEventArrivesInOrder_RetriesCarryTheSameSequence()
    {
        var go = Bounded.NewSignal();
        await using var harness = EngineHarness.Create(Streamer(go, 20), Configure, realTime: true);
        await using var receiver = await WebhookReceiver.StartAsync();
        var answered = 0;
        receiver.Respond = context =>
        {
            // The 3rd to 6th requests fail (503, then 500, then a refusal, then 503): the webhook is down for a while.
            var n = Interlocked.Increment(ref answered);
            context.Response.StatusCode = n switch { 3 or 6 => 503, 4 => 500, 5 => 404, _ => 200 };
            return Task.CompletedTask;
        };
        await using var deliveries = StartDeliveries(harness);
        var task = (await harness.Engine.SendMessageAsync(Caller.Anonymous, EngineHarness.Request() with { Configuration = new SendMessageConfiguration { ReturnImmediately = true } }).AsTask().Within()).Task!.Task;
        await harness.Engine.CreateTaskPushNotificationConfigAsync(Caller.Anonymous, Hook(task.Id, receiver, "flaky")).AsTask().Within();

        go.TrySetResult();
        var expected = await UntilCompletedAsync(harness, task.Id);
        await UntilAsync(() => receiver.Requests.Select(Sequence).Distinct().Count() >= expected.Count && receiver.Requests.Count >= expected.Count + 4);
        var sequences = receiver.Requests.Select(Sequence).ToList();

        Assert.Equal(expected.Select(e => e.Sequence), sequences.Distinct());
        Assert.Equal(sequences.Order(), sequences); // never out of order: a failed event is retried before any later one
        Assert.Equal(expected.Count + 4, sequences.Count); // the four failed attempts were each repeated once
        Assert.Equal(sequences[2], sequences[5]); // the third request failed; it and its retries carry one sequence
    }

    [Fact]
    public async Task WebhookKeepsFailing_MarkedFailingAfterTheMostAttempts_AndNotDeliveredToAgainUntilSaved()
    {
        var go = Bounded.NewSignal();
        await using var harness = EngineHarness.Create(Streamer(go, 2), o =>
        {
            Configure(o);
            o.PushMaxAttempts = 3;
        }, realTime: true);
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = context =>
        {
            context.Response.StatusCode = 500;
            return Task.CompletedTask;
        };
        await using var deliveries = StartDeliveries(harness);
        var task = (await harness.Engine.SendMessageAsync(Caller.Anonymous, EngineHarness.Request() with { Configuration = new SendMessageConfiguration { ReturnImmediately = true } }).AsTask().Within()).Task!.Task;
        await harness.Engine.CreateTaskPushNotificationConfigAsync(Caller.Anonymous, Hook(task.Id, receiver, "down")).AsTask().Within();
        go.TrySetResult();
        await UntilCompletedAsync(harness, task.Id);
        await UntilAsync(() => deliveries.MarkedFailing >= 1);

        // Failing: nothing more is claimed, however long one waits (the store says so directly).
        await deliveries.StopAsync();
        Assert.Empty(await harness.Store.ClaimPushDeliveriesAsync("probe", TimeSpan.FromSeconds(30), 10));
        Assert.Equal(3, receiver.Requests.Count);
        Assert.All(receiver.Requests, r => Assert.Equal(receiver.Requests.First().Header("Herald-Event-Sequence"), r.Header("Herald-Event-Sequence")));

        // Saved again (the webhook is fixed): delivered from where it stopped.
        await harness.Engine.CreateTaskPushNotificationConfigAsync(Caller.Anonymous, Hook(task.Id, receiver, "down")).AsTask().Within();
        Assert.Single(await harness.Store.ClaimPushDeliveriesAsync("probe", TimeSpan.FromSeconds(30), 10));
    }

    [Fact]
    public async Task RestartInTheMiddleOfDelivery_Sqlite_PendingEventsAreDeliveredAfterTheRestart()
    {
        var path = Path.Combine(_directory.Path, "push.db");
        await using var receiver = await WebhookReceiver.StartAsync();
        var accepted = 0;
        receiver.Respond = context =>
        {
            // Before the restart the webhook takes five events, then the process stops while it is down.
            if (Interlocked.Increment(ref accepted) > 5 && !_afterRestart)
            {
                context.Response.StatusCode = 503;
            }

            return Task.CompletedTask;
        };

        string taskId;
        List<TaskEvent> expected;
        var go = Bounded.NewSignal();
        await using (var first = EngineHarness.Create(Streamer(go, 30), Configure, store: () => SqliteTaskStore.Open(new SqliteStoreOptions { DatabasePath = path }), realTime: true))
        {
            await using var deliveries = StartDeliveries(first);
            var task = (await first.Engine.SendMessageAsync(Caller.Anonymous, EngineHarness.Request() with { Configuration = new SendMessageConfiguration { ReturnImmediately = true } }).AsTask().Within()).Task!.Task;
            taskId = task.Id;
            await first.Engine.CreateTaskPushNotificationConfigAsync(Caller.Anonymous, Hook(taskId, receiver, "hook")).AsTask().Within();
            go.TrySetResult();
            expected = await UntilCompletedAsync(first, taskId);
            await UntilAsync(() => receiver.Requests.Count >= 6);
            await deliveries.StopAsync();
        }

        var beforeRestart = receiver.Requests.Count;
        _afterRestart = true;
        await using (var second = EngineHarness.Create(Streamer(Bounded.NewSignal(), 0), Configure, store: () => SqliteTaskStore.Open(new SqliteStoreOptions { DatabasePath = path }), realTime: true))
        {
            await using var deliveries = StartDeliveries(second);
            await UntilAsync(() => receiver.Requests.Skip(beforeRestart).Any(r => Sequence(r) == expected[^1].Sequence));
        }

        var all = receiver.Requests.ToList();
        var delivered = all.Take(5).Concat(all.Skip(beforeRestart)).Select(Sequence).ToList();
        Assert.Equal(expected.Select(e => e.Sequence), delivered); // the five acknowledged before, the rest after: none lost, none twice
        Assert.Equal(expected[5].Sequence, Sequence(all[beforeRestart])); // resumed at the first event never acknowledged
    }

    private static async Task<List<TaskEvent>> UntilCompletedAsync(EngineHarness harness, string taskId)
    {
        await foreach (var _ in harness.Tasks.SubscribeAsync(Caller.System, taskId).WithCancellation(new CancellationTokenSource(Bounded.Timeout).Token))
        {
        }

        return await StreamedAsync(harness.Store, taskId);
    }
}

/// <summary>Push delivery across replicas on one PostgreSQL database: one replica at a time delivers to a webhook, and another takes over when it dies.</summary>
public sealed class PushDeliveryReplicaTests
{
    private static void Configure(HeraldOptions o)
    {
        o.PushNotifications = true;
        o.WebhookAllow = ["127.0.0.1"];
        o.PushPollInterval = TimeSpan.FromMilliseconds(50);
        o.PushRetryDelay = TimeSpan.FromMilliseconds(10);
        o.PushMaxRetryDelay = TimeSpan.FromMilliseconds(50);
        o.WebhookTimeout = TimeSpan.FromSeconds(1);
        o.PushDeliveryLease = TimeSpan.FromSeconds(3);
    }

    private static PushDeliveries Deliveries(EngineHarness harness)
    {
        var options = harness.Engine.Options;
        return new PushDeliveries(harness.Store, new WebhookSender(new WebhookAddressPolicy(options.WebhookAllow), options), options, TimeProvider.System, NullLogger.Instance);
    }

    [PostgresFact]
    public async Task TwoReplicas_OneDeliversAtATime_AndTheOtherTakesOverWhenItDies()
    {
        var connectionString = PostgresServer.Shared.CreateSchema().ConnectionString;
        var go = Bounded.NewSignal();
        var crashed = Bounded.NewSignal();
        await using var a = EngineHarness.Create(async (context, ct) =>
        {
            await go.Task.WaitAsync(ct);
            for (var i = 0; i < 60; i++)
            {
                await context.AppendTextAsync("out", "chunk " + i + " ", lastChunk: i == 59, cancellationToken: ct);
                if (i == 29)
                {
                    await crashed.Task.WaitAsync(ct); // half before the first replica dies, half after
                }
            }

            await context.CompleteAsync("done", ct);
        }, Configure, store: () => PostgresTaskStore.Open(new PostgresStoreOptions { ConnectionString = connectionString }), realTime: true);
        await using var b = EngineHarness.Create((_, _) => Task.CompletedTask, Configure, store: () => PostgresTaskStore.Open(new PostgresStoreOptions { ConnectionString = connectionString }), realTime: true);
        await using var receiver = await WebhookReceiver.StartAsync();
        var inFlight = 0;
        var overlapped = false;
        receiver.Respond = async context =>
        {
            // Two deliveries to one webhook at once would mean two replicas delivering: recorded, and made likely by a pause.
            overlapped |= Interlocked.Increment(ref inFlight) > 1;
            try
            {
                await Task.Delay(2, context.RequestAborted);
            }
            finally
            {
                Interlocked.Decrement(ref inFlight);
            }
        };
        await using var onA = Deliveries(a);
        await using var onB = Deliveries(b);
        onA.Start();
        onB.Start();
        var task = (await a.Engine.SendMessageAsync(Caller.Anonymous, EngineHarness.Request() with { Configuration = new SendMessageConfiguration { ReturnImmediately = true } }).AsTask().Within()).Task!.Task;
        await a.Engine.CreateTaskPushNotificationConfigAsync(Caller.Anonymous, new TaskPushNotificationConfig { TaskId = task.Id, Id = "hook", Url = new Uri(receiver.Url, "hook").AbsoluteUri }).AsTask().Within();
        go.TrySetResult();
        await UntilAsync(() => receiver.Requests.Count >= 30);

        // The replica delivering dies (its lease is not given back); the other takes the webhook over once the lease expires.
        var dying = onA.Delivered > 0 ? onA : onB;
        var survivor = ReferenceEquals(dying, onA) ? onB : onA;
        var survivorBefore = survivor.Delivered;
        await dying.AbandonAsync();
        crashed.TrySetResult();
        var expected = await UntilCompletedAsync(a, task.Id);
        await UntilAsync(() => receiver.Requests.Any(r => Sequence(r) == expected[^1].Sequence));

        var sequences = receiver.Requests.Select(Sequence).ToList();
        Assert.Equal(expected.Select(e => e.Sequence), sequences.Distinct());
        Assert.Equal(sequences.Order(), sequences);
        Assert.False(overlapped, "two deliveries to one webhook were in flight at once");
        Assert.True(survivor.Delivered > survivorBefore, "the surviving replica delivered nothing after the other died");
    }

    private static long Sequence(ReceivedRequest request) => long.Parse(request.Header("Herald-Event-Sequence")!, CultureInfo.InvariantCulture);

    private static async Task UntilAsync(Func<bool> done)
    {
        using var timeout = new CancellationTokenSource(Bounded.Timeout);
        while (!done())
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    private static async Task<List<TaskEvent>> UntilCompletedAsync(EngineHarness harness, string taskId)
    {
        await foreach (var _ in harness.Tasks.SubscribeAsync(Caller.System, taskId).WithCancellation(new CancellationTokenSource(Bounded.Timeout).Token))
        {
        }

        return [.. (await harness.Store.ReadAsync(taskId, 1, 10_000)).Where(e => e.IsStreamed)];
    }
}
