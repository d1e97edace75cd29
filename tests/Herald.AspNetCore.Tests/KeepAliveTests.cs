using Herald.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.AspNetCore.Tests;

/// <summary>Idle streams get a comment every KeepAliveInterval, driven by the injected TimeProvider.</summary>
public sealed class KeepAliveTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(7);

    [Fact]
    public async Task Stream_IdleForKeepAliveInterval_GetsKeepAliveCommentEachInterval()
    {
        var clock = new TestClock();
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent, o => o.KeepAliveInterval = Interval, s => s.AddSingleton<TimeProvider>(clock));
        await using var stream = await server.StreamAsync("SendStreamingMessage", HeraldTestServer.SendParams());
        var run = await agent.NextRunAsync();
        await stream.NextAsync();

        await clock.WaitForTimerAsync(Interval); // the stream is idle, waiting for an event or the interval
        Assert.DoesNotContain("keep-alive", stream.RawText, StringComparison.Ordinal);
        clock.Advance(Interval);
        await stream.WaitForRawAsync(": keep-alive\n\n");
        await clock.WaitForTimerAsync(Interval, 2);
        clock.Advance(Interval);
        await stream.WaitForRawAsync(": keep-alive\n\n", occurrences: 2);
        await run.CompleteAsync();
        var rest = await stream.ReadToEndAsync();

        // The comments sit between events and the parser sees only real events.
        Assert.Equal("TASK_STATE_COMPLETED", Assert.Single(rest).State);
        var raw = stream.RawText;
        Assert.Matches(@"^retry: 2000\n\ndata: [^\n]+\nid: 1\n\n: keep-alive\n\n: keep-alive\n\ndata: [^\n]+\nid: 2\n\n$", raw);
    }

    [Fact]
    public async Task Stream_EventArrivesBeforeInterval_NoKeepAlive()
    {
        var clock = new TestClock();
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent, o => o.KeepAliveInterval = Interval, s => s.AddSingleton<TimeProvider>(clock));
        await using var stream = await server.StreamAsync("SendStreamingMessage", HeraldTestServer.SendParams());
        var run = await agent.NextRunAsync();
        await stream.NextAsync();
        await clock.WaitForTimerAsync(Interval);

        clock.Advance(Interval - TimeSpan.FromMilliseconds(1));
        await run.WorkingAsync();
        await stream.NextAsync();
        await run.CompleteAsync();
        await stream.ReadToEndAsync();

        Assert.DoesNotContain("keep-alive", stream.RawText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stream_ShortRealKeepAliveInterval_CommentArrivesOnIdleStream()
    {
        var agent = new ControlledAgent();
        await using var server = await HeraldTestServer.StartAsync(agent, o => o.KeepAliveInterval = TimeSpan.FromMilliseconds(50));
        await using var stream = await server.StreamAsync("SendStreamingMessage", HeraldTestServer.SendParams());
        var run = await agent.NextRunAsync();

        await stream.WaitForRawAsync(": keep-alive\n\n");
        await run.CompleteAsync();
        var events = await stream.ReadToEndAsync();

        Assert.Equal(["task", "statusUpdate"], events.Select(e => e.Kind));
    }
}
