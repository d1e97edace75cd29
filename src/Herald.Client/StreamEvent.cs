using Herald.Protocol;

namespace Herald.Client;

/// <summary>One item of a stream with its SSE event id.</summary>
/// <param name="Response">The item: exactly one of task, message, status update, artifact update.</param>
/// <param name="Id">
/// The SSE <c>id:</c> as a number (Herald sends the task event's sequence); null when the server sent
/// none or a non-numeric one. Pass it as <c>afterEventId</c> to SubscribeToTask to continue from here.
/// </param>
public sealed record StreamEvent(StreamResponse Response, long? Id)
{
    /// <summary>
    /// Set on the first event delivered after the client reconnected a dropped stream. When
    /// <see cref="ResumeInfo.WithLastEventId"/> is false, that event is a Task snapshot that replaces
    /// the events missed while disconnected.
    /// </summary>
    public ResumeInfo? Resumed { get; init; }
}
