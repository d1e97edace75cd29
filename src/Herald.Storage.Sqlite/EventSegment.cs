using System.Buffers;
using System.Buffers.Binary;
using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Storage.Sqlite;

/// <summary>
/// The events of one durable write, packed into one row: for each event its kind, state, time and v1.0 wire
/// bytes, back to back (sequences follow from the row's first one). Reading splits them again; an event read
/// back keeps its exact wire bytes, so it is never serialized a second time. Generations are not packed: the row
/// keeps the generation before its first event, and each event's follows from its kind (<see cref="TaskEvent.NextGeneration"/>).
/// </summary>
internal static class EventSegment
{
    /// <summary>Most events in one segment: a read of the log never has to unpack more than this to reach a position.</summary>
    public const int MaxEvents = 256;

    private const int HeaderSize = 1 + 1 + 8 + 4;

    public static byte[] Pack(IReadOnlyList<TaskEvent> events, int start, int count)
    {
        var size = 0;
        for (var i = start; i < start + count; i++)
        {
            size += HeaderSize + events[i].GetV1Json().Length;
        }

        var buffer = new byte[size];
        var span = buffer.AsSpan();
        for (var i = start; i < start + count; i++)
        {
            var e = events[i];
            var body = e.GetV1Json().Span;
            span[0] = (byte)e.Kind;
            span[1] = (byte)e.State;
            BinaryPrimitives.WriteInt64LittleEndian(span[2..], StoredForms.ToMs(e.Timestamp));
            BinaryPrimitives.WriteInt32LittleEndian(span[10..], body.Length);
            body.CopyTo(span[HeaderSize..]);
            span = span[(HeaderSize + body.Length)..];
        }

        return buffer;
    }

    /// <summary>The generation before <paramref name="first"/> (0 for a created event): what a segment row that starts with it stores.</summary>
    public static long GenerationBefore(TaskEvent first) => first.Kind switch
    {
        TaskEventKind.Created => 0,
        TaskEventKind.Status or TaskEventKind.Artifact => first.Generation - 1,
        _ => first.Generation,
    };

    /// <summary>The generation after the last event of a segment whose first event follows <paramref name="generationBefore"/>.</summary>
    public static long GenerationAfter(byte[] segment, long generationBefore)
    {
        var span = segment.AsSpan();
        var generation = generationBefore;
        while (span.Length > 0)
        {
            var length = ReadHeader(span, out var kind, out _, out _);
            generation = TaskEvent.NextGeneration(generation, kind);
            span = span[(HeaderSize + length)..];
        }

        return generation;
    }

    /// <summary>
    /// Adds the events of a segment with sequence greater than <paramref name="after"/> to <paramref name="into"/>, up to <paramref name="max"/> in all,
    /// with their generations (the segment's first event follows <paramref name="generationBefore"/>).
    /// </summary>
    public static void Unpack(long firstSequence, long generationBefore, byte[] segment, long after, int max, List<TaskEvent> into)
    {
        var span = segment.AsSpan();
        var sequence = firstSequence;
        var generation = generationBefore;
        while (span.Length > 0 && into.Count < max)
        {
            var length = ReadHeader(span, out var kind, out var state, out var ms);
            generation = TaskEvent.NextGeneration(generation, kind);
            if (sequence > after)
            {
                into.Add(TaskEvent.FromStored(sequence, kind, StoredForms.FromMs(ms), state, span.Slice(HeaderSize, length).ToArray(), generation));
            }

            span = span[(HeaderSize + length)..];
            sequence++;
        }
    }

    /// <summary>Reads one event's header and returns the length of its bytes, checked against what is left.</summary>
    private static int ReadHeader(ReadOnlySpan<byte> span, out TaskEventKind kind, out TaskState state, out long ms)
    {
        if (span.Length < HeaderSize)
        {
            throw new InvalidDataException("A stored event segment is truncated.");
        }

        kind = (TaskEventKind)span[0];
        state = (TaskState)span[1];
        ms = BinaryPrimitives.ReadInt64LittleEndian(span[2..]);
        var length = BinaryPrimitives.ReadInt32LittleEndian(span[10..]);
        if (length < 0 || length > span.Length - HeaderSize)
        {
            throw new InvalidDataException("A stored event segment is corrupt.");
        }

        return length;
    }
}
