using System.Text;
using System.Text.Json;
using Herald.Protocol;
using Herald.Server;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.AspNetCore.Tests;

public sealed class StreamingTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    private static async Task StreamChunksAsync(Herald.Server.Agents.AgentContext context, int count, CancellationToken ct)
    {
        await context.StartWorkAsync(cancellationToken: ct);
        for (var i = 1; i <= count; i++)
        {
            await context.AppendTextAsync("out", $"c{i}", lastChunk: i == count, cancellationToken: ct);
        }

        await context.CompleteAsync(cancellationToken: ct);
    }

    [Fact]
    public async Task SendStreamingMessage_Framing_RetryThenIdsOnEveryEventAndEnvelopeEchoesId()
    {
        await using var server = await TestServer.StartAsync((c, ct) => StreamChunksAsync(c, 3, ct));
        using var response = await server.Http.SendAsync(
            TestServer.Request(TestServer.Envelope("SendStreamingMessage", TestServer.SendParams("go"), "\"req-7\"")),
            HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
        Assert.Equal("no", response.Headers.GetValues("X-Accel-Buffering").Single());
        var raw = await response.Content.ReadAsStringAsync().WaitAsync(Bound);

        var blocks = raw.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("retry: 2000", blocks[0]);
        var events = blocks.Skip(1).Select(b => b.Split('\n')).ToArray();
        Assert.Equal(6, events.Length); // task, working, 3 chunks, completed
        Assert.All(events, lines =>
        {
            Assert.Equal(2, lines.Length);
            Assert.StartsWith("id: ", lines[0], StringComparison.Ordinal);
            Assert.StartsWith("data: {\"jsonrpc\":\"2.0\",\"id\":\"req-7\",\"result\":{", lines[1], StringComparison.Ordinal);
        });
        var ids = events.Select(l => long.Parse(l[0][4..], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal([1, 2, 3, 4, 5, 6], ids);
        Assert.Contains("\"task\":", events[0][1], StringComparison.Ordinal);
        Assert.Contains("TASK_STATE_COMPLETED", events[^1][1], StringComparison.Ordinal);
        Assert.DoesNotContain("event:", raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendStreamingMessage_NamedEventsOption_AddsEventLines()
    {
        await using var server = await TestServer.StartAsync((c, ct) => StreamChunksAsync(c, 1, ct), o => o.NamedSseEvents = true);
        await using var stream = await server.OpenStreamAsync("SendStreamingMessage", TestServer.SendParams("go"));

        var events = await stream.ReadToEndAsync();

        Assert.Equal(["task", "status-update", "artifact-update", "status-update"], events.Select(e => e.EventType));
    }

    [Theory]
    [InlineData(TaskState.Failed, "TASK_STATE_FAILED")]
    [InlineData(TaskState.Canceled, "TASK_STATE_CANCELED")]
    [InlineData(TaskState.Rejected, "TASK_STATE_REJECTED")]
    [InlineData(TaskState.InputRequired, "TASK_STATE_INPUT_REQUIRED")]
    [InlineData(TaskState.AuthRequired, "TASK_STATE_AUTH_REQUIRED")]
    public async Task SendStreamingMessage_TerminalOrInterruptedState_ClosesStream(TaskState state, string wireName)
    {
        var agentDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(async (c, ct) =>
        {
            await c.UpdateStatusAsync(state, "because", ct);
            await agentDone.Task.WaitAsync(ct); // the agent stays alive: the stream must close on the event, not on agent exit
        });
        await using var stream = await server.OpenStreamAsync("SendStreamingMessage", TestServer.SendParams("go"));

        var events = await stream.ReadToEndAsync();

        Assert.Equal(wireName, events[^1].State);
        agentDone.SetResult();
    }

    [Fact]
    public async Task SubscribeToTask_TwoConcurrentSubscribers_ReceiveIdenticalSequences()
    {
        var agent = new ScriptedAgent();
        await using var server = await TestServer.StartAsync(agent.ExecuteAsync);
        var send = await server.CallAsync("SendMessage", TestServer.SendParams("go", "") .Replace("}}", "},\"configuration\":{\"returnImmediately\":true}}", StringComparison.Ordinal));
        var taskId = send.GetProperty("result").GetProperty("task").GetProperty("id").GetString()!;
        await agent.Started.Task.WaitAsync(Bound);

        await using var a = await server.OpenStreamAsync("SubscribeToTask", $$"""{"id":"{{taskId}}"}""");
        await using var b = await server.OpenStreamAsync("SubscribeToTask", $$"""{"id":"{{taskId}}"}""", id: "2");
        var firstA = await a.NextAsync();
        var firstB = await b.NextAsync();
        for (var i = 0; i < 50; i++)
        {
            agent.Chunk($"chunk {i}");
        }

        agent.Complete();
        agent.End();
        var restA = await a.ReadToEndAsync();
        var restB = await b.ReadToEndAsync();

        Assert.Equal("task", firstA!.Kind);
        Assert.Equal(firstA.Id, firstB!.Id);
        Assert.Equal(51, restA.Count);
        Assert.Equal(restA.Select(e => (e.Id, e.Payload.GetRawText())), restB.Select(e => (e.Id, e.Payload.GetRawText())));
        Assert.Equal("TASK_STATE_COMPLETED", restA[^1].State);
    }

    [Fact]
    public async Task SubscribeToTask_LastEventId_SendsExactlyTheMissedEventsThenTheLiveTail()
    {
        var agent = new ScriptedAgent();
        await using var server = await TestServer.StartAsync(agent.ExecuteAsync);
        string taskId;
        long lastSeen;
        await using (var first = await server.OpenStreamAsync("SendStreamingMessage", TestServer.SendParams("go")))
        {
            var task = await first.NextAsync();
            taskId = task!.Payload.GetProperty("id").GetString()!;
            await first.NextAsync(); // working
            agent.Chunk("a");
            agent.Chunk("b");
            lastSeen = (await first.NextAsync())!.Sequence; // chunk a
        } // connection dropped here

        agent.Chunk("c"); // produced while the client is away
        await using var resumed = await server.OpenStreamAsync("SubscribeToTask", $$"""{"id":"{{taskId}}"}""", lastEventId: lastSeen);
        var missedB = await resumed.NextAsync();
        var missedC = await resumed.NextAsync();
        agent.Chunk("d");
        agent.Complete();
        agent.End();
        var tail = await resumed.ReadToEndAsync();

        Assert.Equal(lastSeen + 1, missedB!.Sequence);
        Assert.Equal("b", missedB.Payload.GetProperty("artifact").GetProperty("parts")[0].GetProperty("text").GetString());
        Assert.Equal("c", missedC!.Payload.GetProperty("artifact").GetProperty("parts")[0].GetProperty("text").GetString());
        Assert.Equal([lastSeen + 3, lastSeen + 4], tail.Select(e => e.Sequence));
        Assert.Equal("TASK_STATE_COMPLETED", tail[^1].State);
    }

    [Fact]
    public async Task SubscribeToTask_LastEventIdAfterTaskFinished_ReplaysUpToTerminalAndCloses()
    {
        await using var server = await TestServer.StartAsync((c, ct) => StreamChunksAsync(c, 4, ct));
        var result = (await server.CallAsync("SendMessage", TestServer.SendParams("go"))).GetProperty("result").GetProperty("task");
        var taskId = result.GetProperty("id").GetString();

        await using var resumed = await server.OpenStreamAsync("SubscribeToTask", $$"""{"id":"{{taskId}}"}""", lastEventId: 3);
        var events = await resumed.ReadToEndAsync();

        Assert.Equal([4L, 5, 6, 7], events.Select(e => e.Sequence));
        Assert.Equal(["artifactUpdate", "artifactUpdate", "artifactUpdate", "statusUpdate"], events.Select(e => e.Kind));
        Assert.Equal("TASK_STATE_COMPLETED", events[^1].State);
    }

    [Fact]
    public async Task SubscribeToTask_LastEventIdOfTheTerminalEvent_EmptyStreamThatCloses()
    {
        await using var server = await TestServer.StartAsync((c, ct) => StreamChunksAsync(c, 1, ct));
        var taskId = (await server.CallAsync("SendMessage", TestServer.SendParams("go"))).GetProperty("result").GetProperty("task").GetProperty("id").GetString();

        await using var resumed = await server.OpenStreamAsync("SubscribeToTask", $$"""{"id":"{{taskId}}"}""", lastEventId: 4);
        var events = await resumed.ReadToEndAsync();

        Assert.Equal("text/event-stream", resumed.Response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(events);
    }

    [Theory]
    [InlineData("99", "beyond the end")]
    [InlineData("abc", "not an event id")]
    [InlineData("-1", "not an event id")]
    public async Task SubscribeToTask_BadLastEventId_InvalidParamsBeforeTheStream(string header, string expected)
    {
        await using var server = await TestServer.StartAsync((c, ct) => StreamChunksAsync(c, 1, ct));
        var taskId = (await server.CallAsync("SendMessage", TestServer.SendParams("go"))).GetProperty("result").GetProperty("task").GetProperty("id").GetString();
        using var request = TestServer.Request(TestServer.Envelope("SubscribeToTask", $$"""{"id":"{{taskId}}"}"""));
        request.Headers.TryAddWithoutValidation("Last-Event-ID", header);

        using var response = await server.Http.SendAsync(request);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = body.RootElement.GetProperty("error");
        Assert.Equal(-32602, error.GetProperty("code").GetInt32());
        Assert.Contains(expected, error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubscribeToTask_TerminalTaskWithoutLastEventId_UnsupportedOperation()
    {
        await using var server = await TestServer.StartAsync((c, ct) => StreamChunksAsync(c, 1, ct));
        var taskId = (await server.CallAsync("SendMessage", TestServer.SendParams("go"))).GetProperty("result").GetProperty("task").GetProperty("id").GetString();

        var terminal = await server.CallAsync("SubscribeToTask", $$"""{"id":"{{taskId}}"}""");
        var unknown = await server.CallAsync("SubscribeToTask", """{"id":"nope"}""");

        Assert.Equal(-32004, terminal.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal(-32001, unknown.GetProperty("error").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Stream_SubscriberThatStopsReading_StallsNeitherTheAgentNorOtherSubscribers()
    {
        const int Count = 5_000;
        var payload = new string('x', 2_000); // ~10 MB in all: far beyond what socket buffers absorb
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var agentFinished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(async (c, ct) =>
        {
            await c.StartWorkAsync(cancellationToken: ct);
            await release.Task.WaitAsync(ct);
            for (var i = 0; i < Count; i++)
            {
                await c.AppendTextAsync("big", payload, cancellationToken: ct);
            }

            await c.CompleteAsync(cancellationToken: ct);
            agentFinished.SetResult();
        });
        var taskId = (await server.CallAsync("SendMessage", TestServer.SendParams("go").Replace("}}", "},\"configuration\":{\"returnImmediately\":true}}", StringComparison.Ordinal)))
            .GetProperty("result").GetProperty("task").GetProperty("id").GetString();

        await using var stalled = await server.OpenStreamAsync("SubscribeToTask", $$"""{"id":"{{taskId}}"}""");
        await using var reader = await server.OpenStreamAsync("SubscribeToTask", $$"""{"id":"{{taskId}}"}""", id: "2");
        Assert.NotNull(await stalled.NextAsync()); // then never read again
        release.SetResult();

        await agentFinished.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var events = await reader.ReadToEndAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(Count, events.Count(e => e.Kind == "artifactUpdate"));
        Assert.Equal("TASK_STATE_COMPLETED", events[^1].State);
    }

    [Fact]
    public async Task CancelTask_RunningTask_StreamGetsCanceledAndAgentTokenFires()
    {
        var agent = new ScriptedAgent();
        await using var server = await TestServer.StartAsync(agent.ExecuteAsync);
        await using var stream = await server.OpenStreamAsync("SendStreamingMessage", TestServer.SendParams("go"));
        var taskId = (await stream.NextAsync())!.Payload.GetProperty("id").GetString();
        await agent.Started.Task.WaitAsync(Bound);

        var canceled = await server.CallAsync("CancelTask", $$"""{"id":"{{taskId}}"}""");
        var rest = await stream.ReadToEndAsync();
        await agent.Canceled.Task.WaitAsync(Bound);
        var again = await server.CallAsync("CancelTask", $$"""{"id":"{{taskId}}"}""");
        var unknown = await server.CallAsync("CancelTask", """{"id":"nope"}""");

        Assert.Equal("TASK_STATE_CANCELED", canceled.GetProperty("result").GetProperty("status").GetProperty("state").GetString());
        Assert.Equal("TASK_STATE_CANCELED", rest[^1].State);
        Assert.Equal(-32002, again.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal(-32001, unknown.GetProperty("error").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task SendStreamingMessage_MultiTurn_InputRequiredThenContinuationCompletes()
    {
        await using var server = await TestServer.StartAsync(async (c, ct) =>
        {
            if (!c.IsContinuation)
            {
                await c.RequireInputAsync("which city?", ct);
                return;
            }

            await c.CompleteAsync($"booked {c.UserText}", ct);
        });
        await using var first = await server.OpenStreamAsync("SendStreamingMessage", TestServer.SendParams("book"));
        var turn1 = await first.ReadToEndAsync();
        var task = turn1[0].Payload;
        var taskId = task.GetProperty("id").GetString();
        var contextId = task.GetProperty("contextId").GetString();

        var continuation = "{\"message\":{\"messageId\":\"m2\",\"taskId\":\"" + taskId + "\",\"contextId\":\"" + contextId + "\",\"role\":\"ROLE_USER\",\"parts\":[{\"text\":\"Paris\"}]}}";
        await using var second = await server.OpenStreamAsync("SendStreamingMessage", continuation);
        var turn2 = await second.ReadToEndAsync();
        var afterEnd = await server.CallAsync("SendMessage", continuation.Replace("m2", "m3", StringComparison.Ordinal));
        var unknownTask = await server.CallAsync("SendMessage", continuation.Replace(taskId!, "nope", StringComparison.Ordinal));

        Assert.Equal("TASK_STATE_INPUT_REQUIRED", turn1[^1].State);
        Assert.Equal("task", turn2[0].Kind);
        Assert.Equal(taskId, turn2[0].Payload.GetProperty("id").GetString());
        Assert.True(turn2[0].Sequence > turn1[^1].Sequence);
        Assert.Equal("TASK_STATE_COMPLETED", turn2[^1].State);
        Assert.Equal(-32004, afterEnd.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal(-32001, unknownTask.GetProperty("error").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task SendStreamingMessage_DirectReply_OneMessageEventThenClose()
    {
        await using var server = await TestServer.StartAsync((c, ct) => c.ReplyAsync($"echo: {c.UserText}", ct).AsTask());
        await using var stream = await server.OpenStreamAsync("SendStreamingMessage", TestServer.SendParams("hi"));

        var events = await stream.ReadToEndAsync();
        var blocking = await server.CallAsync("SendMessage", TestServer.SendParams("yo"));

        var only = Assert.Single(events);
        Assert.Equal("message", only.Kind);
        Assert.Null(only.Id);
        Assert.Equal("echo: hi", only.Payload.GetProperty("parts")[0].GetProperty("text").GetString());
        Assert.Equal("echo: yo", blocking.GetProperty("result").GetProperty("message").GetProperty("parts")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task SendStreamingMessage_ManyConcurrentStreams_EachEnvelopeKeepsItsOwnRequestId()
    {
        // Regression: the request document once kept pointing into pipe buffers that other requests reused.
        const int Streams = 200;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(async (c, ct) =>
        {
            await c.StartWorkAsync(cancellationToken: ct);
            await release.Task.WaitAsync(ct);
            await c.AppendTextAsync("out", "x", lastChunk: true, cancellationToken: ct);
            await c.CompleteAsync(cancellationToken: ct);
        });

        var opened = await Task.WhenAll(Enumerable.Range(0, Streams).Select(i =>
            server.OpenStreamAsync("SendStreamingMessage", TestServer.SendParams($"padding-{new string('p', i * 7)}"), id: $"\"stream-{i}\"")));
        var firsts = await Task.WhenAll(opened.Select(s => s.NextAsync()));
        release.SetResult();
        var rests = await Task.WhenAll(opened.Select(s => s.ReadToEndAsync()));

        for (var i = 0; i < Streams; i++)
        {
            Assert.All(rests[i].Prepend(firsts[i]!), e => Assert.Equal($"stream-{i}", e.Data.GetProperty("id").GetString()));
            Assert.Equal("TASK_STATE_COMPLETED", rests[i][^1].State);
            await opened[i].DisposeAsync();
        }
    }

    [Fact]
    public async Task Stream_IdleStream_GetsKeepAliveComments()
    {
        var agent = new ScriptedAgent();
        await using var server = await TestServer.StartAsync(agent.ExecuteAsync, o => o.KeepAliveInterval = TimeSpan.FromMilliseconds(100));
        using var response = await server.Http.SendAsync(TestServer.Request(TestServer.Envelope("SendStreamingMessage", TestServer.SendParams("go"))), HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();

        var seen = new StringBuilder();
        var buffer = new byte[4096];
        using var limit = new CancellationTokenSource(Bound);
        while (!seen.ToString().Contains(": keep-alive\n\n", StringComparison.Ordinal))
        {
            var read = await body.ReadAsync(buffer, limit.Token);
            Assert.True(read > 0, "the stream closed before a keep-alive arrived");
            seen.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        agent.End();
        Assert.Contains("TASK_STATE_WORKING", seen.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Shutdown_WithOpenStream_StreamReceivesCanceledAndCloses()
    {
        var agent = new ScriptedAgent();
        var server = await TestServer.StartAsync(agent.ExecuteAsync);
        await using var stream = await server.OpenStreamAsync("SendStreamingMessage", TestServer.SendParams("go"));
        Assert.Equal("task", (await stream.NextAsync())!.Kind);
        await agent.Started.Task.WaitAsync(Bound);

        var stopping = server.StopAsync();
        var rest = await stream.ReadToEndAsync();
        await stopping.WaitAsync(Bound);
        await server.DisposeAsync();

        Assert.Equal("TASK_STATE_CANCELED", rest[^1].State);
        await agent.Canceled.Task.WaitAsync(Bound);
    }
}
