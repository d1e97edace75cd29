using System.Diagnostics;
using Herald.Server.Engine;
using Herald.Server.Storage;
using Microsoft.Extensions.Logging;

namespace Herald.Server.Push;

/// <summary>
/// Delivers push notifications: one more reader of the task logs. It claims, from the store, the configurations that have
/// events after their cursor (under a delivery lease: one process at a time per webhook, another takes over when the lease
/// expires), POSTs each status and artifact event after the cursor to the webhook in log order, and moves the cursor in the
/// store only after a 2xx. A failure gives the lease back with the next attempt due after an exponential, jittered delay
/// (or the webhook's <c>Retry-After</c>); after <see cref="HeraldOptions.PushMaxAttempts"/> failures in a row the
/// configuration is marked failing and logged, and it is not delivered to again until it is saved again. Each webhook is
/// delivered to on its own, at most <see cref="HeraldOptions.MaxConcurrentPushDeliveries"/> at once, so a slow or failing
/// webhook never delays the agent, streams or other webhooks. Woken by appends (<see cref="TaskStore.WaitForAppendedEventsAsync"/>)
/// and by a timer (<see cref="HeraldOptions.PushPollInterval"/>).
/// </summary>
internal sealed class PushDeliveries : IAsyncDisposable
{
    private const int EventsPerRead = 64;

    /// <summary>
    /// The shortest time between two claims: appends wake delivery, and an agent streaming without pause appends all the time;
    /// without a gap every append batch would cost the store's writer a claim query (at most 20 claims a second this way).
    /// </summary>
    private static readonly TimeSpan MinClaimInterval = TimeSpan.FromMilliseconds(50);

    private readonly TaskStore _store;
    private readonly WebhookSender _sender;
    private readonly HeraldOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _owner;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _slotFreed = new(0);
    private int _inFlight;
    private Task? _loop;

    public PushDeliveries(TaskStore store, WebhookSender sender, HeraldOptions options, TimeProvider time, ILogger logger)
    {
        _store = store;
        _sender = sender;
        _options = options;
        _time = time;
        _logger = logger;
        _owner = options.InstanceId + "/push";
    }

    /// <summary>Deliveries made so far (2xx answers), for tests and diagnostics.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    private long _delivered;

    /// <summary>Configurations this process marked failing so far, for tests and diagnostics.</summary>
    public long MarkedFailing => Interlocked.Read(ref _markedFailing);

    private long _markedFailing;

    public void Start() => _loop ??= Task.Run(() => RunAsync(_stop.Token));

    /// <summary>Stops claiming, and stops the deliveries in flight (their leases are given back for another process to go on).</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is { } loop)
        {
            await loop.ConfigureAwait(false);
        }

        // In-flight deliveries end at their next await; wait for them so none outlives the host.
        while (Volatile.Read(ref _inFlight) > 0)
        {
            await _slotFreed.WaitAsync(TimeSpan.FromMilliseconds(50)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops as a process that dies does: the leases it holds are not given back, so another process takes its webhooks over
    /// only when they expire (tests stand in for a crash with it).
    /// </summary>
    internal Task AbandonAsync()
    {
        _abandoned = true;
        return StopAsync();
    }

    private volatile bool _abandoned;

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
        _slotFreed.Dispose();
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var storeBackoff = new RetryBackoff(TimeSpan.FromMilliseconds(200), _options.PushPollInterval * 10, jitter: true);
        Task? appended = null;
        var lastClaim = 0L;
        while (!stop.IsCancellationRequested)
        {
            // Asked for before claiming, so an append after the claim below still wakes the wait; asked again only once it
            // completed (an idle server would otherwise pile up one pending wait per poll).
            if (appended is null || appended.IsCompleted)
            {
                appended = _store.WaitForAppendedEventsAsync(stop).AsTask();
            }

            var free = _options.MaxConcurrentPushDeliveries - Volatile.Read(ref _inFlight);
            IReadOnlyList<PushDeliveryClaim> claims = [];
            if (free > 0)
            {
                try
                {
                    var sinceLast = _time.GetElapsedTime(lastClaim);
                    if (sinceLast < MinClaimInterval)
                    {
                        await Task.Delay(MinClaimInterval - sinceLast, _time, stop).ConfigureAwait(false);
                    }

                    lastClaim = _time.GetTimestamp();
                    claims = await _store.ClaimPushDeliveriesAsync(_owner, _options.PushDeliveryLease, free, stop).ConfigureAwait(false);
                    storeBackoff.Reset();
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    break;
                }
                catch (TaskStoreUnavailableException ex)
                {
                    Log.PushStoreUnavailable(_logger, ex);
                    await DelayAsync(storeBackoff.Next(), stop).ConfigureAwait(false);
                    continue;
                }
            }

            foreach (var claim in claims)
            {
                Interlocked.Increment(ref _inFlight);
                _ = Task.Run(() => DeliverAsync(claim, stop), CancellationToken.None);
            }

            if (claims.Count > 0 && claims.Count == free)
            {
                continue; // there may be more: look again at once
            }

            // Wait for an append, a free slot, or the poll interval (other stores, expired leases, retries coming due).
            try
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop);
                var slot = _slotFreed.WaitAsync(wait.Token);
                var tick = Task.Delay(_options.PushPollInterval, _time, wait.Token);
                await Task.WhenAny(appended, slot, tick).ConfigureAwait(false);
                await wait.CancelAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
        }
    }

    /// <summary>Delivers the events after the claim's cursor, in order, until the webhook has them all or a delivery fails.</summary>
    private async Task DeliverAsync(PushDeliveryClaim claim, CancellationToken stop)
    {
        var configId = claim.Config.Id ?? "";
        using var activity = await StartSpanAsync(claim, configId, stop).ConfigureAwait(false);
        var posted = 0;
        try
        {
            var cursor = claim.Cursor;
            var stored = claim.Cursor;
            while (true)
            {
                var events = await _store.ReadAsync(claim.TaskId, cursor, EventsPerRead, stop).ConfigureAwait(false);
                if (events.Count == 0)
                {
                    activity?.SetTag("herald.push.outcome", "delivered");
                    activity?.SetTag("herald.push.events", posted);
                    await _store.ReleasePushDeliveryAsync(claim.TaskId, configId, _owner, new PushDeliveryOutcome(0, TimeSpan.Zero, null, false), stop).ConfigureAwait(false);
                    return;
                }

                foreach (var e in events)
                {
                    if (!e.IsStreamed)
                    {
                        // Not a push payload (a follow-up message): passed over, and the cursor with it once something is acknowledged.
                        cursor = e.Sequence;
                        continue;
                    }

                    var started = Stopwatch.GetTimestamp();
                    var result = await _sender.SendAsync(WebhookDelivery.For(claim.Config, claim.TaskId, e.Sequence, e.GetV1Json()), stop).ConfigureAwait(false);
                    Record(result, started);
                    if (!result.IsDelivered)
                    {
                        activity?.SetTag("herald.push.outcome", OutcomeName(result.Outcome));
                        activity?.SetTag("herald.push.events", posted);
                        activity?.SetStatus(ActivityStatusCode.Error, result.Reason);
                        await FailAsync(claim, configId, cursor, result).ConfigureAwait(false);
                        return;
                    }

                    posted++;
                    Interlocked.Increment(ref _delivered);
                    cursor = e.Sequence;
                    if (!await _store.AdvancePushCursorAsync(claim.TaskId, configId, _owner, cursor, _options.PushDeliveryLease, stop).ConfigureAwait(false))
                    {
                        return; // the lease went to another process (ours expired): it goes on from the stored cursor
                    }

                    stored = cursor;
                }

                // Passed-over entries at the end of the read: the cursor moves past them too.
                if (cursor > stored)
                {
                    if (!await _store.AdvancePushCursorAsync(claim.TaskId, configId, _owner, cursor, _options.PushDeliveryLease, stop).ConfigureAwait(false))
                    {
                        return;
                    }

                    stored = cursor;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Shutting down: the lease is given back so another process goes on at once (best effort; it expires otherwise).
            if (_abandoned)
            {
                return;
            }

            await ReleaseQuietlyAsync(claim, configId, new PushDeliveryOutcome(claim.Attempts, TimeSpan.Zero, null, false)).ConfigureAwait(false);
        }
        catch (TaskStoreUnavailableException ex)
        {
            Log.PushStoreUnavailable(_logger, ex);
            await ReleaseQuietlyAsync(claim, configId, new PushDeliveryOutcome(claim.Attempts, _options.PushPollInterval, "the task store was unavailable", false)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A task deleted meanwhile (-32001 on read) or anything unforeseen: logged, and retried like a failed delivery.
            Log.PushDeliveryError(_logger, claim.TaskId, configId, ex);
            await ReleaseQuietlyAsync(claim, configId, new PushDeliveryOutcome(claim.Attempts + 1, Backoff(claim.Attempts + 1), ex.GetType().Name, false)).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            _slotFreed.Release();
        }
    }

    /// <summary>
    /// The span of one delivery turn (the events posted to one webhook until it caught up or failed): a child of the trace the
    /// task's creating request started, kept with the task (as its run is), so the webhook's POSTs show in that trace. Made
    /// only while something listens (it costs a read of the task's trace context).
    /// </summary>
    private async Task<Activity?> StartSpanAsync(PushDeliveryClaim claim, string configId, CancellationToken stop)
    {
        if (!Telemetry.Source.HasListeners())
        {
            return null;
        }

        TaskTraceContext? trace = null;
        try
        {
            trace = (await _store.GetAsync(claim.TaskId, 0, false, stop).ConfigureAwait(false))?.TraceContext;
        }
        catch (TaskStoreUnavailableException)
        {
            // A span without its parent rather than no delivery.
        }

        var activity = trace is { } t && t.TryGetActivityContext(out var parent)
            ? Telemetry.Source.StartActivity("herald.push.deliver", ActivityKind.Internal, parent)
            : Telemetry.Source.StartActivity("herald.push.deliver");
        activity?.SetTag("a2a.task.id", claim.TaskId);
        activity?.SetTag("herald.push.config.id", configId);
        activity?.SetTag("herald.push.cursor", claim.Cursor);
        return activity;
    }

    private static void Record(WebhookResult result, long started)
    {
        var outcome = new KeyValuePair<string, object?>("herald.push.outcome", OutcomeName(result.Outcome));
        Telemetry.PushDeliveries.Add(1, outcome);
        if (Telemetry.PushDeliveryDuration.Enabled)
        {
            Telemetry.PushDeliveryDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, outcome);
        }
    }

    private static string OutcomeName(WebhookOutcome outcome) => outcome switch
    {
        WebhookOutcome.Delivered => "delivered",
        WebhookOutcome.RetryLater => "retry_later",
        WebhookOutcome.Refused => "refused",
        _ => "blocked",
    };

    private async Task FailAsync(PushDeliveryClaim claim, string configId, long cursor, WebhookResult result)
    {
        var attempts = claim.Attempts + 1;

        // A webhook whose every address the SSRF guard refuses will not get better by waiting: failing at once.
        var failing = attempts >= _options.PushMaxAttempts || result.Outcome == WebhookOutcome.Blocked;
        var delay = result.RetryAfter is { } retryAfter && retryAfter <= _options.PushMaxRetryDelay ? retryAfter : Backoff(attempts);
        if (failing)
        {
            Log.PushConfigFailing(_logger, claim.TaskId, configId, attempts, result.Reason);
        }
        else
        {
            Log.PushDeliveryFailed(_logger, claim.TaskId, configId, cursor + 1, attempts, result.Reason, delay);
        }

        if (cursor > claim.Cursor)
        {
            // Events passed over before the failure (follow-up messages) stay passed over.
            await _store.AdvancePushCursorAsync(claim.TaskId, configId, _owner, cursor, _options.PushDeliveryLease, CancellationToken.None).ConfigureAwait(false);
        }

        await ReleaseQuietlyAsync(claim, configId, new PushDeliveryOutcome(attempts, delay, Truncate(result.Reason), failing)).ConfigureAwait(false);
        if (failing)
        {
            Interlocked.Increment(ref _markedFailing);
            Telemetry.PushConfigsFailing.Add(1);
        }
    }

    /// <summary>Doubling from <see cref="HeraldOptions.PushRetryDelay"/> per attempt up to <see cref="HeraldOptions.PushMaxRetryDelay"/>, jittered (half to all of it).</summary>
    private TimeSpan Backoff(int attempts)
    {
        var delay = _options.PushRetryDelay * Math.Pow(2, Math.Min(attempts - 1, 30));
        if (delay > _options.PushMaxRetryDelay)
        {
            delay = _options.PushMaxRetryDelay;
        }

        return delay * (0.5 + (Random.Shared.NextDouble() / 2));
    }

    private async Task ReleaseQuietlyAsync(PushDeliveryClaim claim, string configId, PushDeliveryOutcome outcome)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _store.ReleasePushDeliveryAsync(claim.TaskId, configId, _owner, outcome, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TaskStoreUnavailableException or OperationCanceledException)
        {
            // The lease expires by itself; the delivery resumes from the stored cursor then.
        }
    }

    private static string Truncate(string reason) => reason.Length <= 500 ? reason : reason[..500] + "...";

    private Task DelayAsync(TimeSpan delay, CancellationToken stop) => Task.Delay(delay, _time, stop).ContinueWith(_ => { }, TaskScheduler.Default);
}
