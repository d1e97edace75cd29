using System.Buffers;
using System.Buffers.Text;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Herald.Protocol;

namespace Herald.Bench;

/// <summary>
/// The SSE events of one task, serialized once when the task starts: a chunk event is written as
/// three constant segments around the chunk number and the send timestamp, so each event costs a
/// few copies and no serialization.
/// </summary>
internal sealed class EventTemplates
{
    private const long TimestampPlaceholder = 1_111_111_111_111_111;
    private const string NumberPlaceholder = "999999";

    private readonly byte[] _envelopePrefix;
    private readonly ChunkTemplate _first;
    private readonly ChunkTemplate _middle;
    private readonly ChunkTemplate _last;

    public EventTemplates(string requestIdJson, string taskId, string contextId, Message userMessage, DateTimeOffset created)
    {
        TaskId = taskId;
        _envelopePrefix = Encoding.UTF8.GetBytes($"{{\"jsonrpc\":\"2.0\",\"id\":{requestIdJson},\"result\":");
        var now = created;
        var history = new[] { userMessage with { TaskId = taskId, ContextId = contextId } };
        Submitted = Serialize(new StreamResponse { Task = new AgentTask { Id = taskId, ContextId = contextId, History = history, Status = new AgentTaskStatus { State = TaskState.Submitted, Timestamp = now } } });
        WorkingSnapshot = Serialize(new StreamResponse { Task = new AgentTask { Id = taskId, ContextId = contextId, History = history, Status = new AgentTaskStatus { State = TaskState.Working, Timestamp = now } } });
        Working = Serialize(new StreamResponse { StatusUpdate = new TaskStatusUpdateEvent { TaskId = taskId, ContextId = contextId, Status = new AgentTaskStatus { State = TaskState.Working, Timestamp = now } } });
        Completed = Serialize(new StreamResponse { StatusUpdate = new TaskStatusUpdateEvent { TaskId = taskId, ContextId = contextId, Status = new AgentTaskStatus { State = TaskState.Completed, Timestamp = now } } });
        _first = ChunkTemplate.Create(taskId, contextId, append: false, lastChunk: false);
        _middle = ChunkTemplate.Create(taskId, contextId, append: true, lastChunk: false);
        _last = ChunkTemplate.Create(taskId, contextId, append: true, lastChunk: true);
    }

    public string TaskId { get; }

    /// <summary>The <c>task</c> event a SendStreamingMessage stream starts with.</summary>
    public byte[] Submitted { get; }

    /// <summary>The <c>task</c> snapshot a SubscribeToTask stream starts with.</summary>
    public byte[] WorkingSnapshot { get; }

    public byte[] Working { get; }

    public byte[] Completed { get; }

    /// <summary>The JSON-RPC result of SendMessage (a bare StreamResponse-shaped <c>{"task":...}</c>).</summary>
    public byte[] SendMessageResponse => [.. _envelopePrefix, .. WorkingSnapshot, (byte)'}'];

    public static void WriteRetry(PipeWriter writer) => writer.Write("retry: 2000\n\n"u8);

    public static void WriteKeepAlive(PipeWriter writer) => writer.Write(": keep-alive\n\n"u8);

    /// <summary>Writes one event whose payload is fully pre-serialized.</summary>
    public void Write(PipeWriter writer, long sequence, byte[] payload)
    {
        var span = writer.GetSpan(64 + _envelopePrefix.Length + payload.Length);
        var length = WriteHead(span, sequence);
        payload.CopyTo(span[length..]);
        length += payload.Length;
        length += WriteTail(span[length..]);
        writer.Advance(length);
    }

    /// <summary>Writes chunk <paramref name="number"/> of <paramref name="count"/>, stamped <paramref name="timestampUs"/>.</summary>
    public void WriteChunk(PipeWriter writer, long sequence, int number, int count, long timestampUs)
    {
        var template = number == 1 ? _first : number == count ? _last : _middle;
        var span = writer.GetSpan(96 + _envelopePrefix.Length + template.Length);
        var length = WriteHead(span, sequence);
        template.BeforeNumber.CopyTo(span[length..]);
        length += template.BeforeNumber.Length;
        Utf8Formatter.TryFormat(number, span[length..], out var written, new StandardFormat('D', 6));
        length += written;
        template.BeforeTimestamp.CopyTo(span[length..]);
        length += template.BeforeTimestamp.Length;
        Utf8Formatter.TryFormat(timestampUs, span[length..], out written);
        length += written;
        template.AfterTimestamp.CopyTo(span[length..]);
        length += template.AfterTimestamp.Length;
        length += WriteTail(span[length..]);
        writer.Advance(length);
    }

    private int WriteHead(Span<byte> span, long sequence)
    {
        "id: "u8.CopyTo(span);
        var length = 4;
        Utf8Formatter.TryFormat(sequence, span[length..], out var written);
        length += written;
        "\ndata: "u8.CopyTo(span[length..]);
        length += 7;
        _envelopePrefix.CopyTo(span[length..]);
        return length + _envelopePrefix.Length;
    }

    private static int WriteTail(Span<byte> span)
    {
        "}\n\n"u8.CopyTo(span);
        return 3;
    }

    private static byte[] Serialize(StreamResponse response) =>
        JsonSerializer.SerializeToUtf8Bytes(response, A2AJsonContext.Default.StreamResponse);

    private sealed record ChunkTemplate(byte[] BeforeNumber, byte[] BeforeTimestamp, byte[] AfterTimestamp)
    {
        public int Length => BeforeNumber.Length + 6 + BeforeTimestamp.Length + 20 + AfterTimestamp.Length;

        public static ChunkTemplate Create(string taskId, string contextId, bool append, bool lastChunk)
        {
            var json = Serialize(new StreamResponse
            {
                ArtifactUpdate = new TaskArtifactUpdateEvent
                {
                    TaskId = taskId,
                    ContextId = contextId,
                    Artifact = new Artifact
                    {
                        ArtifactId = BenchCommand.ArtifactId,
                        Parts = [Part.FromText("chunk " + NumberPlaceholder + " ")],
                        Metadata = new Dictionary<string, JsonElement>
                        {
                            [BenchCommand.TimestampKey] = JsonDocument.Parse(TimestampPlaceholder.ToString(System.Globalization.CultureInfo.InvariantCulture)).RootElement,
                        },
                    },
                    Append = append ? true : null,
                    LastChunk = lastChunk ? true : null,
                },
            });
            var number = json.AsSpan().IndexOf(Encoding.UTF8.GetBytes(NumberPlaceholder));
            var ts = json.AsSpan().IndexOf(Encoding.UTF8.GetBytes(TimestampPlaceholder.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            return new ChunkTemplate(
                json[..number],
                json[(number + NumberPlaceholder.Length)..ts],
                json[(ts + 16)..]);
        }
    }
}
