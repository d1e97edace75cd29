using System.Text.Json;
using Herald.Client.Tests.Infrastructure;
using Herald.Protocol;

namespace Herald.Client.Tests;

/// <summary>Every operation against Herald's real server, over each binding (a subclass per binding, pinned to it).</summary>
public abstract class ClientOperationsTests(HeraldServer server) : IClassFixture<HeraldServer>, IDisposable
{
    private HttpClient? _http;

    /// <summary>The binding the client is pinned to, as the card names it.</summary>
    protected abstract string Binding { get; }

    protected HeraldServer Server { get; } = server;

    private protected RecordingHandler Handler { get; } = new();

    /// <summary>Whether a recorded request is a ListTasks call on this binding.</summary>
    protected abstract bool IsListTasks(string method, Uri uri, string? body);

    /// <summary>
    /// What a refused streaming call throws: over JSON-RPC Herald answers a client that accepts text/event-stream with the
    /// error as the stream's one event (<see cref="A2AStreamErrorException"/>); over REST with a plain error response
    /// (<see cref="A2AException"/>).
    /// </summary>
    protected abstract Type RefusedStreamError { get; }

    protected IA2AClient NewClient(A2AClientOptions? options = null)
    {
        options ??= new A2AClientOptions();
        options.ProtocolBinding ??= Binding;
        _http = new HttpClient(Handler) { Timeout = Bounded.Timeout };
        return A2AClient.Create(_http, Server.AgentUrl, options);
    }

    public void Dispose()
    {
        _http?.Dispose();
        GC.SuppressFinalize(this);
    }

    protected static SendMessageRequest Text(string text, string? contextId = null, string? taskId = null, bool returnImmediately = false) => new()
    {
        Message = Message.UserText(text) with { ContextId = contextId, TaskId = taskId },
        Configuration = returnImmediately ? new SendMessageConfiguration { ReturnImmediately = true } : null,
    };

    private static string Json(AgentTask task) => JsonSerializer.Serialize(task, A2AJsonContext.Default.AgentTask);

    [Fact]
    public async Task ConnectAsync_PinnedBinding_ChoosesThatInterfaceOfTheCard()
    {
        _http = new HttpClient(Handler);
        var client = await A2AClient.ConnectAsync(_http, Server.AgentUrl, new A2AClientOptions { ProtocolBinding = Binding }).Within();

        var endpoint = await client.GetEndpointAsync();
        Assert.Equal(Binding, endpoint.Interface.ProtocolBinding);
        Assert.Equal("1.0", endpoint.ProtocolVersion);
        Assert.Equal(Server.AgentUrl.ToString().TrimEnd('/'), endpoint.Interface.Url.TrimEnd('/'));
        Assert.Equal("Test agent", endpoint.Card!.Name);
        Assert.True(endpoint.Card.Capabilities.Streaming);
        var cardRequest = Assert.Single(Handler.Requests);
        Assert.Equal($"{Server.AgentUrl}/.well-known/agent-card.json", cardRequest.Uri.ToString());
    }

    [Fact]
    public async Task SendMessageAsync_Blocking_ReturnsCompletedTaskWithJoinedArtifact()
    {
        var client = NewClient();

        var response = await client.SendMessageAsync(Text("work chunks:3")).Within();

        var task = Assert.IsType<AgentTask>(response.Task);
        Assert.Null(response.Message);
        Assert.Equal(TaskState.Completed, task.Status.State);
        var artifact = Assert.Single(task.Artifacts!);
        Assert.Equal("out", artifact.ArtifactId);
        Assert.Equal(["c0 ", "c1 ", "c2 "], artifact.Parts.Select(p => p.Text));
    }

    [Fact]
    public async Task SendMessageAsync_AgentReplies_ReturnsMessageAndNoTask()
    {
        var client = NewClient();

        var response = await client.SendMessageAsync(Message.UserText("reply")).Within();

        Assert.Null(response.Task);
        Assert.Equal("pong", response.Message!.GetText());
        Assert.Equal(Role.Agent, response.Message.Role);
    }

    [Fact]
    public async Task SendStreamingMessageEventsAsync_Chunks_DeliversTaskThenUpdatesWithConsecutiveIdsUntilCompleted()
    {
        var client = NewClient();

        var events = await client.SendStreamingMessageEventsAsync(Text("work chunks:4")).CollectWithin();

        Assert.NotNull(events[0].Response.Task);
        Assert.Equal(TaskState.Submitted, events[0].Response.Task!.Status.State);
        Assert.Equal(TaskState.Working, events[1].Response.StatusUpdate!.Status.State);
        Assert.Equal(["c0 ", "c1 ", "c2 ", "c3 "], events.Where(e => e.Response.ArtifactUpdate is not null).Select(e => e.Response.ArtifactUpdate!.Artifact.Parts[0].Text));
        Assert.Equal(TaskState.Completed, events[^1].Response.StatusUpdate!.Status.State);
        var ids = events.Select(e => e.Id!.Value).ToList();
        Assert.Equal(Enumerable.Range((int)ids[0], ids.Count).Select(i => (long)i), ids);
        Assert.All(events, e => Assert.Null(e.Resumed));
    }

    [Fact]
    public async Task SendStreamingMessageAsync_FoldedStream_EqualsGetTask()
    {
        var client = NewClient();

        var fold = await TaskFold.FoldAsync(client.SendStreamingMessageAsync(Text("work chunks:5")), Bounded.Token().Token).Within();
        var fetched = await client.GetTaskAsync(fold.Task!.Id).Within();

        Assert.True(fold.IsFinished);
        Assert.Equal("c0 c1 c2 c3 c4 ", fold.GetArtifactText("out"));
        Assert.True(fold.IsArtifactComplete("out"));
        Assert.Equal(Json(fetched), Json(fold.Task!));
    }

    [Fact]
    public async Task SendStreamingMessageAsync_AgentReplies_YieldsOneMessageAndEnds()
    {
        var client = NewClient();

        var events = await client.SendStreamingMessageAsync(Message.UserText("reply")).CollectWithin();

        var only = Assert.Single(events);
        Assert.Equal("pong", only.Message!.GetText());
    }

    [Fact]
    public async Task SendStreamingMessageAsync_InputRequired_EndsAtInterruptedState()
    {
        var client = NewClient();

        var events = await client.SendStreamingMessageAsync(Text("work input")).CollectWithin();

        Assert.Equal(TaskState.InputRequired, events[^1].StatusUpdate!.Status.State);
    }

    [Fact]
    public async Task GetTaskAsync_HistoryLength_LimitsHistory()
    {
        var client = NewClient();
        var task = (await client.SendMessageAsync(Text("work chunks:1")).Within()).Task!;

        var full = await client.GetTaskAsync(task.Id).Within();
        var none = await client.GetTaskAsync(task.Id, historyLength: 0).Within();
        var one = await client.GetTaskAsync(task.Id, historyLength: 1).Within();

        Assert.True(full.History!.Count >= 2);
        Assert.Null(none.History);
        Assert.Single(one.History!);
        Assert.Equal(TaskState.Completed, full.Status.State);
    }

    [Fact]
    public async Task GetTaskAsync_UnknownTask_ThrowsA2AExceptionWithServerCodeAndMessage()
    {
        var client = NewClient();

        var error = await Assert.ThrowsAsync<A2AException>(() => client.GetTaskAsync("no-such-task")).Within();

        Assert.Equal(A2AErrorCodes.TaskNotFound, error.Code);
        Assert.Contains("no-such-task", error.Message, StringComparison.Ordinal);
        Assert.Equal("no-such-task", error.Details!["taskId"]);
    }

    [Fact]
    public async Task ListAllTasksAsync_PageSizeTwo_WalksEveryPageOfTheContext()
    {
        var client = NewClient();
        var context = Guid.NewGuid().ToString();
        var created = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            created.Add((await client.SendMessageAsync(Text("chunks:1", context)).Within()).Task!.Id);
        }

        var first = await client.ListTasksAsync(new ListTasksRequest { ContextId = context, PageSize = 2 }).Within();
        var all = await client.ListAllTasksAsync(new ListTasksRequest { ContextId = context, PageSize = 2 }).CollectWithin();

        Assert.Equal(2, first.Tasks.Count);
        Assert.NotEqual("", first.NextPageToken);
        Assert.Equal(5, first.TotalSize);
        Assert.Equal(created.Order(), all.Select(t => t.Id).Order());
        Assert.Equal(3, Handler.Requests.Count(r => IsListTasks(r.Method, r.Uri, r.Body)) - 1);
    }

    [Fact]
    public async Task CancelTaskAsync_RunningTask_ReturnsCanceledAndStreamEndsCanceled()
    {
        var client = NewClient();
        var gate = Gates.NewKey();
        var task = (await client.SendMessageAsync(Text($"wait:{gate}", returnImmediately: true)).Within()).Task!;
        using var cts = Bounded.Token();
        await using var stream = client.SubscribeToTaskAsync(new SubscribeToTaskRequest { Id = task.Id }, cancellationToken: cts.Token).GetAsyncEnumerator(cts.Token);

        // The subscription is open (its snapshot is in) before the cancel: a subscribe that came after it would be
        // refused, as the task would already be canceled.
        Assert.True(await stream.MoveNextAsync());
        var events = new List<StreamResponse> { stream.Current };
        var canceled = await client.CancelTaskAsync(task.Id).Within();
        while (await stream.MoveNextAsync())
        {
            events.Add(stream.Current);
        }

        Assert.Equal(TaskState.Canceled, canceled.Status.State);
        Assert.Equal(TaskState.Canceled, events[^1].StatusUpdate!.Status.State);
        var again = await Assert.ThrowsAsync<A2AException>(() => client.CancelTaskAsync(task.Id)).Within();
        Assert.Equal(A2AErrorCodes.TaskNotCancelable, again.Code);
    }

    [Fact]
    public async Task SubscribeToTaskEventsAsync_RunningTask_SnapshotFirstThenLiveEvents()
    {
        var client = NewClient();
        var gate = Gates.NewKey();
        var task = (await client.SendMessageAsync(Text($"work wait:{gate} chunks:2", returnImmediately: true)).Within()).Task!;
        using var cts = Bounded.Token();
        var events = new List<StreamEvent>();

        await foreach (var e in client.SubscribeToTaskEventsAsync(new SubscribeToTaskRequest { Id = task.Id }, cancellationToken: cts.Token))
        {
            events.Add(e);
            if (events.Count == 1)
            {
                Gates.Open(gate); // the snapshot is in: let the agent go on
            }
        }

        Assert.Equal(task.Id, events[0].Response.Task!.Id);
        Assert.Equal(2, events.Count(e => e.Response.ArtifactUpdate is not null));
        Assert.Equal(TaskState.Completed, events[^1].Response.StatusUpdate!.Status.State);
        Assert.True(events.Zip(events.Skip(1)).All(p => p.Second.Id == p.First.Id + 1));
    }

    [Fact]
    public async Task SubscribeToTaskEventsAsync_AfterEventIdOfFinishedTask_ReplaysOnlyLaterEvents()
    {
        var client = NewClient();
        var all = await client.SendStreamingMessageEventsAsync(Text("work chunks:3")).CollectWithin();
        var taskId = all[0].Response.Task!.Id;
        var after = all[2].Id!.Value;

        var replay = await client.SubscribeToTaskEventsAsync(new SubscribeToTaskRequest { Id = taskId }, after).CollectWithin();

        Assert.Equal(all.Skip(3).Select(e => e.Id), replay.Select(e => e.Id));
        Assert.Equal(TaskState.Completed, replay[^1].Response.StatusUpdate!.Status.State);
        Assert.Equal($"{after}", Handler.Requests.Last().Header("Last-Event-ID"));
    }

    [Fact]
    public async Task SubscribeToTaskAsync_AfterLastEventOfFinishedTask_EndsWithoutEvents()
    {
        var client = NewClient();
        var all = await client.SendStreamingMessageEventsAsync(Text("chunks:1")).CollectWithin();

        var replay = await client.SubscribeToTaskAsync(all[0].Response.Task!.Id, all[^1].Id).CollectWithin();

        Assert.Empty(replay);
    }

    [Fact]
    public async Task SubscribeToTaskAsync_UnknownTask_ThrowsTheErrorAsTheBindingSendsIt()
    {
        var client = NewClient();

        var error = await Assert.ThrowsAnyAsync<A2AException>(() => client.SubscribeToTaskAsync("missing").CollectWithin()).Within();

        Assert.Equal(RefusedStreamError, error.GetType());
        Assert.Equal(A2AErrorCodes.TaskNotFound, error.Code);
    }

    [Fact]
    public async Task SubscribeToTaskAsync_FinishedTaskWithoutAfter_ThrowsUnsupportedOperation()
    {
        var client = NewClient();
        var task = (await client.SendMessageAsync(Text("chunks:1")).Within()).Task!;

        var error = await Assert.ThrowsAnyAsync<A2AException>(() => client.SubscribeToTaskAsync(task.Id).CollectWithin()).Within();

        Assert.Equal(RefusedStreamError, error.GetType());
        Assert.Equal(A2AErrorCodes.UnsupportedOperation, error.Code);
    }

    [Fact]
    public async Task GetExtendedAgentCardAsync_HeraldWithoutExtendedCard_ThrowsUnsupportedOperation()
    {
        var client = NewClient();

        var error = await Assert.ThrowsAsync<A2AException>(() => client.GetExtendedAgentCardAsync()).Within();

        Assert.Equal(A2AErrorCodes.UnsupportedOperation, error.Code);
        Assert.Contains("extended agent card", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task SendStreamingMessageAsync_CallerCancels_StopsPromptlyWithoutResuming()
    {
        var options = new A2AClientOptions { TimeProvider = new RecordingTimeProvider() };
        var resumed = 0;
        options.OnResumed = _ => resumed++;
        var client = NewClient(options);
        var gate = Gates.NewKey();
        using var cts = Bounded.Token();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var item in client.SendStreamingMessageAsync(Text($"work wait:{gate}"), cts.Token))
            {
                if (item.StatusUpdate is not null)
                {
                    await cts.CancelAsync();
                }
            }
        }).Within();

        Assert.Equal(cts.Token, error.CancellationToken);
        Assert.Equal(0, resumed);
        Gates.Open(gate);
    }
}
