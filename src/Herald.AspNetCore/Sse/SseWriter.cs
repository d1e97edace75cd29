using System.Buffers;
using System.Buffers.Text;
using System.IO.Pipelines;

namespace Herald.AspNetCore.Sse;

/// <summary>
/// Writes Server-Sent Events straight into the response pipe. An event's payload is composed from a
/// per-stream prefix (the JSON-RPC envelope with that stream's request id), the event's shared
/// pre-serialized bytes and a suffix, without an intermediate buffer or string.
/// </summary>
internal static class SseWriter
{
    private static ReadOnlySpan<byte> IdField => "id: "u8;
    private static ReadOnlySpan<byte> EventField => "event: "u8;
    private static ReadOnlySpan<byte> DataField => "data: "u8;
    private static ReadOnlySpan<byte> RetryField => "retry: "u8;
    private static ReadOnlySpan<byte> KeepAliveComment => ": keep-alive\n\n"u8;

    public static void WriteRetry(PipeWriter writer, TimeSpan retry)
    {
        var span = writer.GetSpan(32);
        RetryField.CopyTo(span);
        var length = RetryField.Length;
        Utf8Formatter.TryFormat((long)retry.TotalMilliseconds, span[length..], out var written);
        length += written;
        span[length++] = (byte)'\n';
        span[length++] = (byte)'\n';
        writer.Advance(length);
    }

    public static void WriteKeepAlive(PipeWriter writer) => writer.Write(KeepAliveComment);

    /// <summary>Writes one event: <c>data: prefix+payload+suffix</c>, then the optional <c>id:</c> and <c>event:</c> lines.</summary>
    /// <remarks>
    /// <c>data:</c> comes first because hand-written clients split on blank lines and only read messages that start
    /// with <c>data: </c>; field order means nothing to a conforming parser. The A2A tutorial's client also parses
    /// the whole rest of the message as JSON: its streams pass no id and no name (<see cref="SseStreamFormat.DataOnly"/>).
    /// The JSON parts never contain a line break (JSON escapes them), so one data line suffices.
    /// </remarks>
    public static void WriteEvent(PipeWriter writer, long? id, ReadOnlySpan<byte> eventName, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> suffix)
    {
        var size = 64 + eventName.Length + prefix.Length + payload.Length + suffix.Length;
        var span = writer.GetSpan(size);
        DataField.CopyTo(span);
        var length = DataField.Length;
        prefix.CopyTo(span[length..]);
        length += prefix.Length;
        payload.CopyTo(span[length..]);
        length += payload.Length;
        suffix.CopyTo(span[length..]);
        length += suffix.Length;
        span[length++] = (byte)'\n';

        if (id is { } sequence)
        {
            IdField.CopyTo(span[length..]);
            length += IdField.Length;
            Utf8Formatter.TryFormat(sequence, span[length..], out var written);
            length += written;
            span[length++] = (byte)'\n';
        }

        if (!eventName.IsEmpty)
        {
            EventField.CopyTo(span[length..]);
            length += EventField.Length;
            eventName.CopyTo(span[length..]);
            length += eventName.Length;
            span[length++] = (byte)'\n';
        }

        span[length++] = (byte)'\n';
        writer.Advance(length);
    }
}
