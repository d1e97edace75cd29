using Microsoft.Extensions.Options;

namespace Herald.Server.Hosting;

/// <summary>
/// The server-wide memory bound on answers, shared by every binding (JSON-RPC, HTTP+JSON, gRPC): bytes of responses
/// in flight (<see cref="HeraldOptions.MaxResponseBytesInFlight"/>) and whole tasks being built at once
/// (<see cref="HeraldOptions.MaxConcurrentTaskSnapshots"/>). Bindings reserve a response's encoded size before they
/// write it and release it once the write completed or failed; a reservation that does not fit waits
/// <see cref="HeraldOptions.ResponseBudgetWait"/> on the server's <see cref="TimeProvider"/>, then fails, and the
/// binding answers "busy, retry". Resolve it from DI after <c>services.AddHerald()</c>.
/// </summary>
public sealed class ResponseBudget : IDisposable
{
    private readonly Lock _lock = new();
    private readonly long _capacity;
    private readonly TimeSpan _wait;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _snapshots;
    private long _inFlight;
    private int _waiters;
    private TaskCompletionSource _released = NewSignal();

    internal ResponseBudget(IOptions<HeraldOptions> options, TimeProvider time)
    {
        var o = options.Value;
        _capacity = o.MaxResponseBytesInFlight;
        _wait = o.ResponseBudgetWait;
        _time = time;
        _snapshots = new SemaphoreSlim(Math.Max(1, o.MaxConcurrentTaskSnapshots));
    }

    /// <summary>Bytes reserved by responses being written now.</summary>
    public long BytesInFlight => Volatile.Read(ref _inFlight);

    /// <summary>How long a client told "busy" should wait before it asks again.</summary>
    public static TimeSpan RetryAfter { get; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Reserves <paramref name="bytes"/> for a response about to be written; waits for room up to
    /// <see cref="HeraldOptions.ResponseBudgetWait"/>. False: no room (answer "busy"). A response larger than the whole
    /// budget is admitted when nothing else is in flight. Each true answer needs one <see cref="Release"/> of the same size.
    /// </summary>
    public async ValueTask<bool> TryReserveAsync(long bytes, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (TryTake(bytes))
        {
            return true;
        }

        var started = _time.GetTimestamp();
        while (true)
        {
            Task released;
            lock (_lock)
            {
                _waiters++;
                released = _released.Task;
            }

            try
            {
                // Checked again after taking the signal: a release between the first try and here is not missed.
                if (TryTake(bytes))
                {
                    return true;
                }

                var left = _wait == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan : _wait - _time.GetElapsedTime(started);
                if (left != Timeout.InfiniteTimeSpan && left <= TimeSpan.Zero)
                {
                    return false;
                }

                try
                {
                    await released.WaitAsync(left, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    return TryTake(bytes);
                }
            }
            finally
            {
                lock (_lock)
                {
                    _waiters--;
                }
            }
        }
    }

    /// <summary>Returns a reservation made by <see cref="TryReserveAsync"/> and wakes the responses waiting for room.</summary>
    public void Release(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes == 0)
        {
            return;
        }

        Interlocked.Add(ref _inFlight, -bytes);
        TaskCompletionSource? wake = null;
        lock (_lock)
        {
            if (_waiters > 0)
            {
                wake = _released;
                _released = NewSignal();
            }
        }

        wake?.TrySetResult();
    }

    /// <summary>
    /// Takes a turn to build a whole task (or page of tasks) for a unary answer, one of
    /// <see cref="HeraldOptions.MaxConcurrentTaskSnapshots"/>; waits for one up to <see cref="HeraldOptions.ResponseBudgetWait"/>.
    /// False: none came free (answer "busy"). Hold the turn until the answer is encoded and its bytes reserved, so that
    /// answers waiting for room in the budget are counted too; each true answer needs one <see cref="EndBuild"/>.
    /// </summary>
    public async ValueTask<bool> TryBeginBuildAsync(CancellationToken cancellationToken = default)
    {
        if (_snapshots.Wait(0, CancellationToken.None))
        {
            return true;
        }

        if (_wait == Timeout.InfiniteTimeSpan)
        {
            await _snapshots.WaitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }

        // The wait runs on the server's clock.
        using var timeout = new CancellationTokenSource(_wait, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await _snapshots.WaitAsync(linked.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Ends a turn taken with <see cref="TryBeginBuildAsync"/>.</summary>
    public void EndBuild() => _snapshots.Release();

    /// <inheritdoc />
    public void Dispose() => _snapshots.Dispose();

    private bool TryTake(long bytes)
    {
        while (true)
        {
            var current = Volatile.Read(ref _inFlight);
            var next = current + bytes;
            if (next > _capacity && current > 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _inFlight, next, current) == current)
            {
                return true;
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
