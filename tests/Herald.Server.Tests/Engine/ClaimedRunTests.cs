using System.Collections.Concurrent;
using System.Threading.Channels;
using Herald.Protocol;
using Herald.Server.Agents;
using Herald.Server.Engine;
using Herald.Server.Storage;
using Herald.Storage.Postgres;

namespace Herald.Server.Tests.Engine;

/// <summary>
/// Runs are claimed, not assigned: a process runs at most <see cref="HeraldOptions.MaxConcurrentRuns"/> agents and leaves
/// the rest waiting in the store (submitted) until a slot frees; a process that runs no agents records every run for the
/// processes that do. Several engines on one store stand in for several processes.
/// </summary>
public abstract class ClaimedRunTests : EngineTests
{
    [StoreFact]
    public async Task MaxConcurrentRuns2_TenMessagesAtOnce_EightWaitSubmittedUntilSlotsFree()
    {
        var gates = new ConcurrentDictionary<string, TaskCompletionSource>();
        var runs = new ConcurrentDictionary<string, int>();
        var started = Channel.CreateUnbounded<string>();
        await using var harness = Harness(async (ctx, ct) =>
        {
            runs.AddOrUpdate(ctx.TaskId, 1, (_, n) => n + 1);
            await ctx.StartWorkAsync(cancellationToken: ct);
            await ctx.FlushAsync(ct);
            started.Writer.TryWrite(ctx.TaskId);
            await Gate(gates, ctx.TaskId).Task.WaitAsync(ct);
        }, o => o.MaxConcurrentRuns = 2);

        var tasks = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => harness.SendForTaskAsync(EngineHarness.Request($"m{i}"), SendMode.Immediate)));
        string[] first = [await NextAsync(started), await NextAsync(started)];

        var states = await StatesAsync(harness, tasks);
        Assert.Equal(8, states.Count(s => s == TaskState.Submitted));
        Assert.Equal(2, states.Count(s => s == TaskState.Working));
        Assert.Equal(2, harness.Engine.RunningCount);
        Assert.False(started.Reader.TryRead(out _));

        // One run ends: one waiting run is claimed, and only one.
        Gate(gates, first[0]).TrySetResult();
        var third = await NextAsync(started);
        Assert.DoesNotContain(third, first);
        states = await StatesAsync(harness, tasks);
        Assert.Equal(7, states.Count(s => s == TaskState.Submitted));
        Assert.Equal(2, states.Count(s => s == TaskState.Working));
        Assert.Equal(1, states.Count(s => s == TaskState.Completed));

        foreach (var task in tasks)
        {
            Gate(gates, task.Id).TrySetResult();
        }

        foreach (var task in tasks)
        {
            var events = await harness.Engine.SubscribeAsync(task.Id).CollectWithin();
            Assert.Equal(TaskState.Completed, events[^1].State);
        }

        Assert.Equal(tasks.Select(t => t.Id).Order(), runs.Keys.Order());
        Assert.All(runs.Values, n => Assert.Equal(1, n));
    }

    [StoreFact]
    public async Task ApiEngineAndTwoWorkers_EveryMessageRunOnceByAWorker()
    {
        var (stores, cleanup) = SharedStore();
        await using var _ = cleanup;
        var ranBy = new ConcurrentDictionary<string, ConcurrentBag<string>>();
        Func<AgentContext, CancellationToken, Task> Agent(string name) => async (ctx, ct) =>
        {
            ranBy.GetOrAdd(ctx.TaskId, _ => []).Add(name);
            await ctx.CompleteAsync(name, ct);
        };

        await using var api = EngineHarness.Create(Agent("api"), o => o.RunAgents = false, store: stores, clock: Clock);
        var queued = await api.SendForTaskAsync(EngineHarness.Request("before any worker"), SendMode.Immediate);
        Assert.Equal(TaskState.Submitted, (await api.Store.GetAsync(queued.Id))!.Task.Status.State);
        Assert.Equal(0, api.Engine.RunningCount);

        await using var worker1 = EngineHarness.Create(Agent("worker-1"), store: stores, clock: Clock);
        await using var worker2 = EngineHarness.Create(Agent("worker-2"), store: stores, clock: Clock);
        var more = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => api.SendForTaskAsync(EngineHarness.Request($"m{i}"), SendMode.Immediate)));

        foreach (var task in more.Prepend(queued))
        {
            var events = await api.Engine.SubscribeAsync(task.Id).CollectWithin();
            Assert.Equal(TaskState.Completed, events[^1].State);
            var by = Assert.Single(ranBy[task.Id]);
            Assert.StartsWith("worker-", by, StringComparison.Ordinal);
        }

        Assert.Equal(9, ranBy.Count);
    }

    [StoreFact]
    public async Task ApiEngine_FollowUpMessage_IsRunByAWorkerAsAContinuation()
    {
        var (stores, cleanup) = SharedStore();
        await using var _ = cleanup;
        var turns = Channel.CreateUnbounded<(bool Continuation, int HistoryBefore, string Text)>();
        Func<AgentContext, CancellationToken, Task> agent = async (ctx, ct) =>
        {
            turns.Writer.TryWrite((ctx.IsContinuation, ctx.ExistingTask?.History?.Count ?? 0, ctx.UserText));
            if (ctx.IsContinuation)
            {
                await ctx.CompleteAsync("thanks", ct);
            }
            else
            {
                await ctx.RequireInputAsync("more?", ct);
            }
        };
        await using var api = EngineHarness.Create(agent, o => o.RunAgents = false, store: stores, clock: Clock);
        await using var worker = EngineHarness.Create(agent, store: stores, clock: Clock);

        var task = await api.SendForTaskAsync(EngineHarness.Request("first"), SendMode.Blocking);
        Assert.Equal(TaskState.InputRequired, task.Status.State);
        var answered = await api.SendForTaskAsync(EngineHarness.Request("second", taskId: task.Id), SendMode.Blocking);

        Assert.Equal(TaskState.Completed, answered.Status.State);
        Assert.Equal((false, 0, "first"), await NextAsync(turns));
        var second = await NextAsync(turns);
        Assert.Equal((true, "second"), (second.Continuation, second.Text));
        Assert.Equal(2, second.HistoryBefore); // the first message and the agent's question, not the message being handled
    }

    [StoreFact]
    public async Task MaxConcurrentRuns_MessageOrTaskAgentWaited_ItsReplyCompletesTheTask()
    {
        var release = Bounded.NewSignal();
        await using var harness = Harness(async (ctx, ct) =>
        {
            if (ctx.UserText == "hold")
            {
                await ctx.StartWorkAsync(cancellationToken: ct);
                await release.Task.WaitAsync(ct);
                await ctx.CompleteAsync(cancellationToken: ct);
                return;
            }

            await ctx.ReplyAsync("echo: " + ctx.UserText, ct);
        }, o => o.MaxConcurrentRuns = 1, AgentResponseMode.MessageOrTask);
        await harness.SendForTaskAsync(EngineHarness.Request("hold"), SendMode.Immediate);

        var waited = await harness.SendForTaskAsync(EngineHarness.Request("hi"), SendMode.Immediate);
        Assert.Equal(TaskState.Submitted, waited.Status.State);
        release.TrySetResult();

        var events = await harness.Engine.SubscribeAsync(waited.Id).CollectWithin();
        var end = events[^1].StatusUpdate!.Status;
        Assert.Equal(TaskState.Completed, end.State);
        Assert.Equal("echo: hi", end.Message!.GetText());
    }

    [StoreFact]
    public async Task RunAgentsFalse_NothingClaimsAndNothingRuns()
    {
        var ran = 0;
        await using var api = Harness((_, _) =>
        {
            Interlocked.Increment(ref ran);
            return Task.CompletedTask;
        }, o => o.RunAgents = false);

        var task = await api.SendForTaskAsync(EngineHarness.Request(), SendMode.Immediate);
        Clock.Advance(api.Engine.Options.MaintenanceInterval); // the sweep finds nothing it may run either

        Assert.Equal(TaskState.Submitted, (await api.Store.GetAsync(task.Id))!.Task.Status.State);
        Assert.Equal(0, Volatile.Read(ref ran));
        Assert.Equal(task.Id, (await api.Store.ClaimRunAsync(new RunnerLease("another-process", TimeSpan.FromSeconds(30))))?.TaskId);
    }

    private static TaskCompletionSource Gate(ConcurrentDictionary<string, TaskCompletionSource> gates, string taskId) =>
        gates.GetOrAdd(taskId, _ => Bounded.NewSignal());

    private static async Task<T> NextAsync<T>(Channel<T> channel) => await channel.Reader.ReadAsync().AsTask().Within();

    private static async Task<TaskState[]> StatesAsync(EngineHarness harness, IEnumerable<AgentTask> tasks)
    {
        var states = new List<TaskState>();
        foreach (var task in tasks)
        {
            states.Add((await harness.Store.GetAsync(task.Id))!.Task.Status.State);
        }

        return [.. states];
    }

    /// <summary>
    /// Stores for several engines on one backing store: one instance shared in process (in memory, SQLite: the same claim
    /// path within one process), or one PostgreSQL schema opened by each engine (separate processes).
    /// </summary>
    private (Func<TaskStore> Open, IAsyncDisposable Cleanup) SharedStore()
    {
        if (Kind == StoreKind.Postgres)
        {
            var connectionString = PostgresServer.Shared.CreateSchema().ConnectionString;
            return (() => PostgresTaskStore.Open(new PostgresStoreOptions { ConnectionString = connectionString, TimeProvider = Clock }), new Nothing());
        }

        var inner = NewStore();
        return (() => new InterceptingTaskStore(inner, Clock), new Disposer(inner));
    }

    private sealed class Nothing : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class Disposer(TaskStore store) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => store is IAsyncDisposable disposable ? disposable.DisposeAsync() : ValueTask.CompletedTask;
    }
}

#pragma warning disable SA1402 // One line per class: the variants are declarations only.

public sealed class ClaimedRunTestsInMemory : ClaimedRunTests
{
    protected override StoreKind Kind => StoreKind.InMemory;
}

public sealed class ClaimedRunTestsSqlite : ClaimedRunTests
{
    protected override StoreKind Kind => StoreKind.Sqlite;
}

public sealed class ClaimedRunTestsPostgres : ClaimedRunTests, INeedPostgres
{
    protected override StoreKind Kind => StoreKind.Postgres;
}
