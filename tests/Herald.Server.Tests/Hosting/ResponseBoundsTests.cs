using Herald.Server.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Server.Tests.Hosting;

/// <summary>The write deadline and the response budget on the server's clock: they act when time says so, not before.</summary>
public sealed class ResponseBoundsTests
{
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task WriteDeadline_PendingWrite_ExpiresOnceAfterTheTimeoutOnTheClock()
    {
        var clock = new FakeTimeProvider();
        var expired = 0;
        using var deadline = new WriteDeadline(Stall, clock, () => Interlocked.Increment(ref expired));
        var write = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var waiting = deadline.WhenWritten(write.Task);
        clock.Advance(Stall - TimeSpan.FromMilliseconds(1));
        var before = Volatile.Read(ref expired);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        clock.Advance(Stall);
        write.SetResult();
        await waiting.Within();

        Assert.Equal(0, before);
        Assert.Equal(1, Volatile.Read(ref expired));
        Assert.True(deadline.Expired);
    }

    [Fact]
    public async Task WriteDeadline_WritesThatProgress_NeverExpireHoweverLongTheResponse()
    {
        var clock = new FakeTimeProvider();
        var expired = 0;
        using var deadline = new WriteDeadline(Stall, clock, () => Interlocked.Increment(ref expired));

        // Each pending write completes within the timeout; time between writes (an idle stream) does not count.
        for (var i = 0; i < 5; i++)
        {
            var write = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            var waiting = deadline.WhenWritten(new ValueTask<int>(write.Task));
            clock.Advance(Stall - TimeSpan.FromSeconds(1));
            write.SetResult(i);
            Assert.Equal(i, await waiting.AsTask().Within());
            clock.Advance(TimeSpan.FromMinutes(5));
        }

        await deadline.WhenWritten(Task.CompletedTask);

        Assert.Equal(0, Volatile.Read(ref expired));
        Assert.False(deadline.Expired);
    }

    [Fact]
    public async Task ResponseBudget_NoRoom_RefusesAfterTheWaitOnTheClock()
    {
        var clock = new FakeTimeProvider();
        using var budget = new ResponseBudget(Options.Create(new HeraldOptions { MaxResponseBytesInFlight = 1000, ResponseBudgetWait = TimeSpan.FromSeconds(2) }), clock);
        Assert.True(await budget.TryReserveAsync(800));

        var refused = budget.TryReserveAsync(800).AsTask();
        clock.Advance(TimeSpan.FromSeconds(1));
        var stillWaiting = !refused.IsCompleted;
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.True(stillWaiting);
        Assert.False(await refused.Within());
        Assert.Equal(800, budget.BytesInFlight);
    }

    [Fact]
    public async Task ResponseBudget_BuildTurns_AtMostTheLimitThenRefusedAfterTheWait()
    {
        var clock = new FakeTimeProvider();
        using var budget = new ResponseBudget(Options.Create(new HeraldOptions { MaxConcurrentTaskSnapshots = 2, ResponseBudgetWait = TimeSpan.FromSeconds(2) }), clock);
        Assert.True(await budget.TryBeginBuildAsync());
        Assert.True(await budget.TryBeginBuildAsync());

        var third = budget.TryBeginBuildAsync().AsTask();
        var fourth = budget.TryBeginBuildAsync().AsTask();
        budget.EndBuild();
        var thirdGot = await third.Within();
        clock.Advance(TimeSpan.FromSeconds(2));

        Assert.True(thirdGot);
        Assert.False(await fourth.Within());
    }
}
