using Herald.Client;
using Herald.Protocol;

namespace Herald.Interop.Tests;

/// <summary>
/// The @a2a-js/sdk 1.3.0 gRPC client (@a2a-js/sdk/client/grpc on @grpc/grpc-js) drives `herald serve`'s gRPC
/// service through the card, exactly as the SDK does (ClientFactory.createFromUrl with its GrpcTransportFactory,
/// which dials the card's URL as a gRPC target): the same seven scenarios as over JSON-RPC. The SDK reports the gRPC status code,
/// and names the error from the ErrorInfo reason in the status details.
/// </summary>
[Collection(JsSdkCollection.Name)]
public sealed class JsSdkGrpcClientInteropTests(JsSdkFixture fixture) : JsSdkClientInteropTests(fixture)
{
    protected override string Transport => "GRPC";

    /// <summary>NOT_FOUND (5) for an unknown task, FAILED_PRECONDITION (9) for one that cannot be canceled (spec 5.4).</summary>
    protected override int ReportedCode(int a2aCode) => a2aCode == A2AErrorCodes.TaskNotFound ? 5 : 9;
}

/// <summary>
/// The official @a2a-js/sdk 1.3.0 gRPC server (tests/interop/js/server-grpc.mjs, @a2a-js/sdk/server/grpc) on a
/// free loopback port; its card, served over HTTP, lists one interface: GRPC at a bare <c>127.0.0.1:PORT</c>.
/// </summary>
public sealed class JsSdkGrpcServerFixture() : NodeServerFixture("server-grpc.mjs", "js-sdk-grpc");

[CollectionDefinition(Name)]
public sealed class JsSdkGrpcServerCollection : ICollectionFixture<JsSdkGrpcServerFixture>
{
    public const string Name = "js-sdk-grpc-server";
}

/// <summary>
/// Herald's gRPC client against the SDK's gRPC server: a real peer. It sends no event ids (it does not know
/// Herald's resumable-streams extension), so a dropped stream resumes from a Task snapshot.
/// </summary>
[Collection(JsSdkGrpcServerCollection.Name)]
public sealed class JsSdkGrpcServerInteropTests(JsSdkGrpcServerFixture server) : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private readonly CancellationTokenSource _timeout = new(Bound);

    public void Dispose()
    {
        _timeout.Dispose();
        _http.Dispose();
    }

    private CancellationToken Token => _timeout.Token;

    private Task<IA2AClient> ConnectAsync(Action<A2AClientOptions>? configure = null)
    {
        var options = new A2AClientOptions().AddGrpcBinding();
        configure?.Invoke(options);
        return A2AClient.ConnectAsync(_http, server.BaseAddress, options, Token);
    }

    private static SendMessageRequest Send(string text, bool returnImmediately = false) => new()
    {
        Message = Message.UserText(text),
        Configuration = returnImmediately ? new SendMessageConfiguration { ReturnImmediately = true } : null,
    };

    private static int GrpcPort(string hostPort) => int.Parse(hostPort[(hostPort.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    private static string Chunks(int count) => string.Concat(Enumerable.Range(1, count).Select(i => $"chunk {i} of {count}\n"));

    [Fact]
    public async Task ConnectAsync_CardWithOnlyGrpc_SelectsItWithTheGrpcBinding()
    {
        var client = await ConnectAsync();

        var endpoint = await client.GetEndpointAsync(Token);

        Assert.Equal("GRPC", endpoint.Interface.ProtocolBinding);
        // The bare host:port the SDK lists, kept as given (not resolved against the card's URL as a relative path).
        Assert.Matches(@"^127\.0\.0\.1:[0-9]+$", endpoint.Interface.Url);
        Assert.NotEqual(server.BaseAddress.Port, GrpcPort(endpoint.Interface.Url));
        Assert.Equal("js-sdk grpc chunks agent", endpoint.Card!.Name);
    }

    [Fact]
    public async Task ConnectAsync_WithoutTheGrpcBinding_RefusedNamingTheCardsInterface()
    {
        var error = await Assert.ThrowsAsync<A2AVersionNotSupportedException>(
            () => A2AClient.ConnectAsync(_http, server.BaseAddress, new A2AClientOptions(), Token));

        Assert.Contains("GRPC", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendMessage_Blocking_CompletedTaskWithTheJoinedArtifact()
    {
        var client = await ConnectAsync();

        var task = (await client.SendMessageAsync(Send("3 delay=0"), Token)).Task!;

        Assert.Equal(TaskState.Completed, task.Status.State);
        Assert.Equal(Chunks(3), string.Concat(task.Artifacts![0].Parts.Select(p => p.Text)));
    }

    [Fact]
    public async Task SendStreamingMessage_TaskChunksCompletedWithoutEventIds()
    {
        var client = await ConnectAsync();

        var events = await client.SendStreamingMessageEventsAsync(Send("4 delay=0"), Token).CollectWithin();

        Assert.NotNull(events[0].Response.Task);
        Assert.All(events, e => Assert.Null(e.Id));
        Assert.Equal(Enumerable.Range(1, 4).Select(i => $"chunk {i} of 4\n"),
            events.Where(e => e.Response.ArtifactUpdate is not null).Select(e => e.Response.ArtifactUpdate!.Artifact.Parts[0].Text));
        Assert.Equal(TaskState.Completed, events[^1].Response.StatusUpdate!.Status.State);
    }

    [Fact]
    public async Task GetListCancel_OverGrpc_TheSdkServersAnswers()
    {
        var client = await ConnectAsync();
        var done = (await client.SendMessageAsync(Send("1 delay=0"), Token)).Task!;
        var running = (await client.SendMessageAsync(Send("100 delay=100", returnImmediately: true), Token)).Task!;

        var fetched = await client.GetTaskAsync(new GetTaskRequest { Id = done.Id }, Token);
        var page = await client.ListTasksAsync(new ListTasksRequest { ContextId = done.ContextId }, Token);
        var canceled = await client.CancelTaskAsync(new CancelTaskRequest { Id = running.Id }, Token);
        var notCancelable = await Assert.ThrowsAsync<A2AException>(() => client.CancelTaskAsync(new CancelTaskRequest { Id = done.Id }, Token));
        var notFound = await Assert.ThrowsAsync<A2AException>(() => client.GetTaskAsync(new GetTaskRequest { Id = "no-such-task" }, Token));

        Assert.Equal(TaskState.Completed, fetched.Status.State);
        Assert.Equal([done.Id], page.Tasks.Select(t => t.Id));
        Assert.Equal(TaskState.Canceled, canceled.Status.State);
        Assert.Equal(A2AErrorCodes.TaskNotCancelable, notCancelable.Code);
        Assert.Equal(A2AErrorCodes.TaskNotFound, notFound.Code);
    }

    [Fact]
    public async Task SubscribeToTask_RunningTask_SnapshotThenTheTailToCompleted()
    {
        var client = await ConnectAsync();
        var task = (await client.SendMessageAsync(Send("10 delay=30", returnImmediately: true), Token)).Task!;

        var events = await client.SubscribeToTaskEventsAsync(new SubscribeToTaskRequest { Id = task.Id }, cancellationToken: Token).CollectWithin();

        Assert.NotNull(events[0].Response.Task);
        var fold = new TaskFold();
        events.ForEach(fold.Apply);
        Assert.Equal(TaskState.Completed, fold.Task!.Status.State);
        Assert.Equal(Chunks(10), fold.GetArtifactText("chunks"));
    }

    [Fact]
    public async Task GetExtendedAgentCard_OverGrpc_TheExtendedCard()
    {
        var client = await ConnectAsync();

        var card = await client.GetExtendedAgentCardAsync(Token);

        Assert.Equal("js-sdk grpc chunks agent (extended)", card.Name);
        Assert.Equal("GRPC", card.SupportedInterfaces[0].ProtocolBinding);
    }

    [Fact]
    public async Task SendStreamingMessage_ConnectionCut_ResumesFromASnapshotAndEndsComplete()
    {
        var card = await (await ConnectAsync()).GetEndpointAsync(Token);
        await using var proxy = new CuttingProxy(GrpcPort(card.Interface.Url));
        var resumes = new List<ResumeInfo>();
        var client = A2AClient.Create(_http, card.Interface with { Url = $"http://127.0.0.1:{proxy.Port}" },
            new A2AClientOptions { OnResumed = resumes.Add, ResumeDelay = TimeSpan.Zero }.AddGrpcBinding());
        var events = new List<StreamEvent>();
        var cut = false;

        await foreach (var e in client.SendStreamingMessageEventsAsync(Send("40 delay=50"), Token))
        {
            events.Add(e);
            // Cut from chunk 3 on, at every event until the client has resumed once. Delivery through the proxy is sometimes
            // bursty (chunks 3 to 12 of a 12-chunk stream arriving together after a stall), and a cut that comes after the
            // rest of the stream is already in the client's buffers breaks nothing: a longer stream leaves events to cut.
            if (resumes.Count == 0 && e.Response.ArtifactUpdate is { } chunk && ChunkNumber(chunk) is >= 3 and < 40)
            {
                cut |= proxy.CutAll() > 0;
            }
        }

        Assert.True(cut);
        var resumed = Assert.Single(resumes);
        Assert.False(resumed.WithLastEventId); // no ids from this server: a fresh subscription, Task snapshot first
        var afterCut = events.First(e => e.Resumed is not null);
        Assert.NotNull(afterCut.Response.Task);
        var fold = new TaskFold();
        events.ForEach(fold.Apply);
        Assert.Equal(TaskState.Completed, fold.Task!.Status.State);
        Assert.Equal(Chunks(40), fold.GetArtifactText("chunks"));
    }

    private static int ChunkNumber(TaskArtifactUpdateEvent chunk) =>
        int.Parse(chunk.Artifact.Parts[0].Text!.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
}
