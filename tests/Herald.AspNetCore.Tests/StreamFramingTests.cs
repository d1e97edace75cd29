using System.Text.Json.Nodes;
using Herald.AspNetCore.Tests.Infrastructure;
using Herald.Protocol;
using Herald.Server.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.AspNetCore.Tests;

/// <summary>What a streaming response looks like on the wire: headers, SSE fields, envelopes, when it ends.</summary>
public sealed class StreamFramingTests
{
    [Fact]
    public async Task SendStreamingMessage_NewTask_SendsSseHeadersAndRetryFirst()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent);

        await using var stream = await server.StreamAsync("SendStreamingMessage", HeraldTestServer.SendParams());
        var run = await agent.NextRunAsync();
        await stream.NextAsync();

        var headers = stream.Response.Headers;
        Assert.True(headers.CacheControl?.NoCache, "Cache-Control: no-cache");
        Assert.Equal("no", Assert.Single(headers.GetValues("X-Accel-Buffering")));
        Assert.Null(stream.Response.Content.Headers.ContentEncoding.FirstOrDefault());
        Assert.StartsWith("retry: 2000\n\n", stream.RawText, StringComparison.Ordinal);

        await run.CompleteAsync();
        await stream.ReadToEndAsync();
    }

    [Fact]
    public async Task SendStreamingMessage_ConfiguredSseRetry_IsSentOnceAtTheStart()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent, o => o.SseRetry = TimeSpan.FromMilliseconds(1234));

        await using var stream = await server.StreamAsync("SendStreamingMessage", HeraldTestServer.SendParams());
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();
        await run.CompleteAsync();
        await stream.ReadToEndAsync();

        Assert.StartsWith("retry: 1234\n\n", stream.RawText, StringComparison.Ordinal);
        Assert.Single(RawSse.Blocks(stream.RawText), b => b.Any(l => l.Field == "retry"));
    }

    [Fact]
    public async Task SendStreamingMessage_AgentReports_EachEventCarriesItsSequenceAsId()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent);

        await using var stream = await server.StreamAsync("SendStreamingMessage", HeraldTestServer.SendParams("go"));
        var run = await agent.NextRunAsync();
        await run.WorkingAsync("thinking");
        await run.ArtifactAsync("a");
        await run.ArtifactAsync("b", append: true, lastChunk: true);
        await run.CompleteAsync();
        var events = await stream.ReadToEndAsync();

        Assert.Equal(["1", "2", "3", "4", "5"], events.Select(e => e.Id));
        Assert.Equal(["task", "statusUpdate", "artifactUpdate", "artifactUpdate", "statusUpdate"], events.Select(e => e.Kind));

        // The first event is the task as created, and its id is the sequence that snapshot reflects.
        var task = events[0].Result.GetProperty("task");
        Assert.Equal(run.TaskId, task.GetProperty("id").GetString());
        Assert.Equal("TASK_STATE_SUBMITTED", task.GetProperty("status").GetProperty("state").GetString());
        Assert.Equal("TASK_STATE_COMPLETED", events[^1].State);

        // The ids are the log's sequences, not a per-stream counter.
        var log = await server.Store.ReadAsync(run.TaskId, 0, 100);
        Assert.Equal(log.Where(e => e.IsStreamed).Select(e => e.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)), events.Skip(1).Select(e => e.Id));
        Assert.Equal("b", events[3].Result.GetProperty("artifactUpdate").GetProperty("artifact").GetProperty("parts")[0].GetProperty("text").GetString());
        Assert.True(events[3].Result.GetProperty("artifactUpdate").GetProperty("append").GetBoolean());
    }

    [Fact]
    public async Task SendStreamingMessage_Default_FramesEachEventAsOneDataLineThenIdLine()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent);

        await using var stream = await server.StreamAsync("SendStreamingMessage", HeraldTestServer.SendParams());
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();
        await run.ArtifactAsync("line one\nline two");
        await run.CompleteAsync();
        var events = await stream.ReadToEndAsync();

        // Byte for byte: retry, then per event exactly "data: <json>\nid: n\n\n" - data first, so that parsers that only read
        // messages starting with "data: " (as the A2A tutorial taught) see every event; no event: lines by default.
        var expected = "retry: 2000\n\n" + string.Concat(events.Select(e => $"data: {e.Data}\nid: {e.Id}\n\n"));
        Assert.Equal(expected, stream.RawText);
        Assert.DoesNotContain("event:", stream.RawText, StringComparison.Ordinal);
        Assert.All(events, e => Assert.Equal("message", e.EventType));
        Assert.Equal(4, events.Count);
    }

    [Fact]
    public async Task SendStreamingMessage_NamedSseEventsOn_AddsEventLines()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent, o => o.NamedSseEvents = true);

        await using var stream = await server.StreamAsync("SendStreamingMessage", HeraldTestServer.SendParams());
        var run = await agent.NextRunAsync();
        await run.ArtifactAsync("x");
        await run.CompleteAsync();
        var events = await stream.ReadToEndAsync();

        Assert.Equal(["task", "artifact-update", "status-update"], events.Select(e => e.EventType));
        var blocks = RawSse.Blocks(stream.RawText).Skip(1).ToList();
        Assert.All(blocks, b => Assert.Equal(["data", "id", "event"], b.Select(l => l.Field)));
    }

    [Theory]
    [InlineData("7")]
    [InlineData("-3")]
    [InlineData("\"req-1\"")]
    [InlineData("\"\"")]
    public async Task SendStreamingMessage_RequestId_IsEchoedInEveryEnvelope(string idJson)
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent);
        var id = JsonNode.Parse(idJson)!;

        await using var stream = await server.StreamAsync("SendStreamingMessage", HeraldTestServer.SendParams(), id);
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();
        await run.CompleteAsync();
        var events = await stream.ReadToEndAsync();

        Assert.Equal(3, events.Count);
        Assert.All(events, e =>
        {
            Assert.Equal("2.0", e.Json.GetProperty("jsonrpc").GetString());
            Assert.Equal(idJson, e.Json.GetProperty("id").GetRawText());
            Assert.False(e.Json.TryGetProperty("error", out _));
            Assert.Equal(["jsonrpc", "id", "result"], e.Json.EnumerateObject().Select(p => p.Name));
        });
    }

    [Theory]
    [InlineData(TaskState.Completed)]
    [InlineData(TaskState.Failed)]
    [InlineData(TaskState.Canceled)]
    [InlineData(TaskState.Rejected)]
    [InlineData(TaskState.InputRequired)]
    [InlineData(TaskState.AuthRequired)]
    public async Task SendStreamingMessage_StateThatEndsStreams_StreamClosesWhileAgentStillRuns(TaskState state)
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent);

        await using var stream = await server.StreamAsync("SendStreamingMessage", HeraldTestServer.SendParams());
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();
        await run.StatusAsync(state, "the end of this stream");
        var events = await stream.ReadToEndAsync();

        // The event closed the stream, not the agent returning: the agent has not returned yet.
        Assert.False(run.Returned.IsCompleted);
        Assert.Equal(state.ToWireName(), events[^1].State);
        Assert.Equal(["task", "statusUpdate", "statusUpdate"], events.Select(e => e.Kind));
        await run.FinishAsync();
    }

    [Fact]
    public async Task SendStreamingMessage_WorkingStatus_DoesNotCloseStream()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent);

        await using var stream = await server.StreamAsync("SendStreamingMessage", HeraldTestServer.SendParams());
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();
        await run.StatusAsync(TaskState.Working, "still going");
        await run.ArtifactAsync("late");
        await run.CompleteAsync();
        var events = await stream.ReadToEndAsync();

        Assert.Equal(["task", "statusUpdate", "statusUpdate", "artifactUpdate", "statusUpdate"], events.Select(e => e.Kind));
    }

    [Fact]
    public async Task SendStreamingMessage_AgentReturnsWithoutEnding_StreamEndsCompleted()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent);

        await using var stream = await server.StreamAsync("SendStreamingMessage", HeraldTestServer.SendParams());
        var run = await agent.NextRunAsync();
        await run.ArtifactAsync("result");
        run.Finish();
        var events = await stream.ReadToEndAsync();

        Assert.Equal("TASK_STATE_COMPLETED", events[^1].State);
    }

    [Fact]
    public async Task SendStreamingMessage_AgentThrows_StreamEndsFailedWithoutExceptionDetails()
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent(async (context, ct) =>
        {
            await context.StartWorkAsync(cancellationToken: ct);
            throw new InvalidOperationException("SECRET-connection-string=Server=db;Password=hunter2");
        }));

        await using var stream = await server.StreamAsync("SendStreamingMessage", HeraldTestServer.SendParams());
        var events = await stream.ReadToEndAsync();

        Assert.Equal("TASK_STATE_FAILED", events[^1].State);
        Assert.DoesNotContain("SECRET", stream.RawText, StringComparison.Ordinal);
        HeraldTestServer.AssertNoInternals(stream.RawText);
        Assert.Contains(server.Logs.Entries, e => e.Exception?.Message.Contains("SECRET", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task SendStreamingMessage_ManyEventsFromFastAgent_EveryEventArrivesOnceInOrder()
    {
        const int count = 1000;
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent);

        await using var stream = await server.StreamAsync("SendStreamingMessage", HeraldTestServer.SendParams());
        var run = await agent.NextRunAsync();
        await run.Do(async (c, ct) =>
        {
            for (var i = 0; i < count; i++)
            {
                await c.AppendTextAsync("out", i.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken: ct);
            }

            await c.CompleteAsync(cancellationToken: ct);
        });
        var events = await stream.ReadToEndAsync();

        Assert.Equal(Enumerable.Range(1, count + 2).Select(i => (long)i), events.Select(e => e.Sequence));
        var texts = events.Skip(1).Take(count).Select(e => e.Result.GetProperty("artifactUpdate").GetProperty("artifact").GetProperty("parts")[0].GetProperty("text").GetString());
        Assert.Equal(Enumerable.Range(0, count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), texts);
    }
}
