using System.Collections.Concurrent;
using System.Diagnostics;
using Herald.Protocol;
using Herald.Server.Storage;
using Herald.Storage.Postgres;
using Herald.Storage.Sqlite;

namespace Herald.Server.Tests.Engine;

/// <summary>
/// A trace that follows a task: the request that created or continued it is kept with the task, its run is that
/// request's child, and a stream opened later (by another request, by another process on the same SQLite database after a
/// restart, or by another replica on the same PostgreSQL database) links to it. Spans are caught by an <see cref="ActivityListener"/>; other tests' spans are told
/// apart by task id.
/// </summary>
public sealed class TraceContextTests : IDisposable
{
    private const string RequestsName = "Herald.Tests.Requests";

    private static readonly ActivitySource Requests = new(RequestsName);

    private readonly TempDirectory _directory = new();
    private readonly ConcurrentQueue<Activity> _ended = new();
    private readonly ActivityListener _listener;

    public TraceContextTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is HeraldDiagnostics.Name or RequestsName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _ended.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public async Task SqliteRestart_ResumedStreamLinksToTheRequestThatCreatedTheTask()
    {
        var path = Path.Combine(_directory.Path, "tasks.db");
        string taskId;
        ActivityContext creating;
        await using (var first = EngineHarness.Create(RespondAsync, store: () => OpenSqlite(path)))
        {
            using var request = Requests.StartActivity("create", ActivityKind.Server)!;
            creating = request.Context;
            await using var stream = await first.Engine.SendStreamingMessageAsync(EngineHarness.Request("go")).Within();
            taskId = stream.TaskId!;
            await ReadToEndAsync(stream);
        }

        ActivityContext resuming;
        await using (var second = EngineHarness.Create(RespondAsync, store: () => OpenSqlite(path)))
        {
            using var request = Requests.StartActivity("resume", ActivityKind.Server)!;
            resuming = request.Context;
            await using var stream = await second.Engine.SubscribeToTaskAsync(new SubscribeToTaskRequest { Id = taskId }, 1).Within();
            await ReadToEndAsync(stream);
        }

        var run = Assert.Single(Spans("herald.agent.run", taskId));
        var streams = Spans("herald.stream", taskId);
        var live = Assert.Single(streams, s => s.TraceId == creating.TraceId);
        var resumed = Assert.Single(streams, s => s.TraceId == resuming.TraceId);

        Assert.NotEqual(creating.TraceId, resuming.TraceId);
        Assert.Equal((creating.TraceId, creating.SpanId), (run.TraceId, run.ParentSpanId));
        Assert.Equal(creating.SpanId, live.ParentSpanId);
        Assert.Empty(live.Links); // its parent is the creating request already
        Assert.Equal(resuming.SpanId, resumed.ParentSpanId);
        var link = Assert.Single(resumed.Links);
        Assert.Equal((creating.TraceId, creating.SpanId), (link.Context.TraceId, link.Context.SpanId));
        Assert.Equal(1L, resumed.GetTagItem("herald.stream.resumed_after"));
    }

    [PostgresFact]
    public async Task PostgresReplicas_StreamOnTheOtherReplicaLinksToTheRequestThatCreatedTheTask()
    {
        var connectionString = PostgresServer.Shared.CreateSchema().ConnectionString;
        await using var first = EngineHarness.Create(RespondAsync, store: () => PostgresTaskStore.Open(new PostgresStoreOptions { ConnectionString = connectionString }));
        await using var second = EngineHarness.Create(RespondAsync, store: () => PostgresTaskStore.Open(new PostgresStoreOptions { ConnectionString = connectionString }));
        string taskId;
        ActivityContext creating;
        using (var request = Requests.StartActivity("create", ActivityKind.Server)!)
        {
            creating = request.Context;
            await using var stream = await first.Engine.SendStreamingMessageAsync(EngineHarness.Request("go")).Within();
            taskId = stream.TaskId!;
            await ReadToEndAsync(stream);
        }

        ActivityContext resuming;
        using (var request = Requests.StartActivity("resume", ActivityKind.Server)!)
        {
            resuming = request.Context;
            await using var stream = await second.Engine.SubscribeToTaskAsync(new SubscribeToTaskRequest { Id = taskId }, 1).Within();
            await ReadToEndAsync(stream);
        }

        var resumed = Assert.Single(Spans("herald.stream", taskId), s => s.TraceId == resuming.TraceId);
        var link = Assert.Single(resumed.Links);
        Assert.Equal((creating.TraceId, creating.SpanId), (link.Context.TraceId, link.Context.SpanId));
    }

    [Fact]
    public async Task FollowUp_RunIsTheContinuingRequestsChild_AndLaterStreamsLinkToThatRequest()
    {
        var harness = EngineHarness.Create(async (context, ct) =>
        {
            if (context.ExistingTask is null)
            {
                await context.RequireInputAsync("more?", ct);
            }
            else
            {
                await context.RequireInputAsync("and?", ct);
            }
        });
        string taskId;
        ActivityContext continuing;
        ActivityContext subscribing;
        TaskTraceContext? stored;
        try
        {
            using (Requests.StartActivity("create", ActivityKind.Server))
            {
                taskId = (await harness.SendForTaskAsync(EngineHarness.Request("first"))).Id;
            }

            using (var request = Requests.StartActivity("continue", ActivityKind.Server)!)
            {
                continuing = request.Context;
                await harness.SendForTaskAsync(EngineHarness.Request("second", taskId));
            }

            using (var request = Requests.StartActivity("subscribe", ActivityKind.Server)!)
            {
                subscribing = request.Context;
                await using var stream = await harness.Engine.SubscribeToTaskAsync(new SubscribeToTaskRequest { Id = taskId }, 0).Within();
                await ReadToEndAsync(stream);
            }

            stored = (await harness.Store.GetAsync(taskId))!.TraceContext;
        }
        finally
        {
            await harness.DisposeAsync(); // shutdown waits for the runs: their spans have ended
        }

        Assert.NotNull(stored);
        Assert.True(stored.TryGetActivityContext(out var storedContext));
        Assert.Equal((continuing.TraceId, continuing.SpanId), (storedContext.TraceId, storedContext.SpanId));
        var runs = Spans("herald.agent.run", taskId);
        Assert.Equal(2, runs.Count);
        Assert.Single(runs, r => (r.TraceId, r.ParentSpanId) == (continuing.TraceId, continuing.SpanId));
        var subscribed = Assert.Single(Spans("herald.stream", taskId), s => s.TraceId == subscribing.TraceId);
        var link = Assert.Single(subscribed.Links);
        Assert.Equal((continuing.TraceId, continuing.SpanId), (link.Context.TraceId, link.Context.SpanId));
    }

    private static async Task RespondAsync(Herald.Server.Agents.AgentContext context, CancellationToken cancellationToken)
    {
        await context.AppendTextAsync("out", "hello", lastChunk: true, cancellationToken: cancellationToken);
        await context.CompleteAsync(cancellationToken: cancellationToken);
    }

    private static SqliteStore OpenSqlite(string path) =>
        (SqliteStore)SqliteTaskStore.Open(new SqliteStoreOptions { DatabasePath = path, Durability = SqliteDurability.Normal });

    private static async Task ReadToEndAsync(TaskStream stream)
    {
        using var limit = Bounded.Token();
        var events = new List<TaskEvent>();
        while (await stream.ReadAsync(events, limit.Token) != TaskStreamRead.End)
        {
        }
    }

    private List<Activity> Spans(string name, string taskId) =>
        [.. _ended.Where(a => a.OperationName == name && Equals(a.GetTagItem("a2a.task.id"), taskId))];
}
