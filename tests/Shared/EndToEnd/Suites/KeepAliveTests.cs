using Microsoft.Extensions.DependencyInjection;

namespace Herald.Testing.EndToEnd;

/// <summary>Idle SSE streams get a comment every KeepAliveInterval, driven by the injected TimeProvider (JSON-RPC and REST).</summary>
public abstract class KeepAliveTests : BindingTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(7);

    private static async Task<SseWireStream> OpenAsync(HeraldTestServer server) => Assert.IsType<SseWireStream>(await server.Wire.StreamAsync());

    [Fact]
    public async Task Stream_IdleForKeepAliveInterval_GetsKeepAliveCommentEachInterval()
    {
        var clock = new TestClock();
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent, o => o.KeepAliveInterval = Interval, s => s.AddSingleton<TimeProvider>(clock));
        await using var stream = await OpenAsync(server);
        var run = await agent.NextRunAsync();
        await stream.NextAsync();

        await clock.WaitForTimerAsync(Interval); // the stream is idle, waiting for an event or the interval
        Assert.DoesNotContain("keep-alive", stream.Sse.RawText, StringComparison.Ordinal);
        clock.Advance(Interval);
        await stream.Sse.WaitForRawAsync(": keep-alive\n\n");
        await clock.WaitForTimerAsync(Interval, 2);
        clock.Advance(Interval);
        await stream.Sse.WaitForRawAsync(": keep-alive\n\n", occurrences: 2);
        await run.CompleteAsync();
        var rest = await stream.ReadToEndAsync();

        // The comments sit between events and the parser sees only real events.
        Assert.Equal("TASK_STATE_COMPLETED", Assert.Single(rest).State);
        var raw = stream.Sse.RawText;
        Assert.Matches(@"^retry: 2000\n\ndata: [^\n]+\nid: 1\n\n: keep-alive\n\n: keep-alive\n\ndata: [^\n]+\nid: 2\n\n$", raw);
    }

    [Fact]
    public async Task Stream_EventArrivesBeforeInterval_NoKeepAlive()
    {
        var clock = new TestClock();
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent, o => o.KeepAliveInterval = Interval, s => s.AddSingleton<TimeProvider>(clock));
        await using var stream = await OpenAsync(server);
        var run = await agent.NextRunAsync();
        await stream.NextAsync();
        await clock.WaitForTimerAsync(Interval);

        clock.Advance(Interval - TimeSpan.FromMilliseconds(1));
        await run.WorkingAsync();
        await stream.NextAsync();
        await run.CompleteAsync();
        await stream.ReadToEndAsync();

        Assert.DoesNotContain("keep-alive", stream.Sse.RawText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stream_ShortRealKeepAliveInterval_CommentArrivesOnIdleStream()
    {
        var agent = new ControlledAgent();
        await using var server = await StartAsync(agent, o => o.KeepAliveInterval = TimeSpan.FromMilliseconds(50));
        await using var stream = await OpenAsync(server);
        var run = await agent.NextRunAsync();

        await stream.Sse.WaitForRawAsync(": keep-alive\n\n");
        await run.CompleteAsync();
        var events = await stream.ReadToEndAsync();

        Assert.Equal(["task", "statusUpdate"], events.Select(e => e.Kind));
    }
}
