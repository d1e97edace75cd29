using System.Text.Json;
using Herald.Client;
using Herald.Protocol;

namespace Herald.Interop.Tests;

/// <summary>
/// Herald's .NET client (and CLI) against the official @a2a-js/sdk 1.3.0 server (tests/interop/js/server.mjs,
/// protocol 1.0): a real peer, not our own server, once per binding it serves (a subclass each, the client pinned
/// to it): JSON-RPC at <c>/</c>, HTTP+JSON/REST at <c>/rest</c>. The agent behaves like Herald's `chunks` demo
/// agent: "N delay=MS" streams "chunk i of N\n" into the artifact "chunks".
/// </summary>
public abstract class JsSdkServerInteropTests(JsSdkServerFixture server) : IDisposable
{
    /// <summary>The binding the client is pinned to, as the card names it.</summary>
    protected abstract string Binding { get; }

    /// <summary>Where the SDK serves <see cref="Binding"/>.</summary>
    protected abstract Uri InterfaceUrl { get; }

    /// <summary>The <c>--binding</c> value naming <see cref="Binding"/>.</summary>
    protected abstract string CliBinding { get; }

    protected JsSdkServerFixture Server { get; } = server;

    /// <summary>Upper bound of any one test's calls; generous for a loaded 2-core machine, never waited out on success.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http = new() { Timeout = Bound };
    private readonly CancellationTokenSource _timeout = new(Bound);

    public void Dispose()
    {
        _timeout.Dispose();
        _http.Dispose();
        GC.SuppressFinalize(this);
    }

    private CancellationToken Token => _timeout.Token;

    private Task<IA2AClient> ConnectAsync() =>
        A2AClient.ConnectAsync(_http, Server.BaseAddress, new A2AClientOptions { ProtocolBinding = Binding }, Token);

    private static SendMessageRequest Send(string text, bool returnImmediately = false) => new()
    {
        Message = Message.UserText(text),
        Configuration = returnImmediately ? new SendMessageConfiguration { ReturnImmediately = true } : null,
    };

    private static string Chunks(int count) => string.Concat(Enumerable.Range(1, count).Select(i => $"chunk {i} of {count}\n"));

    private static string Text(Artifact artifact) => string.Concat(artifact.Parts.Select(p => p.Text));

    [Fact]
    public async Task ConnectAsync_JsServerCard_SelectsThePinnedInterfaceAtTheRealPort()
    {
        var client = await ConnectAsync();

        var endpoint = await client.GetEndpointAsync(Token);

        Assert.Equal(Binding, endpoint.Interface.ProtocolBinding);
        Assert.Equal("1.0", endpoint.ProtocolVersion);
        Assert.Equal(InterfaceUrl, new Uri(endpoint.Interface.Url));
        Assert.Equal("js-sdk chunks agent", endpoint.Card!.Name);
        Assert.True(endpoint.Card.Capabilities.Streaming == true);
    }

    [Fact]
    public async Task SendMessage_Blocking_ReturnsCompletedTaskWithTheJoinedArtifact()
    {
        var client = await ConnectAsync();

        var response = await client.SendMessageAsync(Send("3 delay=0"), Token);

        var task = Assert.IsType<AgentTask>(response.Task);
        Assert.Equal(TaskState.Completed, task.Status.State);
        var artifact = Assert.Single(task.Artifacts!);
        Assert.Equal("chunks", artifact.ArtifactId);
        Assert.Equal(Chunks(3), Text(artifact));
    }

    [Fact]
    public async Task SendMessage_NotARequest_Rejected()
    {
        var client = await ConnectAsync();

        var task = (await client.SendMessageAsync(Send("hello"), Token)).Task!;

        Assert.Equal(TaskState.Rejected, task.Status.State);
    }

    [Fact]
    public async Task SendStreamingMessage_TaskThenWorkingThenFiveChunksInOrderThenCompleted()
    {
        var client = await ConnectAsync();

        var events = new List<StreamEvent>();
        await foreach (var e in client.SendStreamingMessageEventsAsync(Send("5 delay=5"), Token))
        {
            events.Add(e);
        }

        // task (submitted), working, 5 chunks, completed: 8 events, the stream ends after completed.
        Assert.Equal(8, events.Count);
        var task = Assert.IsType<AgentTask>(events[0].Response.Task);
        Assert.Equal(TaskState.Submitted, task.Status.State);
        Assert.Equal(TaskState.Working, events[1].Response.StatusUpdate!.Status.State);
        var chunks = events.Skip(2).Take(5).Select(e => Assert.IsType<TaskArtifactUpdateEvent>(e.Response.ArtifactUpdate)).ToArray();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(task.Id, chunks[i].TaskId);
            Assert.Equal("chunks", chunks[i].Artifact.ArtifactId);
            Assert.Equal($"chunk {i + 1} of 5\n", Text(chunks[i].Artifact));
            Assert.Equal(i > 0, chunks[i].Append ?? false);
            Assert.Equal(i == 4, chunks[i].LastChunk ?? false);
        }

        Assert.Equal(TaskState.Completed, events[^1].Response.StatusUpdate!.Status.State);

        var fold = new TaskFold();
        events.ForEach(fold.Apply);
        Assert.Equal(TaskState.Completed, fold.State);
        Assert.True(fold.IsFinished);
        Assert.Equal(Chunks(5), fold.GetArtifactText("chunks"));
        Assert.True(fold.IsArtifactComplete("chunks"));

        // The JS SDK server writes bare `data:` frames without SSE `id:` lines, so no event carries an id and
        // a dropped stream could only be resumed from a Task snapshot (ResumeInfo.WithLastEventId = false).
        // Nothing dropped here: no event is marked as resumed.
        Assert.All(events, e => Assert.Null(e.Id));
        Assert.All(events, e => Assert.Null(e.Resumed));
    }

    [Fact]
    public async Task GetTask_AfterSend_ReturnsTheSameFinishedTask()
    {
        var client = await ConnectAsync();
        var sent = (await client.SendMessageAsync(Send("2 delay=0"), Token)).Task!;

        var task = await client.GetTaskAsync(new GetTaskRequest { Id = sent.Id }, Token);

        Assert.Equal(sent.Id, task.Id);
        Assert.Equal(sent.ContextId, task.ContextId);
        Assert.Equal(TaskState.Completed, task.Status.State);
        Assert.Equal(Chunks(2), Text(Assert.Single(task.Artifacts!)));
    }

    [Fact]
    public async Task GetTask_UnknownId_TaskNotFound()
    {
        var client = await ConnectAsync();

        var error = await Assert.ThrowsAnyAsync<A2AException>(() => client.GetTaskAsync(new GetTaskRequest { Id = "does-not-exist" }, Token));

        Assert.Equal(A2AErrorCodes.TaskNotFound, error.Code);
    }

    [Fact]
    public async Task ListTasks_OneContextPageByPage_ListsBothTasks()
    {
        var client = await ConnectAsync();
        var first = (await client.SendMessageAsync(Send("1 delay=0"), Token)).Task!;
        var second = (await client.SendMessageAsync(
            new SendMessageRequest { Message = Message.UserText("1 delay=0") with { ContextId = first.ContextId } }, Token)).Task!;
        Assert.Equal(first.ContextId, second.ContextId);

        var page = await client.ListTasksAsync(new ListTasksRequest { ContextId = first.ContextId, PageSize = 1 }, Token);
        var listed = new List<AgentTask>();
        await foreach (var task in client.ListAllTasksAsync(new ListTasksRequest { ContextId = first.ContextId, PageSize = 1, IncludeArtifacts = true }, Token))
        {
            listed.Add(task);
        }

        Assert.Empty(Assert.Single(page.Tasks).Artifacts ?? []); // the SDK leaves artifacts out unless includeArtifacts
        Assert.False(string.IsNullOrEmpty(page.NextPageToken));
        Assert.Equal(2, page.TotalSize);
        Assert.Equal(new[] { first.Id, second.Id }.Order(StringComparer.Ordinal), listed.Select(t => t.Id).Order(StringComparer.Ordinal));
        Assert.All(listed, t => Assert.Equal(TaskState.Completed, t.Status.State));
        Assert.All(listed, t => Assert.Equal(Chunks(1), Text(Assert.Single(t.Artifacts!))));
    }

    [Fact]
    public async Task CancelTask_RunningTask_EndsCanceled()
    {
        var client = await ConnectAsync();
        var sent = (await client.SendMessageAsync(Send("1000 delay=50", returnImmediately: true), Token)).Task!;
        Assert.False(sent.Status.State.IsTerminal());

        var canceled = await client.CancelTaskAsync(new CancelTaskRequest { Id = sent.Id }, Token);

        Assert.Equal(sent.Id, canceled.Id);
        Assert.Equal(TaskState.Canceled, canceled.Status.State);
        Assert.Equal(TaskState.Canceled, (await client.GetTaskAsync(new GetTaskRequest { Id = sent.Id }, Token)).Status.State);

        // The JS SDK server treats a second cancel as idempotent: the canceled task again, not TaskNotCancelable.
        Assert.Equal(TaskState.Canceled, (await client.CancelTaskAsync(new CancelTaskRequest { Id = sent.Id }, Token)).Status.State);
    }

    [Fact]
    public async Task CancelTask_CompletedTask_TaskNotCancelable()
    {
        var client = await ConnectAsync();
        var done = (await client.SendMessageAsync(Send("1 delay=0"), Token)).Task!;

        var error = await Assert.ThrowsAnyAsync<A2AException>(() => client.CancelTaskAsync(new CancelTaskRequest { Id = done.Id }, Token));

        Assert.Equal(A2AErrorCodes.TaskNotCancelable, error.Code);
    }

    [Fact]
    public async Task SubscribeToTask_RunningTask_SnapshotFirstThenTailToCompleted()
    {
        var client = await ConnectAsync();
        // 20 chunks 100 ms apart: about 2 s in which the single SubscribeToTask call has to arrive.
        var sent = (await client.SendMessageAsync(Send("20 delay=100", returnImmediately: true), Token)).Task!;

        var events = new List<StreamEvent>();
        await foreach (var e in client.SubscribeToTaskEventsAsync(new SubscribeToTaskRequest { Id = sent.Id }, cancellationToken: Token))
        {
            events.Add(e);
        }

        var snapshot = Assert.IsType<AgentTask>(events[0].Response.Task);
        Assert.Equal(sent.Id, snapshot.Id);
        Assert.False(snapshot.Status.State.IsTerminal());
        Assert.All(events.Skip(1), e => Assert.Null(e.Response.Task)); // then only updates
        Assert.Equal(TaskState.Completed, events[^1].Response.StatusUpdate!.Status.State);
        Assert.All(events, e => Assert.Null(e.Id)); // no SSE ids from this server either

        var fold = new TaskFold();
        events.ForEach(fold.Apply);
        Assert.Equal(TaskState.Completed, fold.State);
        Assert.Equal(Chunks(20), fold.GetArtifactText("chunks"));
    }

    [Fact]
    public async Task SubscribeToTask_FinishedTask_UnsupportedOperation()
    {
        // What the client's id-less fallback relies on: the JS server refuses SubscribeToTask once the task
        // is terminal (-32004), instead of replaying or returning the final task.
        var client = await ConnectAsync();
        var done = (await client.SendMessageAsync(Send("1 delay=0"), Token)).Task!;

        var error = await Assert.ThrowsAnyAsync<A2AException>(async () =>
        {
            await foreach (var _ in client.SubscribeToTaskAsync(new SubscribeToTaskRequest { Id = done.Id }, cancellationToken: Token))
            {
            }
        });

        Assert.Equal(A2AErrorCodes.UnsupportedOperation, error.Code);
    }

    [Fact]
    public async Task GetExtendedAgentCard_CardAdvertisesIt_ReturnsTheExtendedCard()
    {
        var client = await ConnectAsync();

        var card = await client.GetExtendedAgentCardAsync(Token);

        Assert.Equal("js-sdk chunks agent (extended)", card.Name);
        Assert.Equal(["chunks", "chunks-extended"], card.Skills.Select(s => s.Id));
        Assert.Equal([Server.BaseAddress, new Uri(Server.BaseAddress, "rest")], card.SupportedInterfaces.Select(i => new Uri(i.Url)));
    }

    [Fact]
    public async Task HeraldSendStreamJson_JsServer_OneLinePerEventAndExitZero()
    {
        var (code, stdout, stderr) = await ProcessRunner.RunAsync(
            "dotnet", [RepositoryPaths.HeraldDll, "send", Server.BaseAddress.ToString(), "5 delay=5", "--stream", "--json", "--binding", CliBinding],
            RepositoryPaths.Root, TimeSpan.FromSeconds(60));

        Assert.True(code == 0, $"herald send exited {code}: {stderr}");
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal("task", lines[0].GetProperty("kind").GetString());
        var chunks = lines.Where(l => l.GetProperty("kind").GetString() == "artifactUpdate")
            .Select(l => l.GetProperty("response").GetProperty("artifactUpdate").GetProperty("artifact").GetProperty("parts")[0].GetProperty("text").GetString());
        Assert.Equal([.. Enumerable.Range(1, 5).Select(i => $"chunk {i} of 5\n")], chunks);
        Assert.Equal("TASK_STATE_COMPLETED", lines[^1].GetProperty("response").GetProperty("statusUpdate").GetProperty("status").GetProperty("state").GetString());
    }
}

[Collection(JsSdkServerCollection.Name)]
public sealed class JsSdkServerJsonRpcInteropTests(JsSdkServerFixture server) : JsSdkServerInteropTests(server)
{
    protected override string Binding => "JSONRPC";

    protected override Uri InterfaceUrl => Server.BaseAddress;

    protected override string CliBinding => "jsonrpc";

    [Fact]
    public async Task ConnectAsync_Unpinned_TakesTheCardsFirstInterfaceJsonRpc()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        var client = await A2AClient.ConnectAsync(http, Server.BaseAddress);

        Assert.Equal("JSONRPC", (await client.GetEndpointAsync()).Interface.ProtocolBinding);
    }
}

[Collection(JsSdkServerCollection.Name)]
public sealed class JsSdkServerRestInteropTests(JsSdkServerFixture server) : JsSdkServerInteropTests(server)
{
    protected override string Binding => "HTTP+JSON";

    protected override Uri InterfaceUrl => new(Server.BaseAddress, "rest");

    protected override string CliBinding => "rest";
}
