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
        while (!stop.IsCancellationRequested)
        {
            // Asked for before claiming: an append after the claim below still wakes the wait.
            var appended = _store.WaitForAppendedEventsAsync(stop).AsTask();
            var free = _options.MaxConcurrentPushDeliveries - Volatile.Read(ref _inFlight);
            IReadOnlyList<PushDeliveryClaim> claims = [];
            if (free > 0)
            {
                try
                {
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
        try
        {
            var cursor = claim.Cursor;
            var stored = claim.Cursor;
            while (true)
            {
                var events = await _store.ReadAsync(claim.TaskId, cursor, EventsPerRead, stop).ConfigureAwait(false);
                if (events.Count == 0)
                {
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

                    var result = await _sender.SendAsync(WebhookDelivery.For(claim.Config, claim.TaskId, e.Sequence, e.GetV1Json()), stop).ConfigureAwait(false);
                    if (!result.IsDelivered)
                    {
                        await FailAsync(claim, configId, cursor, result).ConfigureAwait(false);
                        return;
                    }

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
