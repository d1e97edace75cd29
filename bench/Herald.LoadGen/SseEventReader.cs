using System.Buffers;
using System.Buffers.Text;

namespace Herald.LoadGen;

/// <summary>Receives the events an <see cref="SseEventReader"/> reads, one call per event, on the reading thread.</summary>
internal interface ISseEventSink
{
    /// <summary>
    /// One event: <paramref name="id"/> is the value of its own <c>id:</c> field as a number, or -1 when the event had no
    /// <c>id:</c> line (or a non-numeric one); <paramref name="data"/> is its data (several <c>data:</c> lines joined with
    /// <c>\n</c>), valid only during the call.
    /// </summary>
    void OnSseEvent(long id, ReadOnlySpan<byte> data);
}

/// <summary>
/// A Server-Sent Events reader for the load generator, on bytes: no string per line, per field or per id, no item per
/// event. The response is read into one pooled buffer; each complete event in it is handed to the sink as a slice of that
/// buffer (a copy only for an event of several <c>data:</c> lines); an event cut by the end of a read is parsed again once
/// the rest has arrived. Follows the WHATWG event-stream rules the load generator relies on: LF, CRLF and CR line ends, an
/// optional BOM, comments (<c>: keep-alive</c>), one optional space after the colon, unknown fields ignored, an event with
/// no data not dispatched, an event not ended by a blank line before the end of the stream discarded.
/// </summary>
internal sealed class SseEventReader
{
    private const int MinimumBuffer = 4096;

    private byte[] _joined = [];

    private static ReadOnlySpan<byte> Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>Reads <paramref name="stream"/> to its end, handing every event to <paramref name="sink"/>.</summary>
    public static async Task ReadAsync(Stream stream, ISseEventSink sink, CancellationToken cancellationToken, int bufferSize = 16384)
    {
        var reader = new SseEventReader();
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(MinimumBuffer, bufferSize));
        try
        {
            var filled = 0;
            var start = 0;
            var first = true;
            while (true)
            {
                if (filled == buffer.Length)
                {
                    // One event larger than the buffer: grow (rare; the buffer is kept for the rest of the stream).
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, filled).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                var end = read == 0;
                filled += read;
                if (first)
                {
                    if (filled < 3 && !end && Bom.StartsWith(buffer.AsSpan(0, filled)))
                    {
                        continue;
                    }

                    first = false;
                    if (buffer.AsSpan(0, filled).StartsWith(Bom))
                    {
                        start = 3;
                    }
                }

                var consumed = start + reader.Process(buffer.AsSpan(start, filled - start), sink, end);
                if (end)
                {
                    return;
                }

                // Keep the unfinished event (usually nothing) at the front of the buffer.
                filled -= consumed;
                if (filled > 0 && consumed > 0)
                {
                    buffer.AsSpan(consumed, filled).CopyTo(buffer);
                }

                start = 0;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Dispatches every complete event in <paramref name="buffer"/> and returns how many bytes they took: the rest is an
    /// unfinished event, to be passed again with more bytes after it. <paramref name="final"/>: no more bytes will come
    /// (a CR at the very end is then a line end, not the first half of a CRLF).
    /// </summary>
    public int Process(ReadOnlySpan<byte> buffer, ISseEventSink sink, bool final = false)
    {
        var position = 0;
        var eventStart = 0;
        var id = -1L;
        var dataLines = 0;
        var dataStart = 0;
        var dataLength = 0;
        var joinedLength = 0;
        while (position < buffer.Length)
        {
            var rest = buffer[position..];
            var eol = rest.IndexOfAny((byte)'\n', (byte)'\r');
            if (eol < 0)
            {
                break;
            }

            var eolLength = 1;
            if (rest[eol] == (byte)'\r')
            {
                if (eol + 1 == rest.Length && !final)
                {
                    break;
                }

                if (eol + 1 < rest.Length && rest[eol + 1] == (byte)'\n')
                {
                    eolLength = 2;
                }
            }

            var line = rest[..eol];
            var lineStart = position;
            position += eol + eolLength;
            if (line.IsEmpty)
            {
                // A single empty data line is an empty data buffer: no event (several lines join to at least "\n").
                if (dataLines > 1 || (dataLines == 1 && dataLength > 0))
                {
                    sink.OnSseEvent(id, dataLines == 1 ? buffer.Slice(dataStart, dataLength) : _joined.AsSpan(0, joinedLength));
                }

                id = -1;
                dataLines = 0;
                eventStart = position;
                continue;
            }

            if (line[0] == (byte)':')
            {
                continue;
            }

            var colon = line.IndexOf((byte)':');
            var name = colon < 0 ? line : line[..colon];
            var valueOffset = colon < 0 ? line.Length : colon + 1;
            if (valueOffset < line.Length && line[valueOffset] == (byte)' ')
            {
                valueOffset++;
            }

            var value = line[valueOffset..];
            if (name.SequenceEqual("data"u8))
            {
                if (dataLines == 0)
                {
                    dataStart = lineStart + valueOffset;
                    dataLength = value.Length;
                }
                else
                {
                    if (dataLines == 1)
                    {
                        joinedLength = 0;
                        Append(ref joinedLength, buffer.Slice(dataStart, dataLength));
                    }

                    Append(ref joinedLength, "\n"u8);
                    Append(ref joinedLength, value);
                }

                dataLines++;
            }
            else if (name.SequenceEqual("id"u8))
            {
                id = value.IndexOf((byte)0) < 0 && Utf8Parser.TryParse(value, out long parsed, out var used) && used == value.Length && parsed >= 0 ? parsed : -1;
            }

            // event:, retry: and any other field: nothing the load generator uses.
        }

        return eventStart;
    }

    private void Append(ref int length, ReadOnlySpan<byte> bytes)
    {
        if (length + bytes.Length > _joined.Length)
        {
            Array.Resize(ref _joined, Math.Max(256, Math.Max(_joined.Length * 2, length + bytes.Length)));
        }

        bytes.CopyTo(_joined.AsSpan(length));
        length += bytes.Length;
    }
}
