using Herald.Server.Agents;

namespace Herald.Testing.EndToEnd;

/// <summary>What an SSE response looks like on the wire (JSON-RPC and REST): headers, retry, field order, named events.</summary>
public abstract class SseFramingTests : BindingTests
{
    private static async Task<SseWireStream> OpenAsync(HeraldTestServer server, string text = "hello") => Assert.IsType<SseWireStream>(await server.Wire.StreamAsync(text));

    [Fact]
    public async Task SendStreamingMessage_NewTask_SendsSseHeadersAndRetryFirst()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);

        await using var stream = await OpenAsync(server);
        var run = await agent.NextRunAsync();
        await stream.NextAsync();

        var headers = stream.Sse.Response.Headers;
        Assert.True(headers.CacheControl?.NoCache, "Cache-Control: no-cache");
        Assert.Equal("no", Assert.Single(headers.GetValues("X-Accel-Buffering")));
        Assert.Null(stream.Sse.Response.Content.Headers.ContentEncoding.FirstOrDefault());
        Assert.StartsWith("retry: 2000\n\n", stream.Sse.RawText, StringComparison.Ordinal);

        await run.CompleteAsync();
        await stream.ReadToEndAsync();
    }

    [Fact]
    public async Task SendStreamingMessage_ConfiguredSseRetry_IsSentOnceAtTheStart()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent, o => o.SseRetry = TimeSpan.FromMilliseconds(1234));

        await using var stream = await OpenAsync(server);
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();
        await run.CompleteAsync();
        await stream.ReadToEndAsync();

        Assert.StartsWith("retry: 1234\n\n", stream.Sse.RawText, StringComparison.Ordinal);
        Assert.Single(RawSse.Blocks(stream.Sse.RawText), b => b.Any(l => l.Field == "retry"));
    }

    [Fact]
    public async Task SendStreamingMessage_Default_FramesEachEventAsOneDataLineThenIdLine()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent);

        await using var stream = await OpenAsync(server);
        var run = await agent.NextRunAsync();
        await run.WorkingAsync();
        await run.ArtifactAsync("line one\nline two");
        await run.CompleteAsync();
        var events = await stream.ReadToEndAsync();

        // Byte for byte: retry, then per event exactly "data: <json>\nid: n\n\n" - data first, so that parsers that only read
        // messages starting with "data: " (as the A2A tutorial taught) see every event; no event: lines by default.
        var expected = "retry: 2000\n\n" + string.Concat(events.Select(e => $"data: {e.Data}\nid: {e.Id}\n\n"));
        Assert.Equal(expected, stream.Sse.RawText);
        Assert.DoesNotContain("event:", stream.Sse.RawText, StringComparison.Ordinal);
        Assert.Equal(4, events.Count);
        Assert.Equal("line one\nline two", events[2].Text);
    }

    [Fact]
    public async Task SendStreamingMessage_NamedSseEventsOn_AddsEventLines()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent, o => o.NamedSseEvents = true);

        await using var stream = await OpenAsync(server);
        var run = await agent.NextRunAsync();
        await run.ArtifactAsync("x");
        await run.CompleteAsync();
        await stream.ReadToEndAsync();

        var blocks = RawSse.Blocks(stream.Sse.RawText).Skip(1).ToList();
        Assert.Equal(["task", "artifact-update", "status-update"], blocks.Select(b => b.Single(l => l.Field == "event").Value));
        Assert.All(blocks, b => Assert.Equal(["data", "id", "event"], b.Select(l => l.Field)));
    }

    [Fact]
    public async Task SendStreamingMessage_AgentRepliesDirectly_OneDataLineWithoutId()
    {
        await using var server = await StartAsync(h => h.AddAgent((c, ct) => c.ReplyAsync("ok", ct).AsTask(), AgentResponseMode.MessageOrTask));

        await using var stream = await OpenAsync(server);
        var only = Assert.Single(await stream.ReadToEndAsync());

        Assert.Equal("retry: 2000\n\ndata: " + only.Data + "\n\n", stream.Sse.RawText); // no id: a message is not a task event
    }

    [Fact]
    public async Task SendStreamingMessage_DirectReplyWithNamedEvents_EventIsMessage()
    {
        await using var server = await StartAsync(h => h.AddAgent((c, ct) => c.ReplyAsync("ok", ct).AsTask(), AgentResponseMode.MessageOrTask), o => o.NamedSseEvents = true);

        await using var stream = await OpenAsync(server);
        Assert.Single(await stream.ReadToEndAsync());

        Assert.Contains("\n\ndata: ", stream.Sse.RawText, StringComparison.Ordinal);
        Assert.EndsWith("\nevent: message\n\n", stream.Sse.RawText, StringComparison.Ordinal);
    }
}
