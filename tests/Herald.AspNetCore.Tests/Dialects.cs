using System.Text.Json;
using System.Text.Json.Nodes;

namespace Herald.AspNetCore.Tests;

/// <summary>Request params and readers for the v0.3 and tutorial-era dialects.</summary>
internal static class Dialects
{
    /// <summary>v0.3 <c>MessageSendParams</c> with one user text part.</summary>
    public static JsonObject V03Send(string text = "hello", string? taskId = null, string? contextId = null, bool? blocking = null)
    {
        var message = new JsonObject
        {
            ["kind"] = "message",
            ["messageId"] = Guid.NewGuid().ToString("N"),
            ["role"] = "user",
            ["parts"] = new JsonArray(new JsonObject { ["kind"] = "text", ["text"] = text }),
        };
        if (taskId is not null)
        {
            message["taskId"] = taskId;
        }

        if (contextId is not null)
        {
            message["contextId"] = contextId;
        }

        var parameters = new JsonObject { ["message"] = message };
        if (blocking is { } b)
        {
            parameters["configuration"] = new JsonObject { ["blocking"] = b };
        }

        return parameters;
    }

    /// <summary>Tutorial-era <c>TaskSendParams</c>: the client's task id, a session, a part with <c>type</c>.</summary>
    public static JsonObject TutorialSend(string taskId, string text = "hello", string? sessionId = "session-1") => new()
    {
        ["id"] = taskId,
        ["sessionId"] = sessionId,
        ["message"] = new JsonObject
        {
            ["role"] = "user",
            ["parts"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = text }),
        },
        ["acceptedOutputModes"] = new JsonArray("text"),
        ["metadata"] = new JsonObject(),
    };

    public static JsonObject Id(string taskId) => new() { ["id"] = taskId };

    /// <summary>The <c>kind</c> of a v0.3 result.</summary>
    public static string Kind(this SseEvent e) => e.Result.GetProperty("kind").GetString()!;

    /// <summary>The state of a v0.3 or tutorial-era task or status update.</summary>
    public static string V03State(this SseEvent e) => e.Result.GetProperty("status").GetProperty("state").GetString()!;

    public static bool Final(this SseEvent e) => e.Result.TryGetProperty("final", out var final) && final.GetBoolean();

    /// <summary>The text of an artifact update's parts.</summary>
    public static string ArtifactText(this SseEvent e) =>
        string.Concat(e.Result.GetProperty("artifact").GetProperty("parts").EnumerateArray().Select(p => p.GetProperty("text").GetString()));

    public static bool Has(this JsonElement element, string member) => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(member, out _);
}
