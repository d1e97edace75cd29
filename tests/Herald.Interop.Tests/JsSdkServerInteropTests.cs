using System.Text.Json;
using Herald.Client;
using Herald.Protocol;

namespace Herald.Interop.Tests;

/// <summary>Herald's client and CLI against the official @a2a-js/sdk 1.x server (a real peer, not our own server).</summary>
[Collection(JsSdkServerCollection.Name)]
public sealed class JsSdkServerInteropTests(JsSdkServerFixture server) : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly HttpClient _http = new() { Timeout = Bound };

    public void Dispose() => _http.Dispose();

    private Task<IA2AClient> ConnectAsync() => A2AClient.ConnectAsync(_http, server.BaseAddress);

    private static SendMessageRequest Send(string text, bool returnImmediately = false) => new()
    {
        Message = Message.UserText(text),
        Configuration = returnImmediately ? new SendMessageConfiguration { ReturnImmediately = true } : null,
    };

    private static string Chunks(int count) => string.Concat(Enumerable.Range(1, count).Select(i => $"chunk {i} of {count}\n"));

    [Fact]
    public async Task ConnectAsync_JsServerCard_SelectsItsJsonRpcInterface()
    {
        var client = await ConnectAsync();

        var endpoint = await client.GetEndpointAsync();

        Assert.Equal("JSONRPC", endpoint.Interface.ProtocolBinding);
        Assert.Equal("1.0", endpoint.ProtocolVersion);
        Assert.Equal("js-sdk chunks agent", endpoint.Card!.Name);
    }

    [Fact]
    public async Task SendMessage_Blocking_ReturnsCompletedTaskWithAllChunks()
    {
        var client = await ConnectAsync();

        var response = await client.SendMessageAsync(Send("3 delay=0")).WaitAsync(Bound);

        var task = response.Task!;
        Assert.Equal(TaskState.Completed, task.Status.State);
        Assert.Equal(Chunks(3), string.Concat(Assert.Single(task.Artifacts!).Parts.Select(p => p.Text)));
    }

    [Fact]
    public async Task SendStreamingMessage_JsServer_TaskThenChunksInOrderThenCompleted()
    {
        var client = await ConnectAsync();

        var events = new List<StreamResponse>();
        await foreach (var e in client.SendStreamingMessageAsync(Send("5 delay=5")).WithCancellation(new CancellationTokenSource(Bound).Token))
        {
            events.Add(e);
        }

        var fold = new TaskFold();
        events.ForEach(fold.Apply);
        Assert.NotNull(events[0].Task);
        Assert.Equal(5, events.Count(e => e.ArtifactUpdate is not null));
        Assert.Equal(TaskState.Completed, events[^1].StatusUpdate!.Status.State);
        Assert.Equal(Chunks(5), fold.GetArtifactText("chunks"));
        Assert.True(fold.IsArtifactComplete("chunks"));
    }

    [Fact]
    public async Task GetTask_AfterSend_ReturnsTheSameFinishedTask()
    {
        var client = await ConnectAsync();
        var sent = (await client.SendMessageAsync(Send("2 delay=0"))).Task!;

        var task = await client.GetTaskAsync(new GetTaskRequest { Id = sent.Id });

        Assert.Equal(sent.Id, task.Id);
        Assert.Equal(TaskState.Completed, task.Status.State);
        Assert.Equal(Chunks(2), string.Concat(task.Artifacts!.Single().Parts.Select(p => p.Text)));
    }

    [Fact]
    public async Task ListTasks_JsServer_ListsTheContextsTasks()
    {
        var client = await ConnectAsync();
        var first = (await client.SendMessageAsync(Send("1 delay=0"))).Task!;
        var second = (await client.SendMessageAsync(new SendMessageRequest { Message = Message.UserText("1 delay=0") with { ContextId = first.ContextId } })).Task!;

        var listed = new List<string>();
        await foreach (var task in client.ListAllTasksAsync(new ListTasksRequest { ContextId = first.ContextId, PageSize = 1 }))
        {
            listed.Add(task.Id);
        }

        Assert.Equal(new[] { first.Id, second.Id }.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        Assert.Equal(2, listed.Count);
    }

    [Fact]
    public async Task CancelTask_RunningTask_EndsCanceled()
    {
        var client = await ConnectAsync();
        var sent = (await client.SendMessageAsync(Send("200 delay=50", returnImmediately: true))).Task!;

        var canceled = await client.CancelTaskAsync(new CancelTaskRequest { Id = sent.Id });

        Assert.Equal(TaskState.Canceled, canceled.Status.State);
        Assert.Equal(TaskState.Canceled, (await client.GetTaskAsync(new GetTaskRequest { Id = sent.Id })).Status.State);
    }

    [Fact]
    public async Task SubscribeToTask_RunningTask_SnapshotFirstThenTailToCompleted()
    {
        var client = await ConnectAsync();
        var sent = (await client.SendMessageAsync(Send("10 delay=30", returnImmediately: true))).Task!;

        var events = new List<StreamResponse>();
        await foreach (var e in client.SubscribeToTaskAsync(new SubscribeToTaskRequest { Id = sent.Id }).WithCancellation(new CancellationTokenSource(Bound).Token))
        {
            events.Add(e);
        }

        var fold = new TaskFold();
        events.ForEach(fold.Apply);
        Assert.Equal(sent.Id, events[0].Task!.Id);
        Assert.Equal(TaskState.Completed, fold.State);
        Assert.Equal(Chunks(10), fold.GetArtifactText("chunks"));
    }

    [Fact]
    public async Task GetTask_UnknownId_TaskNotFound()
    {
        var client = await ConnectAsync();

        var error = await Assert.ThrowsAnyAsync<A2AException>(() => client.GetTaskAsync(new GetTaskRequest { Id = "does-not-exist" }));

        Assert.Equal(A2AErrorCodes.TaskNotFound, error.Code);
    }

    [Fact]
    public async Task HeraldSendStreamJson_JsServer_OneLinePerEventAndExitZero()
    {
        var (code, stdout, stderr) = await ProcessRunner.RunAsync(
            "dotnet", [RepositoryPaths.HeraldDll, "send", server.BaseAddress.ToString(), "5 chunks", "--stream", "--json"],
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
