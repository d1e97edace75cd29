namespace Herald.Server.Storage;

/// <summary>
/// A wire encoding of log events (a protocol version's JSON shape of a stream item, for example).
/// <see cref="TaskEvent.GetEncoded"/> computes an event's bytes once per encoding and shares them with
/// every stream, so an event costs one serialization per format however many clients read it.
/// </summary>
/// <remarks>Create one instance per format for the life of the process (a static field): each instance takes a cache slot in every event.</remarks>
public abstract class EventEncoding
{
    private static int s_count;

    protected EventEncoding() => Slot = Interlocked.Increment(ref s_count) - 1;

    internal static int Count => Volatile.Read(ref s_count);

    internal int Slot { get; }

    /// <summary>Encodes one event; called at most a few times per event (racing first readers), never per subscriber.</summary>
    protected internal abstract byte[] Encode(TaskEvent taskEvent);
}

/// <summary>
/// An encoding whose bytes depend on something the event alone does not carry but that is the same for
/// every reader of that event: a fact of the task's log up to it (for example the position of the
/// event's artifact among the task's artifacts, which tutorial-era clients address by index). Callers
/// pass it with <see cref="TaskEvent.GetEncoded{TContext}(EventEncoding{TContext}, TContext)"/>; the
/// first caller's context produces the shared bytes, so a context that differs between readers of one
/// event is a bug.
/// </summary>
/// <typeparam name="TContext">What the bytes depend on besides the event.</typeparam>
public abstract class EventEncoding<TContext> : EventEncoding
{
    /// <summary>Encodes one event with its context; called at most a few times per event, never per subscriber.</summary>
    protected internal abstract byte[] Encode(TaskEvent taskEvent, TContext context);

    /// <summary>Not available: this encoding needs its context.</summary>
    /// <exception cref="InvalidOperationException">Always.</exception>
    protected internal sealed override byte[] Encode(TaskEvent taskEvent) =>
        throw new InvalidOperationException($"{GetType().Name} needs a context: call TaskEvent.GetEncoded(encoding, context).");
}
