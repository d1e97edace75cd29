using System.Text.Json;

namespace Herald.Interop.Tests;

/// <summary>
/// The official @a2a-js/sdk 1.x client drives `herald serve --agent chunks` over A2A v1.0, once per binding the
/// SDK's client speaks (a subclass each): JSON-RPC and HTTP+JSON/REST.
/// </summary>
public abstract class JsSdkClientInteropTests(JsSdkFixture fixture)
{
    /// <summary>The SDK's preferred transport, as the card names it.</summary>
    protected abstract string Transport { get; }

    /// <summary>How the SDK reports an A2A error's code on this transport (JSON-RPC: the envelope code; REST: the HTTP status).</summary>
    protected abstract int ReportedCode(int a2aCode);

    private Task<JsonElement> RunClientAsync(string scenario) => fixture.RunClientAsync(scenario, Transport);

    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString() ?? "")];

    [Fact]
    public async Task SendMessage_JsClient_GetsCompletedTaskWithAllChunks()
    {
        var result = await RunClientAsync("send");

        Assert.Equal(Transport, result.GetProperty("transport").GetString());
        Assert.Equal("task", result.GetProperty("kind").GetString());
        Assert.Equal("TASK_STATE_COMPLETED", result.GetProperty("state").GetString());
        Assert.Equal(1, result.GetProperty("artifactCount").GetInt32());
        Assert.Equal("chunk 1 of 3\nchunk 2 of 3\nchunk 3 of 3\n", result.GetProperty("artifactText").GetString());
    }

    [Fact]
    public async Task SendStreamingMessage_JsClient_SeesTaskThenChunksInOrderThenCompleted()
    {
        var result = await RunClientAsync("stream");

        Assert.Equal(JsonValueKind.Null, result.GetProperty("error").ValueKind);
        var events = result.GetProperty("events").EnumerateArray().ToArray();
        Assert.Equal("task", events[0].GetProperty("kind").GetString());
        var chunks = events.Where(e => e.GetProperty("kind").GetString() == "artifactUpdate").ToArray();
        Assert.Equal(5, chunks.Length);
        Assert.Equal([.. Enumerable.Range(1, 5).Select(i => $"chunk {i} of 5\n")], chunks.Select(c => c.GetProperty("text").GetString()));
        Assert.True(chunks[^1].GetProperty("lastChunk").GetBoolean());
        Assert.Equal("statusUpdate", events[^1].GetProperty("kind").GetString());
        Assert.Equal("TASK_STATE_COMPLETED", result.GetProperty("finalState").GetString());
    }

    [Fact]
    public async Task GetTask_JsClient_ReadsTheFinishedTask()
    {
        var result = await RunClientAsync("get");

        Assert.Equal(result.GetProperty("sentTaskId").GetString(), result.GetProperty("taskId").GetString());
        Assert.Equal("TASK_STATE_COMPLETED", result.GetProperty("state").GetString());
        Assert.Equal("chunk 1 of 2\nchunk 2 of 2\n", result.GetProperty("artifactText").GetString());
    }

    [Fact]
    public async Task ListTasks_JsClient_PagesThroughTheContextOneTaskAtATime()
    {
        var result = await RunClientAsync("list");

        var sent = Strings(result.GetProperty("sentTaskIds"));
        var pages = result.GetProperty("pages").EnumerateArray().ToArray();
        Assert.Equal(2, pages.Length);
        Assert.All(pages, p => Assert.Equal(2, p.GetProperty("totalSize").GetInt32()));
        Assert.NotEqual("", pages[0].GetProperty("nextPageToken").GetString());
        Assert.Equal("", pages[1].GetProperty("nextPageToken").GetString());

        // Newest update first: the second task finished last.
        var listed = pages.SelectMany(p => Strings(p.GetProperty("taskIds"))).ToArray();
        Assert.Equal([sent[1], sent[0]], listed);
    }

    [Fact]
    public async Task CancelTask_JsClient_CancelsThenSeesNotCancelable()
    {
        var result = await RunClientAsync("cancel");

        Assert.Equal("TASK_STATE_CANCELED", result.GetProperty("stateAfterCancel").GetString());
        Assert.Equal(ReportedCode(-32002), result.GetProperty("secondCancelErrorCode").GetInt32());
        Assert.Equal("TaskNotCancelableError", result.GetProperty("secondCancelErrorName").GetString());
    }

    [Fact]
    public async Task SubscribeToTask_JsClient_GetsSnapshotFirstThenTailUntilCompleted()
    {
        var result = await RunClientAsync("subscribe");

        Assert.Equal(JsonValueKind.Null, result.GetProperty("error").ValueKind);
        Assert.Equal("task", result.GetProperty("firstKind").GetString());
        Assert.Equal("TASK_STATE_COMPLETED", result.GetProperty("finalState").GetString());
        Assert.Equal(string.Concat(Enumerable.Range(1, 20).Select(i => $"chunk {i} of 20\n")), result.GetProperty("text").GetString());
    }

    [Fact]
    public async Task MultiTurn_JsClientAnswersInputRequiredOnTheSameTask()
    {
        var result = await RunClientAsync("multiturn");

        Assert.Equal(JsonValueKind.Null, result.GetProperty("error").ValueKind);
        Assert.Equal("TASK_STATE_INPUT_REQUIRED", result.GetProperty("askedState").GetString());
        Assert.StartsWith("What is your name?", result.GetProperty("prompt").GetString(), StringComparison.Ordinal);
        Assert.Equal(result.GetProperty("taskId").GetString(), result.GetProperty("answeredTaskId").GetString());
        Assert.Equal(result.GetProperty("contextId").GetString(), result.GetProperty("answeredContextId").GetString());
        Assert.Equal("TASK_STATE_COMPLETED", result.GetProperty("answeredState").GetString());
        Assert.Equal("hello Ada", result.GetProperty("greeting").GetString());
        Assert.Equal("TASK_STATE_COMPLETED", result.GetProperty("taskState").GetString());
        Assert.Equal(["user: ask", "agent: What is your name? Answer with a message to this task.", "user: Ada"], Strings(result.GetProperty("history")));
    }

    [Fact]
    public async Task GetTask_UnknownId_JsClientSeesTaskNotFound()
    {
        var result = await RunClientAsync("errors");

        Assert.Equal(ReportedCode(-32001), result.GetProperty("code").GetInt32());
        Assert.Equal("TaskNotFoundError", result.GetProperty("name").GetString());
    }
}

[Collection(JsSdkCollection.Name)]
public sealed class JsSdkJsonRpcClientInteropTests(JsSdkFixture fixture) : JsSdkClientInteropTests(fixture)
{
    protected override string Transport => "JSONRPC";

    protected override int ReportedCode(int a2aCode) => a2aCode;
}

/// <summary>Over REST the SDK reports the HTTP status, and names the error from the ErrorInfo reason.</summary>
[Collection(JsSdkCollection.Name)]
public sealed class JsSdkRestClientInteropTests(JsSdkFixture fixture) : JsSdkClientInteropTests(fixture)
{
    protected override string Transport => "HTTP+JSON";

    protected override int ReportedCode(int a2aCode) => a2aCode == -32001 ? 404 : 400;
}
