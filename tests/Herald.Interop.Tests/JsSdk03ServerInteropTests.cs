using System.Text.Json;
using Herald.Client;
using Herald.Protocol;
using Herald.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Interop.Tests;

/// <summary>
/// Herald's .NET client and the `herald` CLI against the official @a2a-js/sdk 0.3.x server
/// (tests/interop/js/server-v03.mjs): a card with only the v0.3 fields, v0.3 JSON-RPC methods and shapes,
/// no SSE ids, no event log. Its agent streams chunks like Herald's `chunks` demo agent, and "ask" waits
/// for a name (input-required) that a follow-up message supplies.
/// </summary>
[Collection(JsSdk03ServerCollection.Name)]
public sealed class JsSdk03ServerInteropTests(JsSdk03ServerFixture server) : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http = new() { Timeout = Bound };
    private readonly CancellationTokenSource _timeout = new(Bound);

    public void Dispose()
    {
        _timeout.Dispose();
        _http.Dispose();
    }

    private CancellationToken Token => _timeout.Token;

    private Uri NoLog => new(server.BaseAddress, "no-log/");

    private Task<IA2AClient> ConnectAsync(Uri? url = null) => A2AClient.ConnectAsync(_http, url ?? server.BaseAddress, cancellationToken: Token);

    private static SendMessageRequest Send(string text, bool returnImmediately = false) => new()
    {
        Message = Message.UserText(text),
        Configuration = returnImmediately ? new SendMessageConfiguration { ReturnImmediately = true } : null,
    };

    private static string Chunks(int count) => string.Concat(Enumerable.Range(1, count).Select(i => $"chunk {i} of {count}\n"));

    private static string Text(Artifact artifact) => string.Concat(artifact.Parts.Select(p => p.Text));

    private async Task<List<StreamEvent>> CollectAsync(IAsyncEnumerable<StreamEvent> events)
    {
        var list = new List<StreamEvent>();
        await foreach (var e in events.WithCancellation(Token))
        {
            list.Add(e);
        }

        return list;
    }

    [Fact]
    public async Task ConnectAsync_V03OnlyCard_SelectsJsonRpc03AtTheRealPort()
    {
        var endpoint = await (await ConnectAsync()).GetEndpointAsync(Token);

        Assert.Equal(("JSONRPC", "0.3"), (endpoint.Interface.ProtocolBinding, endpoint.ProtocolVersion));
        Assert.Equal(server.BaseAddress, new Uri(endpoint.Interface.Url));
        Assert.Equal("js-sdk-03 agent", endpoint.Card!.Name);
        Assert.Equal("0.3.0", endpoint.V03Card!.ProtocolVersion);
        Assert.Equal("JSONRPC", endpoint.V03Card.PreferredTransport);
        Assert.True(endpoint.Card.Capabilities.Streaming);
        Assert.True(endpoint.Card.Capabilities.ExtendedAgentCard);
    }

    [Fact]
    public async Task ConnectAsync_PinnedV10_FailsWithoutFallingBackToV03()
    {
        var error = await Assert.ThrowsAsync<A2AVersionNotSupportedException>(() =>
            A2AClient.ConnectAsync(_http, server.BaseAddress, new A2AClientOptions { ProtocolVersion = "1.0" }, Token));

        Assert.Equal("1.0", error.RequestedVersion);
    }

    [Fact]
    public async Task SendMessage_Blocking_ReturnsCompletedTaskWithTheJoinedArtifact()
    {
        var client = await ConnectAsync();

        var task = (await client.SendMessageAsync(Send("3 delay=0"), Token)).Task!;

        Assert.Equal(TaskState.Completed, task.Status.State);
        Assert.Equal(Chunks(3), Text(Assert.Single(task.Artifacts!)));
        Assert.Equal(Role.User, task.History![0].Role);
    }

    [Fact]
    public async Task SendStreamingMessage_TaskThenWorkingThenChunksInOrderThenCompleted()
    {
        var client = await ConnectAsync();

        var events = await CollectAsync(client.SendStreamingMessageEventsAsync(Send("4 delay=5"), Token));

        Assert.Equal(7, events.Count); // task, working, 4 chunks, completed
        var task = Assert.IsType<AgentTask>(events[0].Response.Task);
        Assert.Equal(TaskState.Submitted, task.Status.State);
        Assert.Equal(TaskState.Working, events[1].Response.StatusUpdate!.Status.State);
        for (var i = 0; i < 4; i++)
        {
            var chunk = events[2 + i].Response.ArtifactUpdate!;
            Assert.Equal($"chunk {i + 1} of 4\n", Text(chunk.Artifact));
            Assert.Equal(i > 0, chunk.Append ?? false);
            Assert.Equal(i == 3, chunk.LastChunk ?? false);
        }

        Assert.Equal(TaskState.Completed, events[^1].Response.StatusUpdate!.Status.State);
        Assert.All(events, e => Assert.Null(e.Id));
        var fold = new TaskFold();
        events.ForEach(fold.Apply);
        Assert.Equal(Chunks(4), fold.GetArtifactText("chunks"));
    }

    [Fact]
    public async Task GetTask_AfterSend_ReturnsTheSameFinishedTask()
    {
        var client = await ConnectAsync();
        var sent = (await client.SendMessageAsync(Send("2 delay=0"), Token)).Task!;

        var task = await client.GetTaskAsync(sent.Id, cancellationToken: Token);

        Assert.Equal((sent.Id, sent.ContextId, TaskState.Completed), (task.Id, task.ContextId, task.Status.State));
        Assert.Equal(Chunks(2), Text(Assert.Single(task.Artifacts!)));
    }

    [Fact]
    public async Task GetTask_UnknownId_TaskNotFound()
    {
        var client = await ConnectAsync();

        var error = await Assert.ThrowsAnyAsync<A2AException>(() => client.GetTaskAsync("does-not-exist", cancellationToken: Token));

        Assert.Equal(A2AErrorCodes.TaskNotFound, error.Code);
    }

    [Fact]
    public async Task CancelTask_RunningTask_EndsCanceled()
    {
        var client = await ConnectAsync();
        var sent = (await client.SendMessageAsync(Send("1000 delay=50", returnImmediately: true), Token)).Task!;
        Assert.False(sent.Status.State.IsTerminal()); // blocking: false was honoured

        var canceled = await client.CancelTaskAsync(sent.Id, Token);

        Assert.Equal(TaskState.Canceled, canceled.Status.State);
        Assert.Equal(TaskState.Canceled, (await client.GetTaskAsync(sent.Id, cancellationToken: Token)).Status.State);
    }

    [Fact]
    public async Task Resubscribe_RunningTask_SnapshotFirstThenTailToCompleted()
    {
        var client = await ConnectAsync();
        var sent = (await client.SendMessageAsync(Send("20 delay=100", returnImmediately: true), Token)).Task!;

        var events = await CollectAsync(client.SubscribeToTaskEventsAsync(new SubscribeToTaskRequest { Id = sent.Id }, cancellationToken: Token));

        var snapshot = Assert.IsType<AgentTask>(events[0].Response.Task);
        Assert.Equal(sent.Id, snapshot.Id);
        Assert.Equal(TaskState.Completed, events[^1].Response.StatusUpdate!.Status.State);
        var fold = new TaskFold();
        events.ForEach(fold.Apply);
        Assert.Equal(Chunks(20), fold.GetArtifactText("chunks"));
    }

    [Fact]
    public async Task MultiTurn_InputRequiredThenFollowUp_CompletesTheSameTask()
    {
        var client = await ConnectAsync();

        var first = await CollectAsync(client.SendStreamingMessageEventsAsync(Send("ask"), Token));
        var waiting = first[^1].Response.StatusUpdate!;
        Assert.Equal(TaskState.InputRequired, waiting.Status.State);
        Assert.Equal("What is your name?", waiting.Status.Message!.GetText());

        var answer = Message.UserText("Ada") with { TaskId = waiting.TaskId, ContextId = waiting.ContextId };
        var done = (await client.SendMessageAsync(answer, Token)).Task!;

        Assert.Equal(waiting.TaskId, done.Id);
        Assert.Equal(TaskState.Completed, done.Status.State);
        Assert.Equal("hello Ada", Text(done.Artifacts!.Single(a => a.ArtifactId == "greeting")));
    }

    [Fact]
    public async Task GetExtendedAgentCard_V03Method_ReturnsTheExtendedCard()
    {
        var card = await (await ConnectAsync()).GetExtendedAgentCardAsync(Token);

        Assert.Equal("js-sdk-03 agent (extended)", card.Name);
        Assert.Equal(server.BaseAddress, new Uri(card.SupportedInterfaces[0].Url));
    }

    [Fact]
    public async Task ListTasks_V03_UnsupportedOperation()
    {
        var client = await ConnectAsync();

        var error = await Assert.ThrowsAnyAsync<A2AException>(() => client.ListTasksAsync(new ListTasksRequest(), Token));

        Assert.Equal(A2AErrorCodes.UnsupportedOperation, error.Code);
    }

    [Fact]
    public async Task AutoResume_ServerWithoutEventLogRefusesFinishedTask_FallsBackToGetTask()
    {
        // The stream of a running task is cut; the client's reconnection is held (fake clock) until the task
        // has finished; the no-log server then answers tasks/resubscribe with -32004 inside the stream.
        await using var proxy = new CuttingProxy(NoLog.Port);
        var time = new SignallingTimeProvider();
        var client = A2AClient.Create(_http,
            new AgentInterface { Url = proxy.Through(NoLog).ToString(), ProtocolBinding = "JSONRPC", ProtocolVersion = "0.3" },
            new A2AClientOptions { TimeProvider = time });
        var watcher = await ConnectAsync(NoLog);
        var events = new List<StreamEvent>();
        Task? releaseWhenDone = null;

        await foreach (var e in client.SendStreamingMessageEventsAsync(Send("5 delay=200"), Token))
        {
            events.Add(e);
            if (events.Count == 2)
            {
                Assert.True(proxy.CutAll() > 0);
                var taskId = events[0].Response.Task!.Id;
                releaseWhenDone = Task.Run(async () =>
                {
                    await time.TimerCreated.Task.WaitAsync(Token); // the client waits to reconnect
                    await CollectAsync(watcher.SubscribeToTaskEventsAsync(new SubscribeToTaskRequest { Id = taskId }, cancellationToken: Token)); // ends with the task
                    time.Advance(TimeSpan.FromMinutes(5));
                });
            }
        }

        await releaseWhenDone!.WaitAsync(Token);
        var last = events[^1];
        Assert.Equal(TaskState.Completed, last.Response.Task!.Status.State);
        Assert.Equal(A2AErrorCodes.UnsupportedOperation, last.FallbackCause!.Code);
        Assert.NotNull(last.Resumed);
        Assert.Single(events, e => e.FallbackCause is not null);
        var fold = new TaskFold();
        events.ForEach(fold.Apply);
        Assert.Equal(Chunks(5), fold.GetArtifactText("chunks"));
    }

    [Fact]
    public async Task HeraldCli_V03Server_CardSendStreamGetCancelSubscribeAndMultiTurn()
    {
        var url = server.BaseAddress.ToString();

        var card = await Herald("card", url);
        Assert.True(card.Code == 0, card.StdErr);
        Assert.Contains($"  v0.3 card: protocolVersion 0.3.0, url {url}, preferredTransport JSONRPC", card.StdOut, StringComparison.Ordinal);
        Assert.Contains($"  interface: JSONRPC 0.3.0 at {url}  (in use)", card.StdOut, StringComparison.Ordinal);

        var stream = await Herald("send", url, "3 delay=5", "--stream", "--json");
        Assert.True(stream.Code == 0, stream.StdErr);
        var lines = JsonLines(stream.StdOut);
        Assert.Equal("task", lines[0].GetProperty("kind").GetString());
        Assert.Equal(3, lines.Count(l => l.GetProperty("kind").GetString() == "artifactUpdate"));
        Assert.Equal("TASK_STATE_COMPLETED", lines[^1].GetProperty("response").GetProperty("statusUpdate").GetProperty("status").GetProperty("state").GetString());
        var taskId = lines[0].GetProperty("response").GetProperty("task").GetProperty("id").GetString()!;

        var get = await Herald("get", url, taskId, "--json");
        Assert.True(get.Code == 0, get.StdErr);
        Assert.Equal("TASK_STATE_COMPLETED", JsonLines(get.StdOut)[0].GetProperty("status").GetProperty("state").GetString());

        var running = (await (await ConnectAsync()).SendMessageAsync(Send("1000 delay=50", returnImmediately: true), Token)).Task!;
        var cancel = await Herald("cancel", url, running.Id);
        Assert.True(cancel.Code == 0, cancel.StdErr);
        Assert.Contains($"task {running.Id} canceled", cancel.StdOut, StringComparison.Ordinal);

        var watched = (await (await ConnectAsync()).SendMessageAsync(Send("20 delay=100", returnImmediately: true), Token)).Task!;
        var subscribe = await Herald("subscribe", url, watched.Id, "--json");
        Assert.True(subscribe.Code == 0, subscribe.StdErr);
        var end = JsonLines(subscribe.StdOut)[^1].GetProperty("response");
        // A live tail ends with the completed status; if the process started after the end, the server sends the final task.
        var state = end.TryGetProperty("statusUpdate", out var update) ? update.GetProperty("status") : end.GetProperty("task").GetProperty("status");
        Assert.Equal("TASK_STATE_COMPLETED", state.GetProperty("state").GetString());

        var ask = await Herald("send", url, "ask", "--json");
        Assert.Equal(5, ask.Code); // input-required
        var askedTask = JsonLines(ask.StdOut)[0].GetProperty("task").GetProperty("id").GetString()!;
        var reply = await Herald("send", url, "Grace", "--task", askedTask, "--json");
        Assert.True(reply.Code == 0, reply.StdErr);
        Assert.Contains("hello Grace", reply.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HeraldCliSubscribeAfter_ServerWithoutEventLog_FallsBackToGetTaskAndSaysSo()
    {
        var done = (await (await ConnectAsync(NoLog)).SendMessageAsync(Send("2 delay=0"), Token)).Task!;

        var run = await Herald("subscribe", NoLog.ToString(), done.Id, "--after", "4");

        Assert.True(run.Code == 0, run.StdErr);
        Assert.Contains("the agent could not resume the stream after event 4 (A2A error -32004 UNSUPPORTED_OPERATION", run.StdErr, StringComparison.Ordinal);
        Assert.Contains("showing the task's completed state from GetTask instead", run.StdErr, StringComparison.Ordinal);
        Assert.Contains("completed", run.StdOut, StringComparison.Ordinal);
    }

    private static Task<(int Code, string StdOut, string StdErr)> Herald(params string[] args) =>
        ProcessRunner.RunAsync("dotnet", [RepositoryPaths.HeraldDll, .. args], RepositoryPaths.Root, TimeSpan.FromSeconds(60));

    private static JsonElement[] JsonLines(string stdout) =>
        [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    /// <summary>A fake clock that says when a timer (the client's reconnection delay) has been set.</summary>
    private sealed class SignallingTimeProvider : FakeTimeProvider
    {
        public TaskCompletionSource TimerCreated { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            TimerCreated.TrySetResult();
            return timer;
        }
    }
}
