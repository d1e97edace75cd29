using System.Globalization;
using Herald.Protocol;
using Microsoft.AspNetCore.Http;

namespace Herald.AspNetCore.Sse;

/// <summary>The SSE <c>Last-Event-ID</c> request header: the sequence of the last task event a client saw.</summary>
internal static class LastEventId
{
    /// <summary>The client's <c>Last-Event-ID</c>, when it sent one.</summary>
    /// <exception cref="A2AException">Not a sequence number (-32602, field <c>Last-Event-ID</c>).</exception>
    public static long? Parse(HttpRequest request)
    {
        if (!request.Headers.TryGetValue("Last-Event-ID", out var values) || string.IsNullOrWhiteSpace(values.ToString()))
        {
            return null;
        }

        var text = values.ToString().Trim();
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            ? sequence
            : throw A2AException.InvalidParams("Last-Event-ID",
                $"Last-Event-ID '{(text.Length <= 40 ? text : text[..40] + "...")}' is not an event id of this server (a task event sequence number).");
    }
}
