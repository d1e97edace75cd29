using System.Text.Json;
using Herald.Protocol;

namespace Herald.Server.Engine;

/// <summary>
/// The bytes a run to do is recorded with (<see cref="Storage.TaskStore.CreatePendingAsync"/>): what the process that claims
/// it needs and the task's log does not hold, the request as accepted (its configuration and metadata reach the agent).
/// One leading byte says the format and the turn: 1 for a message that created its task, 2 for one that continued it.
/// </summary>
internal static class RunRecord
{
    private const byte NewTask = 1;
    private const byte Continued = 2;

    public static byte[] Encode(SendMessageRequest request, Message message, bool continuation)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(request with { Message = message }, A2AJsonContext.Default.SendMessageRequest);
        var bytes = new byte[json.Length + 1];
        bytes[0] = continuation ? Continued : NewTask;
        json.CopyTo(bytes, 1);
        return bytes;
    }

    /// <summary>The request, its message (carrying the task and context ids) and whether it continued an existing task.</summary>
    /// <exception cref="FormatException">The bytes are not a run record this version reads.</exception>
    public static (SendMessageRequest Request, Message Message, bool Continuation) Decode(ReadOnlyMemory<byte> run)
    {
        var span = run.Span;
        if (span.Length < 2 || span[0] is not (NewTask or Continued))
        {
            throw new FormatException("The run to do was recorded in a format this Herald does not read.");
        }

        var request = JsonSerializer.Deserialize(span[1..], A2AJsonContext.Default.SendMessageRequest)
            ?? throw new FormatException("The run to do holds no request.");
        var message = request.Message ?? throw new FormatException("The run to do holds no message.");
        return (request, message, span[0] == Continued);
    }
}
