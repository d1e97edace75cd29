using System.Diagnostics;

namespace Herald.Server.Storage;

/// <summary>
/// The W3C trace context (<c>traceparent</c>, and <c>tracestate</c> when there is one) of the request that created or
/// last continued a task. Stores keep it with the task, beside the wire payloads and never in them, so that the task's
/// run and every stream of it, on any replica and after a restart, can join that request's trace.
/// </summary>
/// <param name="TraceParent">The W3C <c>traceparent</c> (<c>00-{trace id}-{span id}-{flags}</c>).</param>
/// <param name="TraceState">The W3C <c>tracestate</c>, or null.</param>
/// <remarks>A class, so that the events and snapshots of untraced tasks carry one null reference and nothing more.</remarks>
public sealed record TaskTraceContext(string TraceParent, string? TraceState = null)
{
    /// <summary>
    /// The context of <paramref name="activity"/>, or null when there is no activity or its id is not in the W3C format.
    /// </summary>
    public static TaskTraceContext? From(Activity? activity) =>
        activity is { IdFormat: ActivityIdFormat.W3C, Id: { } id } ? new TaskTraceContext(id, activity.TraceStateString) : null;

    /// <summary>The context as an <see cref="ActivityContext"/> (remote), or false when <see cref="TraceParent"/> does not parse.</summary>
    public bool TryGetActivityContext(out ActivityContext context) =>
        ActivityContext.TryParse(TraceParent, TraceState, isRemote: true, out context);
}
