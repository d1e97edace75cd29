using System.Text.Json;
using Herald.Client.Tests.Infrastructure;
using Herald.Protocol;
using Herald.Testing;
using Microsoft.AspNetCore.Http;

namespace Herald.Client.Tests;

/// <summary>
/// The client against a server whose card offers only v0.3 JSON-RPC: the same typed API and streams,
/// with v0.3 methods, <c>kind</c>-discriminated shapes and <c>A2A-Version: 0.3</c> on the wire.
/// </summary>
public sealed class V03BindingTests : IAsyncLifetime, IDisposable
{
    private readonly HttpClient _http = new() { Timeout = Bounded.Timeout };
    private readonly RecordingTimeProvider _time = new();
    private readonly List<ResumeInfo> _resumes = [];
    private FakeAgentServer? _server;
    private Func<HttpContext, RpcCall, Task> _handler = (_, _) => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        _server = await FakeAgentServer.StartAsync((c, call) => _handler(c, call));
        _server.CardJson = $$"""
            {"name":"Old agent","description":"v0.3 only","protocolVersion":"0.3.0","version":"2.0.0",
             "url":"{{_server.RpcUrl}}","preferredTransport":"JSONRPC",
             "capabilities":{"streaming":true,"pushNotifications":true},"supportsAuthenticatedExtendedCard":true,
             "defaultInputModes":["text/plain"],"defaultOutputModes":["text/plain"],"skills":[{"id":"s","name":"S","description":"d","tags":[]}]}
            """;
    }

    public async Task DisposeAsync() => await _server!.DisposeAsync();

    public void Dispose() => _http.Dispose();

    private IA2AClient Client(string? version = null) =>
        A2AClient.Create(_http, _server!.BaseUrl, new A2AClientOptions { TimeProvider = _time, OnResumed = _resumes.Add, ProtocolVersion = version });

    private static string Task03(string id, string state, string extra = "") =>
        "{\"kind\":\"task\",\"id\":\"" + id + "\",\"contextId\":\"ctx\",\"status\":{\"state\":\"" + state + "\"}" + extra + "}";

    private static string Status03(string id, string state, bool final) =>
        "{\"kind\":\"status-update\",\"taskId\":\"" + id + "\",\"contextId\":\"ctx\",\"status\":{\"state\":\"" + state + "\"},\"final\":" + (final ? "true" : "false") + "}";

    private static string Chunk03(string id, string text, bool append) =>
        "{\"kind\":\"artifact-update\",\"taskId\":\"" + id + "\",\"contextId\":\"ctx\",\"artifact\":{\"artifactId\":\"out\",\"parts\":[{\"kind\":\"text\",\"text\":\"" + text + "\"}]}"
        + (append ? ",\"append\":true" : "") + "}";

    [Fact]
    public async Task ConnectAsync_V03OnlyCard_UsesItsMainUrlAndKeepsTheV03Card()
    {
        var endpoint = await Client().GetEndpointAsync().Within();

        Assert.Equal(("JSONRPC", "0.3"), (endpoint.Interface.ProtocolBinding, endpoint.ProtocolVersion));
        Assert.Equal(_server!.RpcUrl.ToString(), endpoint.Interface.Url);
        Assert.Equal("0.3.0", endpoint.V03Card!.ProtocolVersion);
        Assert.True(endpoint.Card!.Capabilities.ExtendedAgentCard); // supportsAuthenticatedExtendedCard
    }

    [Fact]
    public async Task SendMessageAsync_V03_SendsMessageSendWithKindsAndBlockingAndMapsTheTask()
    {
        _handler = (c, call) => Wire.JsonAsync(c, Wire.Result(call, Task03("t1", "completed",
            ",\"artifacts\":[{\"artifactId\":\"out\",\"parts\":[{\"kind\":\"text\",\"text\":\"done\"},{\"kind\":\"file\",\"file\":{\"bytes\":\"AQI=\",\"mimeType\":\"application/octet-stream\"}}]}]")));

        var response = await Client().SendMessageAsync(Message.UserText("hello")).Within();

        var call = Assert.Single(_server!.Calls);
        Assert.Equal("message/send", call.Method);
        Assert.Equal("0.3", call.Headers["A2A-Version"]);
        var message = call.Params.GetProperty("message");
        Assert.Equal("message", message.GetProperty("kind").GetString());
        Assert.Equal("user", message.GetProperty("role").GetString());
        Assert.Equal("text", message.GetProperty("parts")[0].GetProperty("kind").GetString());
        Assert.True(call.Params.GetProperty("configuration").GetProperty("blocking").GetBoolean());
        var task = response.Task!;
        Assert.Equal(TaskState.Completed, task.Status.State);
        Assert.Equal("done", task.Artifacts![0].Parts[0].Text);
        Assert.Equal(new byte[] { 1, 2 }, task.Artifacts[0].Parts[1].Raw);
    }

    [Fact]
    public async Task SendMessageAsync_V03DirectReply_IsAMessage()
    {
        _handler = (c, call) => Wire.JsonAsync(c, Wire.Result(call, "{\"kind\":\"message\",\"messageId\":\"m\",\"role\":\"agent\",\"parts\":[{\"kind\":\"text\",\"text\":\"hi\"}]}"));

        var response = await Client().SendMessageAsync(Message.UserText("hello")).Within();

        Assert.Null(response.Task);
        Assert.Equal(Role.Agent, response.Message!.Role);
        Assert.Equal("hi", response.Message.GetText());
    }

    [Fact]
    public async Task SendStreamingMessageEventsAsync_V03Stream_MappedItemsWithIdsEndingAtFinal()
    {
        _handler = async (c, call) =>
        {
            await Wire.StartStreamAsync(c);
            string[] events = [Task03("t1", "submitted"), Status03("t1", "working", false), Chunk03("t1", "a", false), Chunk03("t1", "b", true), Status03("t1", "completed", true)];
            for (var i = 0; i < events.Length; i++)
            {
                await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, events[i]), i + 1));
            }
        };

        var events = await Client().SendStreamingMessageEventsAsync(new SendMessageRequest { Message = Message.UserText("go") }).CollectWithin();

        Assert.Equal("message/stream", _server!.Calls.Single().Method);
        Assert.Equal([1, 2, 3, 4, 5], events.Select(e => e.Id!.Value));
        Assert.Equal(TaskState.Submitted, events[0].Response.Task!.Status.State);
        Assert.Equal(TaskState.Working, events[1].Response.StatusUpdate!.Status.State);
        Assert.True(events[3].Response.ArtifactUpdate!.Append);
        var fold = new TaskFold();
        events.ForEach(fold.Apply);
        Assert.Equal("ab", fold.GetArtifactText("out"));
        Assert.Equal(TaskState.Completed, fold.State);
    }

    [Fact]
    public async Task SendStreamingMessageEventsAsync_V03StreamEndsEarly_ResubscribesWithLastEventId()
    {
        _handler = async (c, call) =>
        {
            await Wire.StartStreamAsync(c);
            if (call.Method == "message/stream")
            {
                await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Task03("t1", "submitted")), 1));
                await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Chunk03("t1", "a", false)), 2));
                return; // drops before the end
            }

            await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Chunk03("t1", "b", true)), 3));
            await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Status03("t1", "completed", true)), 4));
        };

        var events = await Client().SendStreamingMessageEventsAsync(new SendMessageRequest { Message = Message.UserText("go") }).CollectWithin();

        Assert.Equal([1, 2, 3, 4], events.Select(e => e.Id!.Value));
        var resubscribe = _server!.Calls.Last();
        Assert.Equal("tasks/resubscribe", resubscribe.Method);
        Assert.Equal("2", resubscribe.LastEventId);
        Assert.Equal("t1", resubscribe.Params.GetProperty("id").GetString());
        Assert.True(events[2].Resumed!.WithLastEventId);
    }

    [Fact]
    public async Task GetCancelAndList_V03_UseTasksMethodsAndListIsUnsupportedWithoutACall()
    {
        _handler = (c, call) => Wire.JsonAsync(c, Wire.Result(call, Task03(call.Params.GetProperty("id").GetString()!, call.Method == "tasks/cancel" ? "canceled" : "working")));
        var client = Client();

        var got = await client.GetTaskAsync("t1", historyLength: 2).Within();
        var canceled = await client.CancelTaskAsync("t1").Within();
        var list = await Assert.ThrowsAsync<A2AException>(() => client.ListTasksAsync(new ListTasksRequest())).Within();

        Assert.Equal(TaskState.Working, got.Status.State);
        Assert.Equal(TaskState.Canceled, canceled.Status.State);
        Assert.Equal(A2AErrorCodes.UnsupportedOperation, list.Code);
        Assert.Equal(["tasks/get", "tasks/cancel"], _server!.Calls.Select(c => c.Method));
        Assert.Equal(2, _server.Calls.First().Params.GetProperty("historyLength").GetInt32());
    }

    [Fact]
    public async Task PushConfigAndExtendedCard_V03_MethodNamesAndShapes()
    {
        const string config = "{\"taskId\":\"t1\",\"pushNotificationConfig\":{\"id\":\"p1\",\"url\":\"https://hook/\",\"authentication\":{\"schemes\":[\"Bearer\"]}}}";
        _handler = (c, call) => Wire.JsonAsync(c, Wire.Result(call, call.Method switch
        {
            "tasks/pushNotificationConfig/list" => "[" + config + "]",
            "tasks/pushNotificationConfig/delete" => "null",
            "agent/getAuthenticatedExtendedCard" => "{\"name\":\"Old agent (extended)\",\"description\":\"d\",\"url\":\"http://x/\",\"protocolVersion\":\"0.3.0\",\"skills\":[]}",
            _ => config,
        }));
        var client = Client();

        var created = await client.CreateTaskPushNotificationConfigAsync(new TaskPushNotificationConfig { TaskId = "t1", Url = "https://hook/", Authentication = new AuthenticationInfo { Scheme = "Bearer" } }).Within();
        var got = await client.GetTaskPushNotificationConfigAsync(new TaskPushNotificationConfigRequest { TaskId = "t1", Id = "p1" }).Within();
        var listed = await client.ListTaskPushNotificationConfigsAsync(new ListTaskPushNotificationConfigsRequest { TaskId = "t1" }).Within();
        await client.DeleteTaskPushNotificationConfigAsync(new TaskPushNotificationConfigRequest { TaskId = "t1", Id = "p1" }).Within();
        var card = await client.GetExtendedAgentCardAsync().Within();

        Assert.Equal(
            ["tasks/pushNotificationConfig/set", "tasks/pushNotificationConfig/get", "tasks/pushNotificationConfig/list", "tasks/pushNotificationConfig/delete", "agent/getAuthenticatedExtendedCard"],
            _server!.Calls.Select(c => c.Method));
        var calls = _server.Calls.ToArray();
        Assert.Equal("https://hook/", calls[0].Params.GetProperty("pushNotificationConfig").GetProperty("url").GetString());
        Assert.Equal("p1", calls[1].Params.GetProperty("pushNotificationConfigId").GetString());
        Assert.Equal("t1", calls[2].Params.GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Object, calls[4].Params.ValueKind);
        Assert.Equal(("p1", "t1", "Bearer"), (created.Id, created.TaskId, created.Authentication!.Scheme));
        Assert.Equal("https://hook/", got.Url);
        Assert.Single(listed.Configs);
        Assert.Equal("Old agent (extended)", card.Name);
    }

    [Fact]
    public async Task SendMessageAsync_V03ResultWithBadBase64_ThrowsInvalidResponse()
    {
        _handler = (c, call) => Wire.JsonAsync(c, Wire.Result(call, Task03("t1", "completed",
            ",\"artifacts\":[{\"artifactId\":\"out\",\"parts\":[{\"kind\":\"file\",\"file\":{\"bytes\":\"***\"}}]}]")));

        await Assert.ThrowsAsync<A2AInvalidResponseException>(() => Client().SendMessageAsync(Message.UserText("x"))).Within();
    }

    [Fact]
    public async Task GetTaskAsync_V03Error_ThrowsServerCode()
    {
        _handler = (c, call) => Wire.JsonAsync(c, "{\"jsonrpc\":\"2.0\",\"id\":" + call.IdJson + ",\"error\":{\"code\":-32001,\"message\":\"Task not found\",\"data\":{\"taskId\":\"t9\"}}}");

        var error = await Assert.ThrowsAsync<A2AException>(() => Client().GetTaskAsync("t9")).Within();

        Assert.Equal(A2AErrorCodes.TaskNotFound, error.Code);
        Assert.Equal("Task not found", error.Message);
    }

    [Fact]
    public async Task Client_PinnedV03_UsesV03EvenWhenTheCardAlsoOffersV10()
    {
        _server!.CardJson = $$"""
            {"name":"Both","description":"d","url":"{{_server.RpcUrl}}","protocolVersion":"0.3.0",
             "supportedInterfaces":[{"url":"{{_server.RpcUrl}}","protocolBinding":"JSONRPC","protocolVersion":"1.0"}]}
            """;
        _handler = (c, call) => Wire.JsonAsync(c, Wire.Result(call, Task03("t1", "working")));

        Assert.Equal("1.0", (await Client().GetEndpointAsync().Within()).ProtocolVersion); // the card's first entry
        await Client("0.3").GetTaskAsync("t1").Within();

        Assert.Equal("tasks/get", _server.Calls.Single().Method);
    }
}
