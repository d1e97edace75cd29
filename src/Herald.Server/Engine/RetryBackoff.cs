namespace Herald.Server.Engine;

/// <summary>
/// The delays between retries of an operation on a store that may be unavailable: doubling from the first up to a
/// cap, optionally jittered (each delay drawn from half of it to all of it, so that many retriers that failed
/// together do not retry together). One schedule for every retry loop of the engine.
/// </summary>
internal struct RetryBackoff
{
    private readonly TimeSpan _first;
    private readonly TimeSpan _max;
    private readonly bool _jitter;
    private TimeSpan _next;

    public RetryBackoff(TimeSpan first, TimeSpan max, bool jitter = false)
    {
        _first = first;
        _max = max;
        _jitter = jitter;
        _next = first;
    }

    /// <summary>The delay before the next try; the one after it is twice as long, up to the cap.</summary>
    public TimeSpan Next()
    {
        var delay = _next;
        _next = delay * 2 < _max ? delay * 2 : _max;
        return _jitter ? delay * (0.5 + (Random.Shared.NextDouble() / 2)) : delay;
    }

    /// <summary>Back to the first delay, after a success.</summary>
    public void Reset() => _next = _first;
}
