using Herald.Testing;
using System.Text.Json;
using Herald.Client.Tests.Infrastructure;
using Herald.Protocol;
using Microsoft.AspNetCore.Http;

namespace Herald.Client.Tests;

/// <summary>Dropped streams: the caller's <c>await foreach</c> sees every event once, in order (a subclass per binding).</summary>
public abstract class ResumptionTests(HeraldServer server) : IClassFixture<HeraldServer>, IDisposable
{
    /// <summary>The binding the client is pinned to, as the card names it.</summary>
    protected abstract string Binding { get; }

    private readonly HttpClient _http = new() { Timeout = Bounded.Timeout };
    private readonly RecordingTimeProvider _time = new();

    public void Dispose()
    {
        _http.Dispose();
        GC.SuppressFinalize(this);
    }

    private static SendMessageRequest Text(string text) => new() { Message = Message.UserText(text) };

    /// <summary>
    /// Herald's interface through the proxy. Given explicitly: the server's card names the address it listens on, not the
    /// proxy's (it does not take URLs from the Host header), so a client that read the card would go around the proxy.
    /// </summary>
    private AgentInterface Through(CuttingProxy proxy) =>
        new() { Url = proxy.Through(server.AgentUrl).ToString(), ProtocolBinding = Binding, ProtocolVersion = "1.0" };

    [Fact]
    public async Task SendStreamingMessageEventsAsync_ProxyCutsConnectionFourTimes_EveryEventOnceInOrder()
    {
        await using var proxy = new CuttingProxy(server.Port);
        var resumes = new List<ResumeInfo>();
        var client = A2AClient.Create(_http, Through(proxy), new A2AClientOptions
        {
            ProtocolBinding = Binding,
            TimeProvider = _time,
            OnResumed = resumes.Add,
        });
        var gate = Gates.NewKey();
        const int Batches = 4;
        const int Size = 5;
        var events = new List<StreamEvent>();
        var chunks = 0;
        var cuts = 0;
        using var cts = Bounded.Token();

        await foreach (var e in client.SendStreamingMessageEventsAsync(Text($"work batches:{Batches}:{Size}:{gate}"), cts.Token))
        {
            events.Add(e);
            if (e.Response.ArtifactUpdate is not null && ++chunks % Size == 3)
            {
                // Mid-batch: the agent is blocked until the cut is done, so the stream cannot have ended.
                Assert.True(proxy.CutAll() > 0);
                Gates.Open($"{gate}-{cuts++}");
            }
        }

        // Task snapshot (1), working (2), 20 chunks (3..22), completed (23): all there, once, in order.
        Assert.Equal(Enumerable.Range(1, 23).Select(i => (long?)i), events.Select(e => e.Id));
        Assert.Equal(Enumerable.Range(0, Batches * Size).Select(i => $"c{i} "),
            events.Where(e => e.Response.ArtifactUpdate is not null).Select(e => e.Response.ArtifactUpdate!.Artifact.Parts[0].Text));
        Assert.Equal(TaskState.Completed, events[^1].Response.StatusUpdate!.Status.State);

        Assert.Equal(Batches, resumes.Count);
        Assert.All(resumes, r => Assert.True(r.WithLastEventId));
        Assert.Equal(Enumerable.Range(1, Batches), resumes.Select(r => r.ResumeCount));
        Assert.Equal(Batches, events.Count(e => e.Resumed is not null));
        foreach (var e in events.Where(e => e.Resumed is not null))
        {
            Assert.Equal(e.Id - 1, long.Parse(e.Resumed!.LastEventId!, System.Globalization.CultureInfo.InvariantCulture));
        }

        // Herald asks for retry: 2000 ms; a first attempt waits that long plus at most 50% jitter.
        Assert.All(_time.Delays.Take(1), d => Assert.InRange(d.TotalMilliseconds, 2000, 3000));
        Assert.All(_time.Delays, d => Assert.True(d.TotalMilliseconds >= 2000, $"delay {d} is shorter than the server's retry"));

        var fold = new TaskFold();
        events.ForEach(fold.Apply);
        var fetched = await client.GetTaskAsync(fold.Task!.Id).Within();
        Assert.Equal(JsonSerializer.Serialize(fetched, A2AJsonContext.Default.AgentTask), JsonSerializer.Serialize(fold.Task, A2AJsonContext.Default.AgentTask));
    }

    [Fact]
    public async Task SendStreamingMessageEventsAsync_CutWithAutoResumeOff_ThrowsStreamEndedAndManualSubscribeContinues()
    {
        await using var proxy = new CuttingProxy(server.Port);
        var client = A2AClient.Create(_http, Through(proxy), new A2AClientOptions { ProtocolBinding = Binding, AutoResume = false, TimeProvider = _time });
        var gate = Gates.NewKey();
        var events = new List<StreamEvent>();
        using var cts = Bounded.Token();

        var error = await Assert.ThrowsAsync<A2AStreamEndedException>(async () =>
        {
            await foreach (var e in client.SendStreamingMessageEventsAsync(Text($"work batches:1:3:{gate}"), cts.Token))
            {
                events.Add(e);
                if (e.Response.ArtifactUpdate is not null)
                {
                    proxy.CutAll();
                    Gates.Open($"{gate}-0");
                }
            }
        }).Within();

        Assert.Equal(events[0].Response.Task!.Id, error.TaskId);
        Assert.Equal(events[^1].Id, error.LastEventId);
        Assert.True(error.InnerException is IOException or HttpRequestException, error.InnerException?.ToString());
        Assert.Empty(_time.Delays);

        var rest = await client.SubscribeToTaskEventsAsync(new SubscribeToTaskRequest { Id = error.TaskId! }, error.LastEventId).CollectWithin();
        Assert.Equal(events.Concat(rest).Select(e => e.Id), Enumerable.Range(1, events.Count + rest.Count).Select(i => (long?)i));
        Assert.Equal(TaskState.Completed, rest[^1].Response.StatusUpdate!.Status.State);
    }

    [Fact]
    public async Task SubscribeToTaskEventsAsync_ProxyCutsConnection_ResumesFromLastEvent()
    {
        await using var proxy = new CuttingProxy(server.Port);
        var client = A2AClient.Create(_http, Through(proxy), new A2AClientOptions { ProtocolBinding = Binding, TimeProvider = _time });
        var gate = Gates.NewKey();
        var task = (await client.SendMessageAsync(new SendMessageRequest
        {
            Message = Message.UserText($"work batches:2:2:{gate}"),
            Configuration = new SendMessageConfiguration { ReturnImmediately = true },
        }).Within()).Task!;
        var events = new List<StreamEvent>();
        using var cts = Bounded.Token();

        await foreach (var e in client.SubscribeToTaskEventsAsync(new SubscribeToTaskRequest { Id = task.Id }, cancellationToken: cts.Token))
        {
            events.Add(e);
            if (events.Count == 1)
            {
                Gates.Open($"{gate}-0"); // the snapshot may already hold the first batch
            }
            else if (e.Response.ArtifactUpdate is not null && events.Count(x => x.Response.ArtifactUpdate is not null) == 1)
            {
                Assert.True(proxy.CutAll() > 0); // the agent waits for gate 1: the stream cannot have ended
                Gates.Open($"{gate}-1");
            }
        }

        Assert.NotNull(events[0].Response.Task);
        var ids = events.Select(e => e.Id!.Value).ToList();
        Assert.Equal(Enumerable.Range((int)ids[0], ids.Count).Select(i => (long)i), ids);
        Assert.Single(events, e => e.Resumed is not null);
        Assert.Equal(TaskState.Completed, events[^1].Response.StatusUpdate!.Status.State);
        var fold = new TaskFold();
        events.ForEach(fold.Apply);
        Assert.Equal("c0 c1 c2 c3 ", fold.GetArtifactText("out"));
    }
}

/// <summary>Resumption against servers that are not Herald: no ids, ignored Last-Event-ID, no subscribe after the end.</summary>
public sealed class ResumptionFallbackTests : IAsyncLifetime, IDisposable
{
    private readonly HttpClient _http = new() { Timeout = Bounded.Timeout };
    private readonly RecordingTimeProvider _time = new();
    private readonly List<ResumeInfo> _resumes = [];
    private FakeAgentServer? _server;
    private Func<HttpContext, RpcCall, Task> _handler = (_, _) => Task.CompletedTask;

    public async Task InitializeAsync() => _server = await FakeAgentServer.StartAsync((c, call) => _handler(c, call));

    public async Task DisposeAsync() => await _server!.DisposeAsync();

    public void Dispose() => _http.Dispose();

    private IA2AClient Client() => A2AClient.Create(_http, _server!.BaseUrl, new A2AClientOptions { TimeProvider = _time, OnResumed = _resumes.Add });

    private static readonly SendMessageRequest Hello = new() { Message = Message.UserText("hello") };

    /// <summary>An item of <see cref="Wire"/> with an A2A 1.1 generation added to its one object.</summary>
    private static string Gen(string item, long generation) => item[..^2] + ",\"generation\":" + generation + "}}";

    [Fact]
    public async Task SendStreamingMessageEventsAsync_GenerationGap_DeliversTheTaskFromGetTaskInstead()
    {
        _handler = async (c, call) =>
        {
            if (call.Method == "GetTask")
            {
                var artifacts = "[{\"artifactId\":\"out\",\"parts\":[{\"text\":\"a\"},{\"text\":\"b\"},{\"text\":\"c\"}]}]";
                await Wire.JsonAsync(c, Wire.Result(call, Gen(Wire.Task("t1", "TASK_STATE_WORKING", artifacts), 5)[8..^1]));
                return;
            }

            // The update with generation 4 (chunk "b") never arrives.
            await Wire.StartStreamAsync(c);
            await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Gen(Wire.Task("t1"), 1))));
            await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Gen(Wire.Status("t1", "TASK_STATE_WORKING"), 2))));
            await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Gen(Wire.Chunk("t1", "a", append: false), 3))));
            await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Gen(Wire.Chunk("t1", "c"), 5))));
            await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Gen(Wire.Status("t1", "TASK_STATE_COMPLETED"), 6))));
        };

        var events = await Client().SendStreamingMessageEventsAsync(Hello).CollectWithin();
        var fold = new TaskFold();
        events.ForEach(fold.Apply);

        Assert.Equal([1L, 2L, 3L, 5L, 6L], events.Select(e => (e.Response.Task?.Generation ?? e.Response.StatusUpdate?.Generation ?? e.Response.ArtifactUpdate?.Generation)!.Value));
        Assert.NotNull(events[3].Response.Task);
        Assert.Equal(new GenerationGap(3, 5), events[3].Gap);
        Assert.All(events.Where(e => e != events[3]), e => Assert.Null(e.Gap));
        Assert.Equal("abc", fold.GetArtifactText("out"));
        Assert.Equal(TaskState.Completed, fold.State);
        Assert.Equal(["SendStreamingMessage", "GetTask"], _server!.Calls.Select(c => c.Method));
    }

    [Fact]
    public async Task SendStreamingMessageEventsAsync_GenerationZeroOrRepeated_IsNotTakenForAGap()
    {
        // A server that does not implement generations (0), or one that repeats a value, is not judged by them (draft 3.2.7).
        _handler = async (c, call) =>
        {
            await Wire.StartStreamAsync(c);
            await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Gen(Wire.Task("t1"), 1))));
            await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Gen(Wire.Status("t1", "TASK_STATE_WORKING"), 2))));
            await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Gen(Wire.Chunk("t1", "a", append: false), 2))));
            await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Gen(Wire.Chunk("t1", "b"), 9))));
            await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Wire.Status("t1", "TASK_STATE_COMPLETED"))));
        };

        var events = await Client().SendStreamingMessageEventsAsync(Hello).CollectWithin();

        Assert.Equal(5, events.Count);
        Assert.All(events, e => Assert.Null(e.Gap));
        Assert.Equal(["SendStreamingMessage"], _server!.Calls.Select(c => c.Method));
    }

    [Fact]
    public async Task SendStreamingMessageEventsAsync_ServerWithoutIdsDrops_ResubscribesForSnapshotAndFlagsIt()
    {
        _handler = async (c, call) =>
        {
            await Wire.StartStreamAsync(c);
            if (call.Method == "SendStreamingMessage")
            {
                await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Wire.Task("t1"))));
                await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Wire.Status("t1", "TASK_STATE_WORKING"))));
                await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Wire.Chunk("t1", "a", append: false))));
                await Task.Delay(Timeout.Infinite, c.RequestAborted); // open until the proxy cuts it
                return;
            }

            // SubscribeToTask: the snapshot (which includes what was missed), then the rest.
            var artifacts = "[{\"artifactId\":\"out\",\"parts\":[{\"text\":\"a\"},{\"text\":\"b\"}]}]";
            await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Wire.Task("t1", "TASK_STATE_WORKING", artifacts))));
            await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Wire.Chunk("t1", "c"))));
            await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Wire.Status("t1", "TASK_STATE_COMPLETED"))));
        };
        await using var proxy = new CuttingProxy(_server!.RpcUrl.Port);
        var client = A2AClient.Create(_http,
            new AgentInterface { Url = proxy.Through(_server.RpcUrl).ToString(), ProtocolBinding = "JSONRPC", ProtocolVersion = "1.0" },
            new A2AClientOptions { TimeProvider = _time, OnResumed = _resumes.Add });
        var events = new List<StreamEvent>();
        using var cts = Bounded.Token();

        await foreach (var e in client.SendStreamingMessageEventsAsync(Hello, cts.Token))
        {
            events.Add(e);
            if (events.Count == 3)
            {
                Assert.True(proxy.CutAll() > 0);
            }
        }

        Assert.Equal(6, events.Count);
        Assert.All(events, e => Assert.Null(e.Id));
        var snapshot = events[3];
        Assert.NotNull(snapshot.Response.Task);
        Assert.False(snapshot.Resumed!.WithLastEventId);
        Assert.Null(snapshot.Resumed.LastEventId);
        Assert.Equal("t1", snapshot.Resumed.TaskId);
        Assert.True(snapshot.Resumed.Cause is IOException or HttpRequestException, snapshot.Resumed.Cause?.ToString());
        var resume = Assert.Single(_resumes);
        Assert.False(resume.WithLastEventId);
        var subscribe = _server.Calls.Last();
        Assert.Equal("SubscribeToTask", subscribe.Method);
        Assert.Null(subscribe.LastEventId);
        Assert.Equal("t1", subscribe.Params.GetProperty("id").GetString());

        var fold = new TaskFold();
        events.ForEach(fold.Apply);
        Assert.Equal("abc", fold.GetArtifactText("out"));
        Assert.Equal(TaskState.Completed, fold.State);
    }

    [Fact]
    public async Task SendStreamingMessageEventsAsync_ServerIgnoresLastEventId_SkipsRepeatedEvents()
    {
        _handler = async (c, call) =>
        {
            await Wire.StartStreamAsync(c, retryMs: 50);
            var all = new[] { Wire.Task("t1"), Wire.Status("t1", "TASK_STATE_WORKING"), Wire.Chunk("t1", "a", false), Wire.Chunk("t1", "b"), Wire.Status("t1", "TASK_STATE_COMPLETED") };
            var count = call.Method == "SendStreamingMessage" ? 3 : all.Length;
            for (var i = 0; i < count; i++)
            {
                await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, all[i]), i + 1)); // always from the start
            }
        };

        var events = await Client().SendStreamingMessageEventsAsync(Hello).CollectWithin();

        Assert.Equal([1, 2, 3, 4, 5], events.Select(e => e.Id!.Value));
        Assert.Equal("3", _server!.Calls.Last().LastEventId);
        Assert.True(events[3].Resumed!.WithLastEventId);
        Assert.InRange(Assert.Single(_time.Delays).TotalMilliseconds, 50, 75);
    }

    [Fact]
    public async Task SendStreamingMessageEventsAsync_TaskFinishedWhileAwayOnServerWithoutIds_EndsWithFinalTaskFromGetTask()
    {
        _handler = async (c, call) =>
        {
            switch (call.Method)
            {
                case "SendStreamingMessage":
                    await Wire.StartStreamAsync(c);
                    await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Wire.Task("t1"))));
                    break; // ends before a terminal state
                case "SubscribeToTask": // like @a2a-js/sdk: no subscription to a terminal task
                    await Wire.JsonAsync(c, Wire.Error(call, A2AErrorCodes.UnsupportedOperation, "Task t1 is in a terminal state"));
                    break;
                case "GetTask":
                    await Wire.JsonAsync(c, Wire.Result(call, Wire.Task("t1", "TASK_STATE_COMPLETED")[8..^1]));
                    break;
            }
        };

        var events = await Client().SendStreamingMessageEventsAsync(Hello).CollectWithin();

        Assert.Equal(2, events.Count);
        Assert.Equal(TaskState.Completed, events[1].Response.Task!.Status.State);
        Assert.False(events[1].Resumed!.WithLastEventId);
        Assert.Equal(["SendStreamingMessage", "SubscribeToTask", "GetTask"], _server!.Calls.Select(c => c.Method));
    }

    [Fact]
    public async Task SendStreamingMessageEventsAsync_ReconnectGetsHttp503ThenStream_RetriesWithBackoff()
    {
        var subscribes = 0;
        _handler = async (c, call) =>
        {
            if (call.Method == "SendStreamingMessage")
            {
                await Wire.StartStreamAsync(c, retryMs: 100);
                await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Wire.Task("t1")), 1));
            }
            else if (Interlocked.Increment(ref subscribes) == 1)
            {
                c.Response.StatusCode = 503;
                await c.Response.WriteAsync("restarting");
            }
            else
            {
                await Wire.StartStreamAsync(c);
                await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Wire.Status("t1", "TASK_STATE_COMPLETED")), 2));
            }
        };

        var events = await Client().SendStreamingMessageEventsAsync(Hello).CollectWithin();

        Assert.Equal([1, 2], events.Select(e => e.Id!.Value));
        Assert.Equal(2, events[1].Resumed!.Attempt);
        var delays = _time.Delays.Select(d => d.TotalMilliseconds).ToArray();
        Assert.InRange(delays[0], 100, 150);
        Assert.InRange(delays[1], 200, 300);
    }

    [Fact]
    public async Task SendStreamingMessageEventsAsync_DropBeforeTaskIsNamed_ThrowsStreamEndedWithoutResuming()
    {
        _handler = async (c, _) =>
        {
            await Wire.StartStreamAsync(c); // and ends, without a single event
        };

        var error = await Assert.ThrowsAsync<A2AStreamEndedException>(() => Client().SendStreamingMessageEventsAsync(Hello).CollectWithin()).Within();

        Assert.Null(error.TaskId);
        Assert.Contains("cannot be resumed", error.Message, StringComparison.Ordinal);
        Assert.Single(_server!.Calls);
    }

    [Fact]
    public async Task SendStreamingMessageEventsAsync_TaskGoneOnReconnect_ThrowsServerErrorWithoutRetrying()
    {
        _handler = async (c, call) =>
        {
            if (call.Method == "SendStreamingMessage")
            {
                await Wire.StartStreamAsync(c);
                await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Wire.Task("t1")), 1));
                return;
            }

            await Wire.JsonAsync(c, Wire.Error(call, A2AErrorCodes.TaskNotFound, "Task 't1' was not found."));
        };

        var error = await Assert.ThrowsAsync<A2AException>(() => Client().SendStreamingMessageEventsAsync(Hello).CollectWithin()).Within();

        Assert.Equal(A2AErrorCodes.TaskNotFound, error.Code);
        Assert.Equal(2, _server!.Calls.Count);
    }

    [Fact]
    public async Task SendStreamingMessageEventsAsync_ResumedStreamCarriesError_FallsBackToGetTaskAndEndsWithItsState()
    {
        // A server without an event log: the stream has ids, but a resubscription with Last-Event-ID to a
        // task that has ended answers with a JSON-RPC error inside the SSE stream (-32004).
        _handler = async (c, call) =>
        {
            switch (call.Method)
            {
                case "SendStreamingMessage":
                    await Wire.StartStreamAsync(c);
                    await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Wire.Task("t1")), 1));
                    await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Wire.Status("t1", "TASK_STATE_WORKING")), 2));
                    break; // drops
                case "SubscribeToTask":
                    await Wire.StartStreamAsync(c);
                    await Wire.WriteAsync(c, Wire.Event(Wire.Error(call, A2AErrorCodes.UnsupportedOperation, "Task t1 is in a terminal state")));
                    break;
                case "GetTask":
                    await Wire.JsonAsync(c, Wire.Result(call, Wire.Task("t1", "TASK_STATE_COMPLETED", "[{\"artifactId\":\"out\",\"parts\":[{\"text\":\"all\"}]}]")[8..^1]));
                    break;
            }
        };

        var events = await Client().SendStreamingMessageEventsAsync(Hello).CollectWithin();

        Assert.Equal(3, events.Count);
        var final = events[2];
        Assert.Equal(TaskState.Completed, final.Response.Task!.Status.State);
        Assert.Equal(A2AErrorCodes.UnsupportedOperation, final.FallbackCause!.Code);
        Assert.True(final.Resumed!.WithLastEventId);
        Assert.Equal(["SendStreamingMessage", "SubscribeToTask", "GetTask"], _server!.Calls.Select(c => c.Method));
        Assert.Equal("2", _server.Calls.ElementAt(1).LastEventId);
        var fold = new TaskFold();
        events.ForEach(fold.Apply);
        Assert.Equal("all", fold.GetArtifactText("out"));
    }

    [Fact]
    public async Task SendStreamingMessageEventsAsync_ResumedStreamCarriesANonStandardError_FallsBackToGetTaskQuotingIt()
    {
        // a2a-dotnet's answer to resuming a finished task: an event that is neither a JSON-RPC response nor a StreamResponse.
        _handler = async (c, call) =>
        {
            switch (call.Method)
            {
                case "SendStreamingMessage":
                    await Wire.StartStreamAsync(c);
                    await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Wire.Task("t1")), 1));
                    break; // drops
                case "SubscribeToTask":
                    await Wire.StartStreamAsync(c);
                    await Wire.WriteAsync(c, Wire.Event("""{"error":"An internal error occurred during streaming."}"""));
                    break;
                case "GetTask":
                    await Wire.JsonAsync(c, Wire.Result(call, Wire.Task("t1", "TASK_STATE_COMPLETED")[8..^1]));
                    break;
            }
        };

        var events = await Client().SendStreamingMessageEventsAsync(Hello).CollectWithin();

        Assert.Equal(2, events.Count);
        Assert.Equal(TaskState.Completed, events[1].Response.Task!.Status.State);
        var cause = Assert.IsType<A2AInvalidResponseException>(events[1].FallbackCause);
        Assert.Contains("An internal error occurred during streaming.", cause.Message, StringComparison.Ordinal);
        Assert.Equal(["SendStreamingMessage", "SubscribeToTask", "GetTask"], _server!.Calls.Select(c => c.Method));
    }

    [Fact]
    public async Task SubscribeToTaskEventsAsync_NonStandardErrorEvent_FallsBackToGetTask()
    {
        _handler = async (c, call) =>
        {
            switch (call.Method)
            {
                case "SubscribeToTask":
                    await Wire.StartStreamAsync(c);
                    await Wire.WriteAsync(c, Wire.Event("""{"error":"An internal error occurred during streaming."}"""));
                    break;
                case "GetTask":
                    await Wire.JsonAsync(c, Wire.Result(call, Wire.Task("t1", "TASK_STATE_COMPLETED")[8..^1]));
                    break;
            }
        };

        var events = await Client().SubscribeToTaskEventsAsync(new SubscribeToTaskRequest { Id = "t1" }).CollectWithin();

        var only = Assert.Single(events);
        Assert.Equal(TaskState.Completed, only.Response.Task!.Status.State);
        Assert.Contains("An internal error occurred during streaming.", Assert.IsType<A2AInvalidResponseException>(only.FallbackCause).Message, StringComparison.Ordinal);
        Assert.Equal(["SubscribeToTask", "GetTask"], _server!.Calls.Select(c => c.Method));
    }

    [Fact]
    public async Task SendStreamingMessageEventsAsync_LastEventIdRefusedWhileTaskRuns_FollowsItFromASnapshot()
    {
        _handler = async (c, call) =>
        {
            switch (call.Method, call.LastEventId)
            {
                case ("SendStreamingMessage", _):
                    await Wire.StartStreamAsync(c);
                    await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Wire.Task("t1")), 1));
                    break; // drops
                case ("SubscribeToTask", "1"):
                    await Wire.JsonAsync(c, Wire.Error(call, A2AErrorCodes.InvalidParams, "Last-Event-ID is not supported"));
                    break;
                case ("SubscribeToTask", null):
                    await Wire.StartStreamAsync(c);
                    await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Wire.Task("t1", "TASK_STATE_WORKING"))));
                    await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Wire.Status("t1", "TASK_STATE_COMPLETED"))));
                    break;
                case ("GetTask", _):
                    await Wire.JsonAsync(c, Wire.Result(call, Wire.Task("t1", "TASK_STATE_WORKING")[8..^1]));
                    break;
            }
        };

        var events = await Client().SendStreamingMessageEventsAsync(Hello).CollectWithin();

        Assert.Equal(3, events.Count);
        Assert.Equal(A2AErrorCodes.InvalidParams, events[1].FallbackCause!.Code);
        Assert.False(events[1].Resumed!.WithLastEventId);
        Assert.Equal(TaskState.Working, events[1].Response.Task!.Status.State);
        Assert.Equal(TaskState.Completed, events[2].Response.StatusUpdate!.Status.State);
        Assert.Equal(["SendStreamingMessage", "SubscribeToTask", "GetTask", "SubscribeToTask"], _server!.Calls.Select(c => c.Method));
        Assert.Null(_server.Calls.Last().LastEventId);
    }

    [Fact]
    public async Task SubscribeToTaskEventsAsync_AfterEventIdOnServerWithoutLog_ReportsTheFinishedTaskFromGetTask()
    {
        _handler = async (c, call) =>
        {
            if (call.Method == "SubscribeToTask")
            {
                await Wire.StartStreamAsync(c);
                await Wire.WriteAsync(c, Wire.Event(Wire.Error(call, A2AErrorCodes.UnsupportedOperation, "cannot resubscribe to a terminal task")));
                return;
            }

            await Wire.JsonAsync(c, Wire.Result(call, Wire.Task("t1", "TASK_STATE_FAILED")[8..^1]));
        };

        var events = await Client().SubscribeToTaskEventsAsync(new SubscribeToTaskRequest { Id = "t1" }, afterEventId: 7).CollectWithin();

        var only = Assert.Single(events);
        Assert.Equal(TaskState.Failed, only.Response.Task!.Status.State);
        Assert.Equal(A2AErrorCodes.UnsupportedOperation, only.FallbackCause!.Code);
        Assert.Equal("7", _server!.Calls.First().LastEventId);
    }

    [Fact]
    public async Task SendStreamingMessageEventsAsync_FirstStreamCarriesError_ThrowsItWithoutFallback()
    {
        _handler = async (c, call) =>
        {
            await Wire.StartStreamAsync(c);
            await Wire.WriteAsync(c, Wire.Event(Wire.Error(call, A2AErrorCodes.UnsupportedOperation, "no")));
        };

        var error = await Assert.ThrowsAsync<A2AStreamErrorException>(() => Client().SendStreamingMessageEventsAsync(Hello).CollectWithin()).Within();

        Assert.Equal(A2AErrorCodes.UnsupportedOperation, error.Code);
        Assert.Single(_server!.Calls);
    }
}
