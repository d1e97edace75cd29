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
