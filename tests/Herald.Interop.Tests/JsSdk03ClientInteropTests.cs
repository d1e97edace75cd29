using System.Text.Json;

namespace Herald.Interop.Tests;

/// <summary>
/// The official @a2a-js/sdk 0.3.x client (A2A v0.3 JSON-RPC, no A2A-Version header) drives the same
/// `herald serve --agent chunks` as the 1.x client: card, stream, resubscribe (also with Last-Event-ID), get,
/// cancel, multi-turn, errors.
/// </summary>
[Collection(JsSdkCollection.Name)]
public sealed class JsSdk03ClientInteropTests(JsSdkFixture fixture)
{
    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString() ?? "")];

    private static string Chunks(int from, int to, int of) => string.Concat(Enumerable.Range(from, to - from + 1).Select(i => $"chunk {i} of {of}\n"));

    [Fact]
    public async Task Card_V03ClientReadsTheTopLevelFieldsAndSends()
    {
        var result = await fixture.RunV03ClientAsync("card");

        var url = fixture.BaseAddress.ToString();
        Assert.Equal(url, result.GetProperty("url").GetString());
        Assert.Equal("JSONRPC", result.GetProperty("preferredTransport").GetString());
        Assert.Equal("0.3.0", result.GetProperty("protocolVersion").GetString());
        Assert.Equal(url, result.GetProperty("additionalInterfaces")[0].GetProperty("url").GetString());
        Assert.True(result.GetProperty("streaming").GetBoolean());
        Assert.Contains("urn:herald:a2a:extension:resumable-streams:v1", Strings(result.GetProperty("extensions")));
        Assert.Equal(["chunks", "ask"], Strings(result.GetProperty("skills")));
        Assert.Equal(url, result.GetProperty("olderPathUrl").GetString());
        Assert.Equal(("task", "completed"), (result.GetProperty("sendKind").GetString(), result.GetProperty("sendState").GetString()));
    }

    [Fact]
    public async Task MessageStream_V03ClientSeesTaskThenChunksThenFinalCompleted()
    {
        var result = await fixture.RunV03ClientAsync("stream");

        Assert.Equal(JsonValueKind.Null, result.GetProperty("error").ValueKind);
        var events = result.GetProperty("events").EnumerateArray().ToArray();
        Assert.Equal(["task", "status-update", .. Enumerable.Repeat("artifact-update", 5), "status-update"], events.Select(e => e.GetProperty("kind").GetString()));
        Assert.Equal("working", events[1].GetProperty("state").GetString());
        Assert.False(events[1].GetProperty("final").GetBoolean());
        Assert.Equal(("completed", true), (events[^1].GetProperty("state").GetString(), events[^1].GetProperty("final").GetBoolean()));
        Assert.True(events[^2].GetProperty("lastChunk").GetBoolean());
        Assert.Equal(Chunks(1, 5, 5), result.GetProperty("text").GetString());

        // Herald's event ids pass through untouched: 1 for the task, then each event's sequence.
        Assert.Equal(Enumerable.Range(1, 8).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), Strings(result.GetProperty("ids")));
    }

    [Fact]
    public async Task TasksGet_V03ClientReadsTheFinishedTask()
    {
        var result = await fixture.RunV03ClientAsync("get");

        Assert.Equal(result.GetProperty("sentTaskId").GetString(), result.GetProperty("taskId").GetString());
        Assert.Equal(("task", "completed"), (result.GetProperty("kind").GetString(), result.GetProperty("state").GetString()));
        Assert.Equal(Chunks(1, 2, 2), result.GetProperty("artifactText").GetString());
        Assert.Equal(1, result.GetProperty("historyLength").GetInt32());
    }

    [Fact]
    public async Task TasksCancel_V03ClientCancelsThenSeesNotCancelable()
    {
        var result = await fixture.RunV03ClientAsync("cancel");

        Assert.Equal("canceled", result.GetProperty("stateAfterCancel").GetString());
        var second = result.GetProperty("secondCancel");
        Assert.Equal(-32002, second.GetProperty("code").GetInt32());
        Assert.Equal("TaskNotCancelableJSONRPCError", second.GetProperty("name").GetString());
    }

    [Fact]
    public async Task TasksResubscribe_V03ClientGetsTheTaskFirstThenTheTailUntilFinal()
    {
        var result = await fixture.RunV03ClientAsync("resubscribe");

        Assert.Equal(JsonValueKind.Null, result.GetProperty("error").ValueKind);
        var events = result.GetProperty("events").EnumerateArray().ToArray();
        Assert.Equal("task", events[0].GetProperty("kind").GetString());
        Assert.Equal(("completed", true), (events[^1].GetProperty("state").GetString(), events[^1].GetProperty("final").GetBoolean()));
        Assert.Equal(Chunks(1, 20, 20), result.GetProperty("text").GetString());
    }

    [Fact]
    public async Task TasksResubscribe_WithLastEventId_V03ClientGetsExactlyTheRestOnce()
    {
        var result = await fixture.RunV03ClientAsync("resume");

        Assert.Equal(JsonValueKind.Null, result.GetProperty("error").ValueKind);
        Assert.Equal(["1", "2", "3", "4"], Strings(result.GetProperty("firstIds")));
        Assert.Equal("4", result.GetProperty("lastEventId").GetString());
        var resumed = result.GetProperty("resumed").EnumerateArray().ToArray();
        Assert.Equal("artifact-update", resumed[0].GetProperty("kind").GetString()); // no task snapshot on a resumed stream
        Assert.Equal("chunk 3 of 10\n", resumed[0].GetProperty("text").GetString());
        Assert.Equal(Enumerable.Range(5, resumed.Length).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), Strings(result.GetProperty("resumedIds")));
        Assert.Equal("completed", result.GetProperty("finalState").GetString());
        Assert.Equal(Chunks(1, 10, 10), result.GetProperty("text").GetString());
    }

    [Fact]
    public async Task MultiTurn_V03ClientAnswersInputRequiredOnTheSameTask()
    {
        var result = await fixture.RunV03ClientAsync("multiturn");

        Assert.Equal(JsonValueKind.Null, result.GetProperty("error").ValueKind);
        Assert.Equal(("input-required", true), (result.GetProperty("askedState").GetString(), result.GetProperty("askedFinal").GetBoolean()));
        Assert.StartsWith("What is your name?", result.GetProperty("prompt").GetString(), StringComparison.Ordinal);
        Assert.Equal(result.GetProperty("taskId").GetString(), result.GetProperty("answeredTaskId").GetString());
        Assert.Equal("completed", result.GetProperty("answeredState").GetString());
        Assert.Equal("hello Ada", result.GetProperty("greeting").GetString());
        Assert.Equal("completed", result.GetProperty("taskState").GetString());
        Assert.Equal(["user: ask", "agent: What is your name? Answer with a message to this task.", "user: Ada"], Strings(result.GetProperty("history")));
    }

    [Fact]
    public async Task Errors_V03ClientGetsTypedErrorsAlsoInsideStreams()
    {
        var result = await fixture.RunV03ClientAsync("errors");

        Assert.Equal((-32001, "TaskNotFoundJSONRPCError"), (result.GetProperty("getUnknown").GetProperty("code").GetInt32(), result.GetProperty("getUnknown").GetProperty("name").GetString()));

        // Refused streaming calls come back as a stream holding the error, which this client reads (not as plain JSON, which it cannot).
        Assert.Equal(-32004, result.GetProperty("resubscribeFinished").GetProperty("code").GetInt32());
        Assert.Equal(-32004, result.GetProperty("streamToFinished").GetProperty("code").GetInt32());
        Assert.Equal("UnsupportedOperationJSONRPCError", result.GetProperty("streamToFinished").GetProperty("name").GetString());
    }
}
