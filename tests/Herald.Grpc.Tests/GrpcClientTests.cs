using System.Text.Json;
using Herald.Client;
using Herald.Client.Tests.Infrastructure;
using Herald.Grpc.Tests.Infrastructure;
using Herald.Protocol;
using Herald.Server.Agents;

namespace Herald.Grpc.Tests;

/// <summary>
/// Herald's typed client over the gRPC binding against Herald: interface choice from the card, every
/// operation, streams with event ids, automatic resumption after a cut connection, errors as A2A codes.
/// </summary>
public sealed class GrpcClientTests : IAsyncLifetime, IDisposable
{
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private readonly RecordingTimeProvider _time = new();
    private GrpcTestServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await GrpcTestServer.StartAsync(h => h.AddAgent(new TestAgent(), AgentResponseMode.MessageOrTask));

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _http.Dispose();

    private A2AClientOptions Options(Action<A2AClientOptions>? configure = null)
    {
        var options = new A2AClientOptions { ProtocolBinding = "GRPC", TimeProvider = _time }.AddGrpcBinding();
        configure?.Invoke(options);
        return options;
    }

    private static SendMessageRequest Text(string text, bool returnImmediately = false) => new()
    {
        Message = Message.UserText(text),
        Configuration = returnImmediately ? new SendMessageConfiguration { ReturnImmediately = true } : null,
    };

    [Fact]
    public async Task GetEndpointAsync_PinnedToGrpc_ChoosesTheCardsGrpcInterface()
    {
        var client = A2AClient.Create(_http, _server.BaseAddress, Options());

        var endpoint = await client.GetEndpointAsync().Within();

        Assert.Equal("GRPC", endpoint.Interface.ProtocolBinding);
        Assert.Equal($"127.0.0.1:{_server.GrpcPort}", endpoint.Interface.Url);
    }

    [Fact]
    public async Task GetEndpointAsync_NotPinned_TakesTheCardsFirstInterface()
    {
        var client = A2AClient.Create(_http, _server.BaseAddress, new A2AClientOptions().AddGrpcBinding());

        Assert.Equal("JSONRPC", (await client.GetEndpointAsync().Within()).Interface.ProtocolBinding);
    }

    [Fact]
    public async Task GetEndpointAsync_PinnedToGrpcWithoutTheBinding_RefusedNamingGrpc()
    {
        var client = A2AClient.Create(_http, _server.BaseAddress, new A2AClientOptions { ProtocolBinding = "GRPC" });

        var error = await Assert.ThrowsAsync<A2AVersionNotSupportedException>(() => client.GetEndpointAsync()).Within();

        Assert.Contains("GRPC", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Operations_OverGrpc_SameResultsAsTheServerHolds()
    {
        var client = A2AClient.Create(_http, _server.BaseAddress, Options());

        var done = (await client.SendMessageAsync(Text("work chunks:2")).Within()).Task!;
        var reply = (await client.SendMessageAsync(Text("reply")).Within()).Message!;
        var fetched = await client.GetTaskAsync(new GetTaskRequest { Id = done.Id }).Within();
        var page = await client.ListTasksAsync(new ListTasksRequest { ContextId = done.ContextId, IncludeArtifacts = true }).Within();
        var running = (await client.SendMessageAsync(Text($"wait:{Gates.NewKey()}", returnImmediately: true)).Within()).Task!;
        var canceled = await client.CancelTaskAsync(new CancelTaskRequest { Id = running.Id }).Within();

        Assert.Equal(TaskState.Completed, done.Status.State);
        Assert.Equal("pong", reply.GetText());
        Assert.Equal(Json(done), Json(fetched));
        Assert.Equal("c0 c1 ", string.Concat(fetched.Artifacts![0].Parts.Select(p => p.Text)));
        Assert.Equal([done.Id], page.Tasks.Select(t => t.Id));
        Assert.Equal(TaskState.Canceled, canceled.Status.State);
    }

    [Fact]
    public async Task SendStreamingMessageEventsAsync_OverGrpc_EveryEventWithItsSequence()
    {
        var client = A2AClient.Create(_http, _server.BaseAddress, Options());

        var events = await client.SendStreamingMessageEventsAsync(Text("work chunks:5")).CollectWithin();

        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long?)i), events.Select(e => e.Id));
        Assert.NotNull(events[0].Response.Task);
        Assert.All(events, e => Assert.Null(e.Response.StatusUpdate?.Metadata)); // the id entry is taken out again
        Assert.Equal(TaskState.Completed, events[^1].Response.StatusUpdate!.Status.State);
        var fold = new TaskFold();
        events.ForEach(fold.Apply);
        Assert.Equal("c0 c1 c2 c3 c4 ", fold.GetArtifactText("out"));
    }

    [Fact]
    public async Task SendStreamingMessageEventsAsync_ProxyCutsTheConnectionThreeTimes_EveryEventOnceInOrder()
    {
        await using var proxy = new CuttingProxy(_server.GrpcPort);
        var resumes = new List<ResumeInfo>();
        var client = A2AClient.Create(_http, GrpcInterface($"http://127.0.0.1:{proxy.Port}"), Options(o => o.OnResumed = resumes.Add));
        var gate = Gates.NewKey();
        const int Batches = 3;
        const int Size = 4;
        var events = new List<StreamEvent>();
        var chunks = 0;
        var cuts = 0;
        using var cts = Bounded.Token();

        await foreach (var e in client.SendStreamingMessageEventsAsync(Text($"work batches:{Batches}:{Size}:{gate}"), cts.Token))
        {
            events.Add(e);
            if (e.Response.ArtifactUpdate is not null && ++chunks % Size == 2)
            {
                // Mid-batch: the agent waits for the gate, so the stream cannot have ended.
                Assert.True(proxy.CutAll() > 0);
                Gates.Open($"{gate}-{cuts++}");
            }
        }

        // Task (1), working (2), 12 chunks (3..14), completed (15): all there, once, in order.
        Assert.Equal(Enumerable.Range(1, 15).Select(i => (long?)i), events.Select(e => e.Id));
        Assert.Equal(Enumerable.Range(0, Batches * Size).Select(i => $"c{i} "),
            events.Where(e => e.Response.ArtifactUpdate is not null).Select(e => e.Response.ArtifactUpdate!.Artifact.Parts[0].Text));
        Assert.Equal(Batches, resumes.Count);
        Assert.All(resumes, r => Assert.True(r.WithLastEventId));
        Assert.All(resumes, r => Assert.IsType<IOException>(r.Cause));
        foreach (var e in events.Where(e => e.Resumed is not null))
        {
            Assert.Equal(e.Id - 1, long.Parse(e.Resumed!.LastEventId!, System.Globalization.CultureInfo.InvariantCulture));
        }

        var fold = new TaskFold();
        events.ForEach(fold.Apply);
        var fetched = await client.GetTaskAsync(new GetTaskRequest { Id = fold.Task!.Id }).Within();
        Assert.Equal(Json(fetched), Json(fold.Task));
    }

    [Fact]
    public async Task SendStreamingMessageEventsAsync_CutWithAutoResumeOff_StreamEndedThenManualSubscribeContinues()
    {
        await using var proxy = new CuttingProxy(_server.GrpcPort);
        var client = A2AClient.Create(_http, GrpcInterface($"http://127.0.0.1:{proxy.Port}"), Options(o => o.AutoResume = false));
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
        Assert.IsType<IOException>(error.InnerException);

        var rest = await client.SubscribeToTaskEventsAsync(new SubscribeToTaskRequest { Id = error.TaskId! }, error.LastEventId).CollectWithin();
        Assert.Equal(Enumerable.Range(1, events.Count + rest.Count).Select(i => (long?)i), events.Concat(rest).Select(e => e.Id));
        Assert.Equal(TaskState.Completed, rest[^1].Response.StatusUpdate!.Status.State);
    }

    [Fact]
    public async Task SubscribeToTaskEventsAsync_AfterTheLastEventOfAFinishedTask_EndsWithNothing()
    {
        var client = A2AClient.Create(_http, _server.BaseAddress, Options());
        var events = await client.SendStreamingMessageEventsAsync(Text("work")).CollectWithin();

        var rest = await client.SubscribeToTaskEventsAsync(new SubscribeToTaskRequest { Id = events[0].Response.Task!.Id }, events[^1].Id).CollectWithin();

        Assert.Empty(rest);
    }

    [Fact]
    public async Task SubscribeToTaskEventsAsync_ThreeClients_SameEvents()
    {
        var client = A2AClient.Create(_http, _server.BaseAddress, Options());
        var gate = Gates.NewKey();
        var task = (await client.SendMessageAsync(Text($"work wait:{gate} chunks:20", returnImmediately: true)).Within()).Task!;

        using var cts = Bounded.Token();
        var readers = Enumerable.Range(0, 3)
            .Select(_ => client.SubscribeToTaskEventsAsync(new SubscribeToTaskRequest { Id = task.Id }, cancellationToken: cts.Token).GetAsyncEnumerator(cts.Token))
            .ToList();
        foreach (var reader in readers)
        {
            Assert.True(await reader.MoveNextAsync().AsTask().Within()); // the snapshot: subscribed before the agent goes on
            Assert.NotNull(reader.Current.Response.Task);
        }

        Gates.Open(gate);
        var results = new List<List<StreamEvent>>();
        foreach (var reader in readers)
        {
            var events = new List<StreamEvent>();
            while (await reader.MoveNextAsync().AsTask().Within())
            {
                events.Add(reader.Current);
            }

            results.Add(events);
            await reader.DisposeAsync();
        }

        Assert.All(results, r => Assert.Equal(results[0].Select(e => (e.Id, Json(e.Response))), r.Select(e => (e.Id, Json(e.Response)))));
        Assert.Equal(21, results[0].Count); // 20 chunks and the completion, each once
        Assert.Equal(TaskState.Completed, results[0][^1].Response.StatusUpdate!.Status.State);
    }

    [Fact]
    public async Task Errors_OverGrpc_SurfaceWithTheirA2ACodes()
    {
        var client = A2AClient.Create(_http, _server.BaseAddress, Options());
        var done = (await client.SendMessageAsync(Text("work")).Within()).Task!;

        var notFound = await Assert.ThrowsAsync<A2AException>(() => client.GetTaskAsync(new GetTaskRequest { Id = "no-such-task" })).Within();
        var notCancelable = await Assert.ThrowsAsync<A2AException>(() => client.CancelTaskAsync(new CancelTaskRequest { Id = done.Id })).Within();
        var invalid = await Assert.ThrowsAsync<A2AException>(() => client.ListTasksAsync(new ListTasksRequest { PageSize = 5000 })).Within();
        var push = await Assert.ThrowsAsync<A2AException>(() => client.GetTaskPushNotificationConfigAsync(new TaskPushNotificationConfigRequest { TaskId = done.Id, Id = "c" })).Within();
        var card = await Assert.ThrowsAsync<A2AException>(() => client.GetExtendedAgentCardAsync()).Within();
        var subscribe = await Assert.ThrowsAsync<A2AException>(() => client.SubscribeToTaskAsync(new SubscribeToTaskRequest { Id = "no-such-task" }).CollectWithin()).Within();

        Assert.Equal(A2AErrorCodes.TaskNotFound, notFound.Code);
        Assert.Equal("no-such-task", notFound.Details!["taskId"]);
        Assert.Equal(A2AErrorCodes.TaskNotCancelable, notCancelable.Code);
        Assert.Equal(A2AErrorCodes.InvalidParams, invalid.Code);
        Assert.Equal("pageSize", invalid.Field);
        Assert.Equal(A2AErrorCodes.PushNotificationNotSupported, push.Code);
        Assert.Equal(A2AErrorCodes.UnsupportedOperation, card.Code);
        Assert.Equal(A2AErrorCodes.TaskNotFound, subscribe.Code);
    }

    [Fact]
    public async Task SendMessageAsync_ServerGone_UnavailableSurfacesAsAnIOFailure()
    {
        var client = A2AClient.Create(_http, GrpcInterface($"http://127.0.0.1:{_server.GrpcPort}"), Options());
        await _server.StopAsync();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => client.SendMessageAsync(Text("work"))).Within();

        Assert.IsType<IOException>(error);
    }

    [Theory]
    [InlineData("127.0.0.1:{0}")]
    [InlineData("localhost:{0}")]
    [InlineData("dns:127.0.0.1:{0}")]
    [InlineData("dns:///localhost:{0}")]
    [InlineData("dns://8.8.8.8/127.0.0.1:{0}")]
    [InlineData("http://127.0.0.1:{0}")]
    [InlineData("http://127.0.0.1:{0}/")]
    public async Task SendMessageAsync_EachFormOfTheGrpcUrl_ReachesTheServerWithoutTls(string form)
    {
        var client = A2AClient.Create(_http, GrpcInterface(string.Format(System.Globalization.CultureInfo.InvariantCulture, form, _server.GrpcPort)), Options());

        var response = await client.SendMessageAsync(Text("work")).Within();

        Assert.NotNull(response.Task ?? (object?)response.Message);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("dns:///127.0.0.1")]
    [InlineData("::1:5078")]
    [InlineData("ftp://127.0.0.1:5078")]
    [InlineData("127.0.0.1:5078/path")]
    [InlineData("user@127.0.0.1:5078")]
    public void Create_GrpcUrlNotAnAddress_RefusedNamingTheForms(string url)
    {
        var error = Assert.Throws<ArgumentException>(() => A2AClient.Create(_http, GrpcInterface(url), Options()));

        Assert.Contains("host:port", error.Message, StringComparison.Ordinal);
    }

    private static AgentInterface GrpcInterface(string url) => new() { Url = url, ProtocolBinding = "GRPC", ProtocolVersion = "1.0" };

    private static string Json(AgentTask task) => JsonSerializer.Serialize(task, A2AJsonContext.Default.AgentTask);

    private static string Json(StreamResponse response) => JsonSerializer.Serialize(response, A2AJsonContext.Default.StreamResponse);
}
