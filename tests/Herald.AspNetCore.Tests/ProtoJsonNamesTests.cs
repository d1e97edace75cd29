using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Herald.AspNetCore.Tests;

/// <summary>
/// ProtoJSON in (A2A v1.0 adopts ProtoJSON, ADR-001): every v1.0 request reads each field under its JSON name and
/// its proto name (a2a-v1.0.proto), and enums by name or number, on JSON-RPC and REST alike; the answers are the
/// same either way, and always in JSON names. Keys of free-form values (metadata, a data part) are the sender's and
/// stay as sent.
/// </summary>
public sealed class ProtoJsonNamesTests : IAsyncLifetime
{
    private HeraldTestServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await HeraldTestServer.StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync("done", ct).AsTask()));

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>A v1.0 call over the binding: the result (JSON-RPC) or body (REST), as compact text.</summary>
    private async Task<string> CallAsync(string binding, string method, string rpcParams, HttpMethod restMethod, string restPath, string? restBody = null)
    {
        using var request = binding == "rpc"
            ? new HttpRequestMessage(HttpMethod.Post, _server.RpcPath) { Content = Json($$"""{"jsonrpc":"2.0","id":1,"method":"{{method}}","params":""" + rpcParams + "}") }
            : new HttpRequestMessage(restMethod, "/" + restPath) { Content = restBody is null ? null : Json(restBody) };
        request.Headers.Add("A2A-Version", "1.0");
        using var response = await _server.Client.SendAsync(request).Within();
        var root = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        if (binding == "rpc")
        {
            return (root["result"] ?? root["error"]!["code"])!.ToJsonString();
        }

        return response.IsSuccessStatusCode ? root.ToJsonString() : ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static StringContent Json(string text)
    {
        var content = new StringContent(text, Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json");
        return content;
    }

    private Task<string> SendAsync(string binding, string body) => CallAsync(binding, "SendMessage", body, HttpMethod.Post, "message:send", body);

    private static string Message(string contextId, bool proto) => proto
        ? $$$"""{"message":{"message_id":"m-{{{contextId}}}","context_id":"{{{contextId}}}","role":1,"parts":[{"text":"hi","media_type":"text/plain"},{"data":{"snake_key":1}}],"metadata":{"some_key":"kept"},"reference_task_ids":[]},"configuration":{"accepted_output_modes":["text/plain"],"history_length":5},"unknown_field":1}"""
        : $$$"""{"message":{"messageId":"m-{{{contextId}}}","contextId":"{{{contextId}}}","role":"ROLE_USER","parts":[{"text":"hi","mediaType":"text/plain"},{"data":{"snake_key":1}}],"metadata":{"some_key":"kept"},"referenceTaskIds":[]},"configuration":{"acceptedOutputModes":["text/plain"],"historyLength":5},"unknownField":1}""";

    [Theory]
    [InlineData("rpc")]
    [InlineData("rest")]
    public async Task EveryV1Request_ProtoNamesAndJsonNames_SameResults(string binding)
    {
        var snakeContext = $"ctx-{binding}-{Guid.NewGuid():N}";
        var camelContext = $"ctx-{binding}-{Guid.NewGuid():N}";

        // SendMessage: message_id is read (no "messageId is required"), context_id and media_type bind, role by number.
        var snake = JsonNode.Parse(await SendAsync(binding, Message(snakeContext, proto: true)))!["task"]!;
        var camel = JsonNode.Parse(await SendAsync(binding, Message(camelContext, proto: false)))!["task"]!;
        foreach (var (task, context) in new[] { (snake, snakeContext), (camel, camelContext) })
        {
            Assert.Equal(context, task["contextId"]!.GetValue<string>());
            var sent = task["history"]![0]!;
            Assert.Equal("m-" + context, sent["messageId"]!.GetValue<string>());
            Assert.Equal("ROLE_USER", sent["role"]!.GetValue<string>());
            Assert.Equal("text/plain", sent["parts"]![0]!["mediaType"]!.GetValue<string>());
            Assert.Equal("""{"snake_key":1}""", sent["parts"]![1]!["data"]!.ToJsonString()); // free-form: as sent
            Assert.Equal("""{"some_key":"kept"}""", sent["metadata"]!.ToJsonString());
            Assert.DoesNotContain("_id", task.ToJsonString(), StringComparison.Ordinal); // answers use JSON names only
        }

        var id = snake["id"]!.GetValue<string>();

        // GetTask: history_length is honoured, and both spellings read the same.
        var full = await CallAsync(binding, "GetTask", $$"""{"id":"{{id}}"}""", HttpMethod.Get, $"tasks/{id}");
        var getSnake = await CallAsync(binding, "GetTask", $$"""{"id":"{{id}}","history_length":0}""", HttpMethod.Get, $"tasks/{id}?history_length=0");
        var getCamel = await CallAsync(binding, "GetTask", $$"""{"id":"{{id}}","historyLength":0}""", HttpMethod.Get, $"tasks/{id}?historyLength=0");
        Assert.Equal(getCamel, getSnake);
        Assert.NotEqual(full, getSnake);
        Assert.Null(JsonNode.Parse(getSnake)!["history"]);
        Assert.NotNull(JsonNode.Parse(full)!["history"]);

        // ListTasks: context_id filters, page_size pages, status by number, include_artifacts reads.
        var listSnake = await CallAsync(binding, "ListTasks", $$"""{"context_id":"{{snakeContext}}","page_size":1,"status":3,"include_artifacts":true}""",
            HttpMethod.Get, $"tasks?context_id={snakeContext}&page_size=1&status=3&include_artifacts=true");
        var listCamel = await CallAsync(binding, "ListTasks", $$"""{"contextId":"{{snakeContext}}","pageSize":1,"status":"TASK_STATE_COMPLETED","includeArtifacts":true}""",
            HttpMethod.Get, $"tasks?contextId={snakeContext}&pageSize=1&status=TASK_STATE_COMPLETED&includeArtifacts=true");
        Assert.Equal(listCamel, listSnake);
        var tasks = JsonNode.Parse(listSnake)!["tasks"]!.AsArray();
        Assert.Equal(id, Assert.Single(tasks)!["id"]!.GetValue<string>());

        // CancelTask and SubscribeToTask: their fields have one spelling; a finished task answers the same either way.
        var cancelSnake = await CallAsync(binding, "CancelTask", $$$"""{"id":"{{{id}}}","metadata":{"a_b":1}}""", HttpMethod.Post, $"tasks/{id}:cancel", """{"metadata":{"a_b":1}}""");
        var cancelCamel = await CallAsync(binding, "CancelTask", $$$"""{"id":"{{{id}}}","metadata":{"a_b":1}}""", HttpMethod.Post, $"tasks/{id}:cancel", """{"metadata":{"a_b":1}}""");
        Assert.Equal(cancelCamel, cancelSnake);
    }

    [Fact]
    public async Task RestQuery_BothSpellingsOfOneParameter_AreOneRepeatedParameter()
    {
        var result = await CallAsync("rest", "ListTasks", "{}", HttpMethod.Get, "tasks?pageSize=1&page_size=2");

        Assert.Equal("400", result);
    }
}
