using Herald.Protocol;
using Herald.Server.Engine;
using Herald.Server.Storage;

namespace Herald.Server.Tests.Engine;

/// <summary>One lease renewal per process for all its runs (issue "Many replicas on PostgreSQL"): not one write per run.</summary>
public sealed class LeaseRenewalTests
{
    [Fact]
    public async Task FiveRunningAgents_OneRenewalCallPerTickForAllOfThem_AndEachLeaseIsExtended()
    {
        var clock = new TestClock();
        var store = new FaultyTaskStore(TaskStore.CreateInMemory(clock));
        var started = new CountdownEvent(5);
        var release = Bounded.NewSignal();
        await using var harness = EngineHarness.Create(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync(cancellationToken: ct);
            started.Signal();
            await release.Task.WaitAsync(ct);
        }, o => o.RunnerLeaseDuration = TimeSpan.FromSeconds(30), store: () => store, clock: clock);
        var tasks = new List<AgentTask>();
        for (var i = 0; i < 5; i++)
        {
            tasks.Add(await harness.SendForTaskAsync(EngineHarness.Request($"run {i}"), SendMode.Immediate));
        }

        Assert.True(started.Wait(Bounded.Timeout));
        Assert.Empty(store.RenewalBatches);

        // Past two renewal ticks (every 10 s) and past the original 30 s expiry: every lease must still be live.
        clock.Advance(TimeSpan.FromSeconds(10));
        await WaitForBatchesAsync(store, 1);
        clock.Advance(TimeSpan.FromSeconds(10));
        await WaitForBatchesAsync(store, 2);
        clock.Advance(TimeSpan.FromSeconds(15));

        Assert.Equal([5, 5, 5], store.RenewalBatches); // ticks at 10, 20 and 30 s: one call each, for all five runs
        Assert.Empty(await store.FindExpiredLeasesAsync(100));
        release.SetResult();
        Assert.All(tasks, t => Assert.False(string.IsNullOrEmpty(t.Id)));
    }

    private static async Task WaitForBatchesAsync(FaultyTaskStore store, int count)
    {
        using var limit = Bounded.Token();
        while (store.RenewalBatches.Count < count)
        {
            await Task.Delay(5, limit.Token); // the renewal runs on the timer's thread after Advance returns
        }
    }
}
