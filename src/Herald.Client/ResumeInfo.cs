namespace Herald.Client;

/// <summary>How a dropped stream was reconnected.</summary>
public sealed record ResumeInfo
{
    /// <summary>The task whose stream was reconnected.</summary>
    public required string TaskId { get; init; }

    /// <summary>
    /// True when the client resumed after the last event it had (<c>Last-Event-ID</c>): nothing is
    /// missed or repeated. False when the server sends no event ids: the stream restarted with a Task
    /// snapshot, and intermediate events that happened while disconnected are only visible in it.
    /// </summary>
    public required bool WithLastEventId { get; init; }

    /// <summary>The <c>Last-Event-ID</c> sent, when <see cref="WithLastEventId"/>.</summary>
    public string? LastEventId { get; init; }

    /// <summary>Which attempt in a row succeeded (1 = the first).</summary>
    public required int Attempt { get; init; }

    /// <summary>How many times this stream has been resumed so far, this one included.</summary>
    public required int ResumeCount { get; init; }

    /// <summary>What ended the previous connection; null when the server closed it cleanly too early.</summary>
    public Exception? Cause { get; init; }
}
