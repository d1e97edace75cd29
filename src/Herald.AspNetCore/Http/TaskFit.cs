using System.Text.Json;
using Herald.Protocol;
using Microsoft.AspNetCore.Http;

namespace Herald.AspNetCore.Http;

/// <summary>
/// Answers of operations that succeeded (CancelTask, a blocking SendMessage) whose task is larger than
/// <see cref="Server.HeraldOptions.MaxResponseBytes"/>: the operation is not reported as failed. The task is sent without
/// what does not fit (first its history, then its artifacts' parts) and its <c>metadata</c> says so under
/// <see cref="MetadataKey"/>, with the way to read the rest.
/// </summary>
internal static class TaskFit
{
    /// <summary>The task metadata entry that marks a trimmed answer.</summary>
    public const string MetadataKey = "urn:herald:a2a:response-trimmed";

    /// <summary>Room left for the envelope around the task (JSON-RPC response, a dialect's extra members).</summary>
    private const int EnvelopeReserve = 16 * 1024;

    /// <summary>The task as it fits in the context's response limit (itself when it does).</summary>
    public static AgentTask ToLimit(HttpContext context, AgentTask task) => ToLimit(task, ResponseLimit.Of(context));

    public static AgentTask ToLimit(AgentTask task, long limit)
    {
        var budget = limit - EnvelopeReserve;
        if (Size(task) <= budget)
        {
            return task;
        }

        var historyCount = task.History?.Count ?? 0;
        var trimmed = task with { History = null };
        var partsOmitted = false;
        if (Size(trimmed) > budget && trimmed.Artifacts is { Count: > 0 } artifacts)
        {
            trimmed = trimmed with { Artifacts = [.. artifacts.Select(a => a with { Parts = [] })] };
            partsOmitted = true;
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("reason",
                $"The task is larger than this server's response limit of {limit:N0} bytes (MaxResponseBytes); the operation succeeded. " +
                "Read its history with GetTask and historyLength, and its artifacts by following its events with SubscribeToTask and Last-Event-ID.");
            json.WriteNumber("historyOmitted", historyCount);
            json.WriteBoolean("artifactPartsOmitted", partsOmitted);
            json.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        var note = document.RootElement.Clone();
        var metadata = new Dictionary<string, JsonElement>(trimmed.Metadata ?? [], StringComparer.Ordinal) { [MetadataKey] = note };
        return trimmed with { Metadata = metadata };
    }

    private static long Size(AgentTask task) => JsonSerializer.SerializeToUtf8Bytes(task, A2AJsonContext.Default.AgentTask).LongLength;
}
