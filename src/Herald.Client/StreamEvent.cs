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

    /// <summary>
    /// Set when the server answered a resumption (after a dropped connection, or a caller's
    /// <c>afterEventId</c>) with an error instead of the events - what servers without an event log do,
    /// e.g. -32004 for a finished task - and the client fell back to GetTask. This item is then either
    /// the task from GetTask (when it had ended: the last item), or the first item of a fresh
    /// subscription without <c>Last-Event-ID</c> (a Task snapshot). Events in between are not available.
    /// </summary>
    public A2AException? FallbackCause { get; init; }

    /// <summary>
    /// Set when this item is a Task the client fetched with GetTask because an update's A2A 1.1 <c>generation</c> showed that
    /// updates were missed: the task holds them (and the update that showed the gap), and later updates continue from it.
    /// </summary>
    public GenerationGap? Gap { get; init; }
}
