using System.Text;
using Microsoft.AspNetCore.Http;

namespace Herald.Testing;

/// <summary>Builders for raw wire text, so fakes can send exactly what a test needs (including garbage).</summary>
internal static class Wire
{
    public static string Task(string id, string state = "TASK_STATE_SUBMITTED", string artifacts = "") =>
        "{\"task\":{\"id\":\"" + id + "\",\"contextId\":\"ctx\",\"status\":{\"state\":\"" + state + "\"}"
        + (artifacts.Length == 0 ? "" : ",\"artifacts\":" + artifacts) + "}}";

    public static string Status(string taskId, string state) =>
        "{\"statusUpdate\":{\"taskId\":\"" + taskId + "\",\"contextId\":\"ctx\",\"status\":{\"state\":\"" + state + "\"}}}";

    public static string Chunk(string taskId, string text, bool append = true) =>
        "{\"artifactUpdate\":{\"taskId\":\"" + taskId + "\",\"contextId\":\"ctx\",\"artifact\":{\"artifactId\":\"out\",\"parts\":[{\"text\":\"" + text + "\"}]}"
        + (append ? ",\"append\":true" : "") + "}}";

    public static string Result(RpcCall call, string result) => "{\"jsonrpc\":\"2.0\",\"id\":" + call.IdJson + ",\"result\":" + result + "}";

    public static string Error(RpcCall call, int code, string message) =>
        "{\"jsonrpc\":\"2.0\",\"id\":" + call.IdJson + ",\"error\":{\"code\":" + code + ",\"message\":\"" + message
        + "\",\"data\":[{\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\",\"reason\":\"X\",\"domain\":\"a2a-protocol.org\",\"metadata\":{\"taskId\":\"t-meta\"}}]}}";

    /// <summary>One SSE event: optional id line, one data line.</summary>
    public static string Event(string data, long? id = null) => (id is { } n ? $"id: {n}\n" : "") + $"data: {data}\n\n";

    public static async Task StartStreamAsync(HttpContext context, int retryMs = 0)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        if (retryMs > 0)
        {
            await WriteAsync(context, $"retry: {retryMs}\n\n");
        }
        else
        {
            await context.Response.Body.FlushAsync();
        }
    }

    public static async Task WriteAsync(HttpContext context, string text)
    {
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text));
        await context.Response.Body.FlushAsync();
    }

    public static async Task JsonAsync(HttpContext context, string json, int status = 200)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(json);
    }
}
