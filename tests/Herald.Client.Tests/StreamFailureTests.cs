using Herald.Testing;
using System.Net;
using Herald.Client.Tests.Infrastructure;
using Herald.Protocol;
using Microsoft.AspNetCore.Http;

namespace Herald.Client.Tests;

/// <summary>Each way a server can fail a call or a stream, and the typed exception it produces.</summary>
public sealed class StreamFailureTests : IAsyncLifetime, IDisposable
{
    private readonly HttpClient _http = new() { Timeout = Bounded.Timeout };
    private readonly RecordingTimeProvider _time = new();
    private FakeAgentServer? _server;
    private Func<HttpContext, RpcCall, Task> _handler = (_, _) => Task.CompletedTask;

    public async Task InitializeAsync() => _server = await FakeAgentServer.StartAsync((c, call) => _handler(c, call));

    public async Task DisposeAsync() => await _server!.DisposeAsync();

    public void Dispose() => _http.Dispose();

    private IA2AClient Client(bool autoResume = false, int maxEventSize = 1024) => A2AClient.Create(
        _http,
        new AgentInterface { Url = _server!.RpcUrl.ToString(), ProtocolBinding = "JSONRPC", ProtocolVersion = "1.0" },
        new A2AClientOptions { AutoResume = autoResume, MaxEventSize = maxEventSize, MaxResumeAttempts = 3, TimeProvider = _time });

    private static readonly SendMessageRequest Hello = new() { Message = Message.UserText("hello") };

    private static Task<List<StreamResponse>> Stream(IA2AClient client) => client.SendStreamingMessageAsync(Hello).CollectWithin();

    [Fact]
    public async Task SendStreamingMessageAsync_Http500WithText_ThrowsA2AHttpExceptionWithBody()
    {
        _handler = async (c, _) =>
        {
            c.Response.StatusCode = 500;
            await c.Response.WriteAsync("database on fire");
        };

        var error = await Assert.ThrowsAsync<A2AHttpException>(() => Stream(Client())).Within();

        Assert.Equal(HttpStatusCode.InternalServerError, error.StatusCode);
        Assert.Contains("database on fire", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetTaskAsync_Http503WithJsonRpcError_ThrowsServerCodeNotHttpError()
    {
        _handler = (c, call) => Wire.JsonAsync(c, Wire.Error(call, A2AErrorCodes.InternalError, "overloaded"), 503);

        var error = await Assert.ThrowsAsync<A2AException>(() => Client().GetTaskAsync("t1")).Within();

        Assert.Equal(typeof(A2AException), error.GetType());
        Assert.Equal(A2AErrorCodes.InternalError, error.Code);
        Assert.Equal("overloaded", error.Message);
    }

    [Fact]
    public async Task SendStreamingMessageAsync_JsonErrorInsteadOfStream_ThrowsA2AExceptionWithServerCodeAndDetails()
    {
        _handler = (c, call) => Wire.JsonAsync(c, Wire.Error(call, A2AErrorCodes.TaskNotFound, "Task 't9' was not found."));

        var error = await Assert.ThrowsAsync<A2AException>(() => Stream(Client())).Within();

        Assert.Equal(typeof(A2AException), error.GetType());
        Assert.Equal(A2AErrorCodes.TaskNotFound, error.Code);
        Assert.Equal("Task 't9' was not found.", error.Message);
        Assert.Equal("t-meta", error.Details!["taskId"]);
        Assert.NotNull(error.ErrorData);
    }

    [Fact]
    public async Task SendStreamingMessageAsync_HtmlInsteadOfStream_ThrowsInvalidResponse()
    {
        _handler = async (c, _) =>
        {
            c.Response.ContentType = "text/html";
            await c.Response.WriteAsync("<html>login</html>");
        };

        var error = await Assert.ThrowsAsync<A2AInvalidResponseException>(() => Stream(Client())).Within();

        Assert.Contains("text/html", error.Message, StringComparison.Ordinal);
        Assert.Equal(A2AErrorCodes.InvalidAgentResponse, error.Code);
    }

    [Fact]
    public async Task SendStreamingMessageAsync_BrokenJsonInDataLine_ThrowsInvalidResponseEvenWithAutoResume()
    {
        _handler = async (c, call) =>
        {
            await Wire.StartStreamAsync(c);
            await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Wire.Task("t1")), 1));
            await Wire.WriteAsync(c, "id: 2\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"statusUpd\n\n");
        };
        var received = new List<StreamResponse>();

        var error = await Assert.ThrowsAsync<A2AInvalidResponseException>(async () =>
        {
            await foreach (var item in Client(autoResume: true).SendStreamingMessageAsync(Hello))
            {
                received.Add(item);
            }
        }).Within();

        Assert.Single(received);
        Assert.IsAssignableFrom<System.Text.Json.JsonException>(error.InnerException);
        Assert.Single(_server!.Calls); // not retried: a broken event is not a broken connection
    }

    [Fact]
    public async Task SendStreamingMessageAsync_OversizedLine_ThrowsTooLargeBeforeTheLineEnds()
    {
        var release = Bounded.NewSignal();
        _handler = async (c, call) =>
        {
            await Wire.StartStreamAsync(c);
            await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Wire.Task("t1")), 1));
            await Wire.WriteAsync(c, "data: " + new string('x', 5000)); // no line end, and the server stays open
            await release.Task.WaitAsync(c.RequestAborted);
        };

        try
        {
            var error = await Assert.ThrowsAsync<A2AResponseTooLargeException>(() => Stream(Client(maxEventSize: 1024))).Within();
            Assert.Equal(1024, error.Limit);
        }
        finally
        {
            release.TrySetResult();
        }
    }

    [Fact]
    public async Task SendStreamingMessageAsync_EventsUnderTheLimit_AreNotCountedTogether()
    {
        _handler = async (c, call) =>
        {
            await Wire.StartStreamAsync(c);
            await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Wire.Task("t1")), 1));
            for (var i = 0; i < 20; i++)
            {
                await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Wire.Chunk("t1", new string('y', 300))), i + 2).Replace("\n", "\r\n", StringComparison.Ordinal));
            }

            await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Wire.Status("t1", "TASK_STATE_COMPLETED")), 22));
        };

        var items = await Stream(Client(maxEventSize: 1024));

        Assert.Equal(22, items.Count);
    }

    [Fact]
    public async Task SendStreamingMessageAsync_EndsBeforeTerminalState_ThrowsStreamEndedWithPosition()
    {
        _handler = async (c, call) =>
        {
            await Wire.StartStreamAsync(c);
            await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Wire.Task("t1")), 1));
            await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Wire.Status("t1", "TASK_STATE_WORKING")), 2));
        };

        var error = await Assert.ThrowsAsync<A2AStreamEndedException>(() => Stream(Client())).Within();

        Assert.Equal("t1", error.TaskId);
        Assert.Equal(2, error.LastEventId);
        Assert.Null(error.InnerException);
        Assert.Equal(0, error.ResumeAttempts);
    }

    [Fact]
    public async Task SendStreamingMessageAsync_EndsEarlyEveryTime_GivesUpAfterMaxAttemptsWithGrowingDelays()
    {
        _handler = async (c, call) =>
        {
            await Wire.StartStreamAsync(c, retryMs: 100);
            if (call.Method == "SendStreamingMessage")
            {
                await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Wire.Task("t1")), 1));
            }
        };

        var error = await Assert.ThrowsAsync<A2AStreamEndedException>(() => Stream(Client(autoResume: true))).Within();

        Assert.Equal(3, error.ResumeAttempts);
        Assert.Equal(["SendStreamingMessage", "SubscribeToTask", "SubscribeToTask", "SubscribeToTask"], _server!.Calls.Select(c => c.Method));
        Assert.All(_server.Calls.Skip(1), c => Assert.Equal("1", c.LastEventId));
        var delays = _time.Delays.Select(d => d.TotalMilliseconds).ToArray();
        Assert.Equal(3, delays.Length);
        for (var i = 0; i < 3; i++)
        {
            var expected = 100 * Math.Pow(2, i);
            Assert.InRange(delays[i], expected, expected * 1.5);
        }
    }

    [Fact]
    public async Task SendStreamingMessageAsync_InStreamError_ThrowsStreamErrorWithServerCode()
    {
        _handler = async (c, call) =>
        {
            await Wire.StartStreamAsync(c);
            await Wire.WriteAsync(c, Wire.Event(Wire.Result(call, Wire.Task("t1")), 1));
            await Wire.WriteAsync(c, Wire.Event(Wire.Error(call, A2AErrorCodes.InternalError, "agent crashed")));
        };

        var error = await Assert.ThrowsAsync<A2AStreamErrorException>(() => Stream(Client(autoResume: true))).Within();

        Assert.Equal(A2AErrorCodes.InternalError, error.Code);
        Assert.Equal("agent crashed", error.Message);
        Assert.Single(_server!.Calls);
    }

    [Fact]
    public async Task GetTaskAsync_MalformedJson_ThrowsInvalidResponse()
    {
        _handler = (c, _) => Wire.JsonAsync(c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"id\":");

        var error = await Assert.ThrowsAsync<A2AInvalidResponseException>(() => Client().GetTaskAsync("t1")).Within();

        Assert.Contains("not valid JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetTaskAsync_ResponseIdDiffers_ThrowsInvalidResponse()
    {
        _handler = (c, _) => Wire.JsonAsync(c, "{\"jsonrpc\":\"2.0\",\"id\":999,\"result\":" + Wire.Task("t1")[8..^1] + "}");

        var error = await Assert.ThrowsAsync<A2AInvalidResponseException>(() => Client().GetTaskAsync("t1")).Within();

        Assert.Contains("id does not match", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetTaskAsync_ResultMissingRequiredField_ThrowsInvalidResponse()
    {
        _handler = (c, call) => Wire.JsonAsync(c, Wire.Result(call, "{\"contextId\":\"c\"}"));

        var error = await Assert.ThrowsAsync<A2AInvalidResponseException>(() => Client().GetTaskAsync("t1")).Within();

        Assert.Contains("AgentTask", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendMessageAsync_ResponseLargerThanLimit_ThrowsTooLarge()
    {
        _handler = (c, call) => Wire.JsonAsync(c, Wire.Result(call, "{\"message\":{\"messageId\":\"m\",\"parts\":[{\"text\":\"" + new string('z', 4096) + "\"}]}}"));
        var client = A2AClient.Create(_http, new AgentInterface { Url = _server!.RpcUrl.ToString(), ProtocolBinding = "JSONRPC", ProtocolVersion = "1.0" },
            new A2AClientOptions { MaxResponseSize = 1000 });

        var error = await Assert.ThrowsAsync<A2AResponseTooLargeException>(() => client.SendMessageAsync(Hello)).Within();

        Assert.Equal(1000, error.Limit);
    }

    [Fact]
    public async Task ListAllTasksAsync_ServerRepeatsPageToken_ThrowsInsteadOfLoopingForever()
    {
        _handler = (c, call) => Wire.JsonAsync(c, Wire.Result(call, "{\"tasks\":[],\"nextPageToken\":\"same\",\"pageSize\":1,\"totalSize\":9}"));

        await Assert.ThrowsAsync<A2AInvalidResponseException>(() => Client().ListAllTasksAsync().CollectWithin()).Within();

        Assert.Equal(2, _server!.Calls.Count);
    }
}
