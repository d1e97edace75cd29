using System.Buffers;
using System.Buffers.Binary;
using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Storage.Sqlite;

/// <summary>
/// The events of one durable write, packed into one row: for each event its kind, state, time and v1.0 wire
/// bytes, back to back (sequences follow from the row's first one). Reading splits them again; an event read
/// back keeps its exact wire bytes, so it is never serialized a second time.
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
            BinaryPrimitives.WriteInt64LittleEndian(span[2..], SqliteCodec.ToMs(e.Timestamp));
            BinaryPrimitives.WriteInt32LittleEndian(span[10..], body.Length);
            body.CopyTo(span[HeaderSize..]);
            span = span[(HeaderSize + body.Length)..];
        }

        return buffer;
    }

    /// <summary>Adds the events of a segment with sequence greater than <paramref name="after"/> to <paramref name="into"/>, up to <paramref name="max"/> in all.</summary>
    public static void Unpack(long firstSequence, byte[] segment, long after, int max, List<TaskEvent> into)
    {
        var span = segment.AsSpan();
        var sequence = firstSequence;
        while (span.Length > 0 && into.Count < max)
        {
            if (span.Length < HeaderSize)
            {
                throw new InvalidDataException("A stored event segment is truncated.");
            }

            var kind = (TaskEventKind)span[0];
            var state = (TaskState)span[1];
            var ms = BinaryPrimitives.ReadInt64LittleEndian(span[2..]);
            var length = BinaryPrimitives.ReadInt32LittleEndian(span[10..]);
            if (length < 0 || length > span.Length - HeaderSize)
            {
                throw new InvalidDataException("A stored event segment is corrupt.");
            }

            if (sequence > after)
            {
                into.Add(TaskEvent.FromStored(sequence, kind, SqliteCodec.FromMs(ms), state, span.Slice(HeaderSize, length).ToArray(), 0));
            }

            span = span[(HeaderSize + length)..];
            sequence++;
        }
    }
}
