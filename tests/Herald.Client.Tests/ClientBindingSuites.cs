using System.Text.Json;
using Herald.Client.Tests.Infrastructure;
using Herald.Protocol;

namespace Herald.Client.Tests;

// The client suites over each binding Herald serves, pinned with A2AClientOptions.ProtocolBinding.

public sealed class JsonRpcClientOperationsTests(HeraldServer server) : ClientOperationsTests(server)
{
    protected override string Binding => "JSONRPC";

    protected override bool IsListTasks(string method, Uri uri, string? body) => body?.Contains("\"ListTasks\"", StringComparison.Ordinal) == true;

    protected override Type RefusedStreamError => typeof(A2AStreamErrorException);

    [Fact]
    public async Task ConnectAsync_Unpinned_ChoosesTheCardsFirstInterfaceJsonRpc()
    {
        using var http = new HttpClient();

        var client = await A2AClient.ConnectAsync(http, Server.AgentUrl).Within();

        Assert.Equal("JSONRPC", (await client.GetEndpointAsync()).Interface.ProtocolBinding);
    }

        [Fact]
        public async Task AllRequests_CarryVersionHeaderAndNumericJsonRpcIds()
        {
            var client = NewClient();
            var task = (await client.SendMessageAsync(Text("chunks:1")).Within()).Task!;
            await client.GetTaskAsync(task.Id).Within();
            await client.SendStreamingMessageAsync(Text("chunks:1")).CollectWithin();

            var requests = Handler.Requests.ToList();
            Assert.Equal(4, requests.Count);
            Assert.All(requests, r => Assert.Equal("1.0", r.Header("A2A-Version")));
            Assert.Equal("GET", requests[0].Method);
            var rpc = requests.Skip(1).Select(r => JsonDocument.Parse(r.Body!).RootElement).ToList();
            Assert.All(rpc, r => Assert.Equal("2.0", r.GetProperty("jsonrpc").GetString()));
            Assert.All(rpc, r => Assert.Equal(JsonValueKind.Number, r.GetProperty("id").ValueKind));
            Assert.Equal(["SendMessage", "GetTask", "SendStreamingMessage"], rpc.Select(r => r.GetProperty("method").GetString()));
            Assert.Equal(3, rpc.Select(r => r.GetProperty("id").GetInt64()).Distinct().Count());
            Assert.Equal("application/json", requests[1].Header("Accept"));
            Assert.Equal("text/event-stream", requests[3].Header("Accept"));
            Assert.StartsWith("application/json", requests[1].Header("Content-Type"), StringComparison.Ordinal);
            Assert.Equal("ROLE_USER", rpc[0].GetProperty("params").GetProperty("message").GetProperty("role").GetString());
        }
}

public sealed class RestClientOperationsTests(HeraldServer server) : ClientOperationsTests(server)
{
    protected override string Binding => "HTTP+JSON";

    protected override bool IsListTasks(string method, Uri uri, string? body) => method == "GET" && uri.AbsolutePath == "/a2a/tasks";

    protected override Type RefusedStreamError => typeof(A2AException);

    [Fact]
    public async Task AllRequests_CarryVersionHeaderOnTheRestRoutes()
    {
        var client = NewClient();
        var task = (await client.SendMessageAsync(Text("chunks:1")).Within()).Task!;
        await client.GetTaskAsync(new GetTaskRequest { Id = task.Id, HistoryLength = 1 }).Within();
        await client.ListTasksAsync(new ListTasksRequest { ContextId = task.ContextId, Status = TaskState.Completed, PageSize = 5, IncludeArtifacts = true }).Within();
        await client.SendStreamingMessageAsync(Text("chunks:1")).CollectWithin();

        var requests = Handler.Requests.ToList();
        Assert.Equal(5, requests.Count);
        Assert.All(requests, r => Assert.Equal("1.0", r.Header("A2A-Version")));
        Assert.Equal(
            ["GET /a2a/.well-known/agent-card.json", "POST /a2a/message:send", $"GET /a2a/tasks/{task.Id}?historyLength=1",
             $"GET /a2a/tasks?contextId={task.ContextId}&status=TASK_STATE_COMPLETED&pageSize=5&includeArtifacts=true", "POST /a2a/message:stream"],
            requests.Select(r => $"{r.Method} {r.Uri.PathAndQuery}"));
        Assert.Equal("application/a2a+json", requests[1].Header("Content-Type"));
        Assert.Equal("application/a2a+json,application/json", requests[1].Header("Accept")); // as the recorder joins them
        Assert.Equal("text/event-stream", requests[4].Header("Accept"));
        var body = JsonDocument.Parse(requests[1].Body!).RootElement;
        Assert.False(body.TryGetProperty("jsonrpc", out _)); // the bare SendMessageRequest
        Assert.Equal("ROLE_USER", body.GetProperty("message").GetProperty("role").GetString());
        Assert.Null(requests[2].Body);
    }
}

public sealed class RestClientPathTests(HeraldServer server) : IClassFixture<HeraldServer>
{
    [Theory]
    [InlineData("a b")]
    [InlineData("a/b:cancel")]
    [InlineData("50%?x=1#y")]
    public async Task GetTaskAsync_IdWithReservedCharacters_ReachesTheServerAsOneSegment(string id)
    {
        using var http = new HttpClient { Timeout = Bounded.Timeout };
        var client = A2AClient.Create(http, server.AgentUrl, new A2AClientOptions { ProtocolBinding = "rest" });

        var error = await Assert.ThrowsAsync<A2AException>(() => client.GetTaskAsync(id)).Within();

        Assert.Equal(A2AErrorCodes.TaskNotFound, error.Code);
        Assert.Equal(id, error.Details!["taskId"]);
    }
}

public sealed class JsonRpcResumptionTests(HeraldServer server) : ResumptionTests(server)
{
    protected override string Binding => "JSONRPC";
}

public sealed class RestResumptionTests(HeraldServer server) : ResumptionTests(server)
{
    protected override string Binding => "HTTP+JSON";
}
