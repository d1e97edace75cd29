using Herald.Protocol;
using Herald.Server.Engine;
using Herald.Storage.Sqlite;

namespace Herald.Server.Tests.Engine;

/// <summary>
/// Two engines on one SQLite database, standing in for two server processes: what one appends, the
/// other sees, and a cancel accepted by one stops the agent that the other runs. Nothing is shared
/// between them but the store.
/// </summary>
public sealed class TwoEnginesTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task CancelTaskOnOneEngine_StopsTheAgentRunningOnTheOther()
    {
        var path = Path.Combine(_directory.Path, "shared.db");
        var tokenFired = Bounded.NewSignal();
        await using var runner = EngineHarness.Create(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync(cancellationToken: ct);
            await using (ct.Register(() => tokenFired.TrySetResult()))
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            }
        }, store: () => Open(path));
        await using var other = EngineHarness.Create((_, _) => Task.CompletedTask, store: () => Open(path));
        var task = await runner.SendForTaskAsync(EngineHarness.Request(), SendMode.Immediate);
        var watching = other.Engine.SubscribeAsync(task.Id, 1).CollectWithin();

        var canceled = await other.Engine.CancelTaskAsync(new CancelTaskRequest { Id = task.Id }, CancellationToken.None);

        Assert.Equal(TaskState.Canceled, canceled.Status.State);
        await tokenFired.Task.Within();
        var events = await watching;
        Assert.Equal(TaskState.Canceled, events[^1].StatusUpdate!.Status.State);
    }

    [Fact]
    public async Task FollowUpOnOneEngine_WhileTheOtherRunsTheTask_IsRefused()
    {
        var path = Path.Combine(_directory.Path, "shared.db");
        var agentMayFinish = Bounded.NewSignal();
        await using var runner = EngineHarness.Create(async (ctx, ct) =>
        {
            await ctx.StartWorkAsync(cancellationToken: ct);
            await agentMayFinish.Task.WaitAsync(ct);
        }, store: () => Open(path));
        await using var other = EngineHarness.Create((ctx, ct) => ctx.CompleteAsync(cancellationToken: ct).AsTask(), store: () => Open(path));
        var task = await runner.SendForTaskAsync(EngineHarness.Request(), SendMode.Immediate);

        var error = await Assert.ThrowsAsync<A2AException>(() => other.SendAsync(EngineHarness.Request("me too", taskId: task.Id)));

        Assert.Equal(A2AErrorCodes.UnsupportedOperation, error.Code);
        Assert.Contains("still being worked on", error.Message, StringComparison.Ordinal);
        agentMayFinish.TrySetResult();
    }

    private static Herald.Server.Storage.TaskStore Open(string path) =>
        SqliteTaskStore.Open(new SqliteStoreOptions { DatabasePath = path, Durability = SqliteDurability.Normal });
}
