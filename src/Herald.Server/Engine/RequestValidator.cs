using Herald.Protocol;

namespace Herald.Server.Engine;

/// <summary>Checks requests before anything is appended; each failure names the field (-32602).</summary>
internal static class RequestValidator
{
    /// <summary>Longest task, context or message id accepted: ids are echoed in answers and kept in every event.</summary>
    public const int MaxIdLength = 256;

    public static Message ValidateSend(SendMessageRequest? request)
    {
        if (request is null)
        {
            throw A2AException.InvalidParams("params", "params is required.");
        }

        var message = request.Message ?? throw A2AException.InvalidParams("message", "message is required.");
        if (string.IsNullOrEmpty(message.MessageId))
        {
            throw A2AException.InvalidParams("message.messageId", "message.messageId is required.");
        }

        CheckLength(message.MessageId, "message.messageId");
        CheckLength(message.TaskId, "message.taskId");
        CheckLength(message.ContextId, "message.contextId");

        if (message.Role != Role.User)
        {
            throw A2AException.InvalidParams("message.role", "message.role must be ROLE_USER for a message sent to an agent.");
        }

        if (message.Parts is null || message.Parts.Count == 0)
        {
            throw A2AException.InvalidParams("message.parts", "message.parts must contain at least one part.");
        }

        for (var i = 0; i < message.Parts.Count; i++)
        {
            if (message.Parts[i] is not { ContentCount: 1 })
            {
                throw A2AException.InvalidParams($"message.parts[{i}]", $"message.parts[{i}] must set exactly one of text, raw, url or data.");
            }
        }

        if (request.Configuration?.HistoryLength is < 0)
        {
            throw A2AException.InvalidParams("configuration.historyLength", "configuration.historyLength must not be negative.");
        }

        return message;
    }

    /// <summary>A task id chosen by the client (<see cref="SendOptions.CreateTaskWithClientId"/>): it becomes a key of the store and appears in logs.</summary>
    public static void ValidateClientTaskId(string? id)
    {
        const string field = "message.taskId";
        if (string.IsNullOrEmpty(id))
        {
            throw A2AException.InvalidParams(field, "The task id is required: the client chooses it.");
        }

        if (id.Length > SendOptions.MaxClientTaskIdLength)
        {
            throw A2AException.InvalidParams(field, $"The task id is {id.Length} characters long; the limit is {SendOptions.MaxClientTaskIdLength}.");
        }

        foreach (var c in id)
        {
            if (char.IsControl(c))
            {
                throw A2AException.InvalidParams(field, "The task id must not contain control characters.");
            }
        }
    }

    public static string RequireId(string? id, string field = "id") =>
        string.IsNullOrEmpty(id) ? throw A2AException.InvalidParams(field, $"{field} is required.") : CheckLength(id, field)!;

    private static string? CheckLength(string? value, string field) =>
        value is { Length: > MaxIdLength }
            ? throw A2AException.InvalidParams(field, $"{field} is longer than {MaxIdLength} characters.")
            : value;

    public static int? HistoryLength(int? historyLength, string field = "historyLength") =>
        historyLength is < 0 ? throw A2AException.InvalidParams(field, $"{field} must not be negative.") : historyLength;
}
