using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Herald.LoadGen;

/// <summary>
/// The JSON-RPC requests of one A2A wire generation. v1.0: <c>SendStreamingMessage</c>,
/// <c>SendMessage</c>, <c>SubscribeToTask</c>, ProtoJSON enums, header <c>A2A-Version: 1.0</c>.
/// v0.3: <c>message/stream</c>, <c>message/send</c>, <c>tasks/resubscribe</c>, <c>kind</c>
/// discriminators, no version header.
/// </summary>
internal sealed class A2AWire(string version)
{
    public string Version { get; } = version is "0.3" ? "0.3" : "1.0";

    private bool IsV1 => Version == "1.0";

    public HttpRequestMessage StreamMessage(Uri url, string text, int requestId = 1) =>
        Request(url, IsV1 ? "SendStreamingMessage" : "message/stream", requestId, json =>
        {
            WriteMessage(json, text);
            if (IsV1)
            {
                json.WriteStartObject("configuration");
                json.WriteEndObject();
            }
        }, stream: true);

    /// <summary>SendMessage that answers as soon as the task exists (returnImmediately / blocking=false).</summary>
    public HttpRequestMessage SendMessageImmediately(Uri url, string text, int requestId = 1) =>
        Request(url, IsV1 ? "SendMessage" : "message/send", requestId, json =>
        {
            WriteMessage(json, text);
            json.WriteStartObject("configuration");
            if (IsV1)
            {
                json.WriteBoolean("returnImmediately", true);
            }
            else
            {
                json.WriteBoolean("blocking", false);
            }

            json.WriteEndObject();
        }, stream: false);

    /// <summary>ListTasks with a page size of one: only <c>totalSize</c> is of interest (v1.0 only; v0.3 has no ListTasks).</summary>
    public HttpRequestMessage CountTasks(Uri url, int requestId = 1) =>
        Request(url, "ListTasks", requestId, json => json.WriteNumber("pageSize", 1), stream: false);

    public HttpRequestMessage Subscribe(Uri url, string taskId, int requestId = 1) =>
        Request(url, IsV1 ? "SubscribeToTask" : "tasks/resubscribe", requestId, json => json.WriteString("id", taskId), stream: true);

    private void WriteMessage(Utf8JsonWriter json, string text)
    {
        json.WriteStartObject("message");
        if (!IsV1)
        {
            json.WriteString("kind", "message");
        }

        json.WriteString("messageId", Guid.NewGuid().ToString("N"));
        json.WriteString("role", IsV1 ? "ROLE_USER" : "user");
        json.WriteStartArray("parts");
        json.WriteStartObject();
        if (!IsV1)
        {
            json.WriteString("kind", "text");
        }

        json.WriteString("text", text);
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private HttpRequestMessage Request(Uri url, string method, int requestId, Action<Utf8JsonWriter> writeParams, bool stream)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("jsonrpc", "2.0");
            json.WriteNumber("id", requestId);
            json.WriteString("method", method);
            json.WriteStartObject("params");
            writeParams(json);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new ByteArrayContent(buffer.ToArray()),
            Version = new Version(1, 1),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(stream ? "text/event-stream" : "application/json"));
        if (IsV1)
        {
            request.Headers.TryAddWithoutValidation("A2A-Version", "1.0");
        }

        return request;
    }

    public static string Describe(HttpResponseMessage response, byte[] body) =>
        $"HTTP {(int)response.StatusCode} {response.Content.Headers.ContentType}: {Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 300)))}";
}
