using Herald.Protocol;
using Herald.Server;
using Herald.Server.Storage;

namespace Herald.AspNetCore.Sse;

/// <summary>
/// How one wire dialect puts stream items into SSE <c>data:</c>: the bytes of a log event (shared by
/// every stream of that dialect), of the first item (the task snapshot, or a direct reply), and of an
/// error that ends a stream. The per-stream envelope (a JSON-RPC response with that request's id, or
/// nothing for REST) is written around them by <see cref="SseStreamer"/>.
/// </summary>
internal sealed class SseStreamFormat
{
    /// <summary>An event's payload; must return shared, cached bytes (see <see cref="TaskEvent.GetEncoded"/>).</summary>
    public required Func<TaskEvent, ReadOnlyMemory<byte>> Event { get; init; }

    /// <summary>The snapshot sent first on a stream that does not resume.</summary>
    public required Func<AgentTask, byte[]> Snapshot { get; init; }

    /// <summary>A direct reply: a streamed send's only item when the agent answered without a task.</summary>
    public required Func<Message, byte[]> Reply { get; init; }

    /// <summary>
    /// When set, every log event gets this <c>event:</c> name (and the first item <c>task</c> or <c>message</c>),
    /// whatever <see cref="HeraldOptions.NamedSseEvents"/> says: a convention whose clients dispatch on it.
    /// </summary>
    public Func<TaskEvent, byte[]>? EventName { get; init; }

    /// <summary>
    /// True when <see cref="Event"/> returns whole messages (JSON-RPC notifications, which carry no request id):
    /// they are written without the per-stream envelope, which then wraps only the first item.
    /// </summary>
    public bool EventsAreWhole { get; init; }

    /// <summary>
    /// The <c>event:</c> name of an error that ends a stream, or empty for an unnamed event. REST names it
    /// <c>error</c> (what REST clients look for); in JSON-RPC the envelope's <c>error</c> member says it.
    /// </summary>
    public ReadOnlyMemory<byte> ErrorEventName { get; init; }

    /// <summary>
    /// True for the tutorial-era framing: each message is its one <c>data:</c> line and nothing else (no <c>id:</c>,
    /// no <c>event:</c>, whatever the options say). The tutorial's client splits on blank lines and JSON-parses all
    /// of a message after <c>data: </c>, so any other line in it breaks every event. Ids are dropped, not moved into
    /// a message of their own: other parsers (httpx-sse) would deliver that as an event with empty data.
    /// </summary>
    public bool DataOnly { get; init; }
}
