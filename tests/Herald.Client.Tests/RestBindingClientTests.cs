using System.Net;
using System.Text;
using Herald.Client.Tests.Infrastructure;
using Herald.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Herald.Client.Tests;

/// <summary>The REST binding against a server that answers what each test needs: errors in every shape the client may meet.</summary>
public sealed class RestBindingClientTests : IAsyncLifetime
{
    private const string ErrorInfo = "\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\",\"domain\":\"a2a-protocol.org\"";
    private WebApplication _app = null!;
    private Func<HttpContext, Task> _handler = _ => Task.CompletedTask;
    private Uri _base = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Run(context => _handler(context));
        await _app.StartAsync();
        var port = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        _base = new Uri($"http://127.0.0.1:{port}/agent");
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private IA2AClient Client(HttpClient http, string? tenant = null, A2AClientOptions? options = null) =>
        A2AClient.Create(http, new AgentInterface { Url = _base.ToString(), ProtocolBinding = "HTTP+JSON", ProtocolVersion = "1.0", Tenant = tenant }, options);

    private static async Task WriteAsync(HttpContext context, int status, string contentType, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        await context.Response.WriteAsync(body);
    }

    [Fact]
    public async Task AnyCall_GoogleRpcStatusWithErrorInfo_CodeComesFromTheReason()
    {
        _handler = c => WriteAsync(c, 400, "application/a2a+json",
            "{\"error\":{\"code\":400,\"status\":\"FAILED_PRECONDITION\",\"message\":\"cannot cancel\",\"details\":[{" + ErrorInfo + ",\"reason\":\"TASK_NOT_CANCELABLE\",\"metadata\":{\"taskId\":\"t1\"}}]}}");
        using var http = new HttpClient { Timeout = Bounded.Timeout };

        var error = await Assert.ThrowsAsync<A2AException>(() => Client(http).CancelTaskAsync("t1")).Within();

        Assert.Equal(A2AErrorCodes.TaskNotCancelable, error.Code);
        Assert.Equal("cannot cancel", error.Message);
        Assert.Equal("t1", error.Details!["taskId"]);
    }

    [Fact]
    public async Task AnyCall_StatusWithoutErrorInfo_CodeFromTheStatusNameAndFieldFromBadRequest()
    {
        _handler = c => WriteAsync(c, 400, "application/json",
            "{\"error\":{\"code\":400,\"status\":\"INVALID_ARGUMENT\",\"message\":\"bad size\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.BadRequest\",\"fieldViolations\":[{\"field\":\"pageSize\",\"description\":\"too big\"}]}]}}");
        using var http = new HttpClient { Timeout = Bounded.Timeout };

        var error = await Assert.ThrowsAsync<A2AException>(() => Client(http).ListTasksAsync(new ListTasksRequest { PageSize = 1000 })).Within();

        Assert.Equal(A2AErrorCodes.InvalidParams, error.Code);
        Assert.Equal("pageSize", error.Field);
    }

    [Fact]
    public async Task AnyCall_PlainHttpError_A2AHttpExceptionWithTheStatus()
    {
        _handler = c => WriteAsync(c, 404, "text/plain", "Cannot GET /agent/tasks/x");
        using var http = new HttpClient { Timeout = Bounded.Timeout };

        var error = await Assert.ThrowsAsync<A2AHttpException>(() => Client(http).GetTaskAsync("x")).Within();

        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Contains("Cannot GET", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stream_ErrorEvent_EndsTheStreamWithAStreamError()
    {
        _handler = async c =>
        {
            c.Response.ContentType = "text/event-stream";
            await c.Response.WriteAsync("data: " + Wire.Task("t1") + "\nid: 1\n\n");
            await c.Response.WriteAsync("event: error\ndata: {\"error\":{\"code\":500,\"status\":\"INTERNAL\",\"message\":\"Internal error\",\"details\":[{" + ErrorInfo + ",\"reason\":\"INTERNAL\"}]}}\n\n");
        };
        using var http = new HttpClient { Timeout = Bounded.Timeout };
        var seen = new List<StreamResponse>();

        var error = await Assert.ThrowsAsync<A2AStreamErrorException>(async () =>
        {
            await foreach (var item in Client(http).SendStreamingMessageAsync(new SendMessageRequest { Message = Message.UserText("x") }))
            {
                seen.Add(item);
            }
        }).Within();

        Assert.Equal("t1", Assert.Single(seen).Task!.Id);
        Assert.Equal(A2AErrorCodes.InternalError, error.Code);
    }

    [Fact]
    public async Task Stream_RefusedWithJsonInsteadOfAStream_ThrowsTheError()
    {
        _handler = c => WriteAsync(c, 404, "application/a2a+json",
            "{\"error\":{\"code\":404,\"status\":\"NOT_FOUND\",\"message\":\"no task\",\"details\":[{" + ErrorInfo + ",\"reason\":\"TASK_NOT_FOUND\"}]}}");
        using var http = new HttpClient { Timeout = Bounded.Timeout };

        var error = await Assert.ThrowsAsync<A2AException>(() => Client(http).SubscribeToTaskAsync("gone").CollectWithin()).Within();

        Assert.Equal(A2AErrorCodes.TaskNotFound, error.Code);
    }

    [Fact]
    public async Task AnyCall_TenantOfTheInterface_IsTheFirstPathSegment()
    {
        var paths = new List<string>();
        _handler = c =>
        {
            paths.Add(c.Request.Path.Value + c.Request.QueryString.Value);
            return WriteAsync(c, 200, "application/a2a+json", "{\"id\":\"t 1\",\"contextId\":\"c\",\"status\":{\"state\":\"TASK_STATE_COMPLETED\"}}");
        };
        using var http = new HttpClient { Timeout = Bounded.Timeout };

        var task = await Client(http, tenant: "acme corp").GetTaskAsync(new GetTaskRequest { Id = "t 1", HistoryLength = 0 }).Within();

        Assert.Equal("t 1", task.Id);
        Assert.Equal(["/agent/acme corp/tasks/t 1?historyLength=0"], paths);
    }

    /// <summary>
    /// A server that answers <c>tasks/t1:subscribe</c> (the spec's table says POST, a2a.proto says GET: either) with
    /// a2a-dotnet's answer to subscribing to a finished task, an event that is not a StreamResponse, and GetTask
    /// with the completed task. Every request is recorded as "METHOD path".
    /// </summary>
    private List<string> ServeNonStandardErrorOnSubscribe(Func<HttpContext, Task>? stream = null)
    {
        var calls = new List<string>();
        _handler = async c =>
        {
            var path = c.Request.Path.Value!;
            lock (calls)
            {
                calls.Add(c.Request.Method + " " + path);
            }

            switch (path)
            {
                case "/agent/message:stream" when stream is not null:
                    await stream(c);
                    break;
                case "/agent/tasks/t1:subscribe":
                    await Wire.StartStreamAsync(c);
                    await Wire.WriteAsync(c, Wire.Event("""{"error":"An internal error occurred during streaming."}"""));
                    break;
                case "/agent/tasks/t1" when HttpMethods.IsGet(c.Request.Method):
                    await WriteAsync(c, 200, "application/a2a+json", Wire.Task("t1", "TASK_STATE_COMPLETED")[8..^1]);
                    break;
                default:
                    await WriteAsync(c, 404, "text/plain", "not here");
                    break;
            }
        };
        return calls;
    }

    [Fact]
    public async Task SubscribeToTaskEventsAsync_NonStandardErrorEvent_FallsBackToGetTask()
    {
        var calls = ServeNonStandardErrorOnSubscribe();
        using var http = new HttpClient { Timeout = Bounded.Timeout };
        var client = Client(http, options: new A2AClientOptions { TimeProvider = new RecordingTimeProvider() });

        var events = await client.SubscribeToTaskEventsAsync(new SubscribeToTaskRequest { Id = "t1" }).CollectWithin();

        var only = Assert.Single(events);
        Assert.Equal(TaskState.Completed, only.Response.Task!.Status.State);
        Assert.Contains("An internal error occurred during streaming.", Assert.IsType<A2AInvalidResponseException>(only.FallbackCause).Message, StringComparison.Ordinal);
        Assert.Equal(2, calls.Count);
        Assert.EndsWith(" /agent/tasks/t1:subscribe", calls[0], StringComparison.Ordinal);
        Assert.Equal("GET /agent/tasks/t1", calls[1]);
    }

    [Fact]
    public async Task SendStreamingMessageEventsAsync_ResumedStreamCarriesANonStandardError_FallsBackToGetTaskQuotingIt()
    {
        var calls = ServeNonStandardErrorOnSubscribe(async c =>
        {
            await Wire.StartStreamAsync(c);
            await Wire.WriteAsync(c, Wire.Event(Wire.Task("t1"), 1)); // then drops
        });
        using var http = new HttpClient { Timeout = Bounded.Timeout };
        var client = Client(http, options: new A2AClientOptions { TimeProvider = new RecordingTimeProvider() });

        var events = await client.SendStreamingMessageEventsAsync(new SendMessageRequest { Message = Message.UserText("hello") }).CollectWithin();

        Assert.Equal(2, events.Count);
        Assert.Equal(TaskState.Submitted, events[0].Response.Task!.Status.State);
        Assert.Equal(TaskState.Completed, events[1].Response.Task!.Status.State);
        var cause = Assert.IsType<A2AInvalidResponseException>(events[1].FallbackCause);
        Assert.Contains("An internal error occurred during streaming.", cause.Message, StringComparison.Ordinal);
        Assert.Equal(3, calls.Count);
        Assert.Equal("POST /agent/message:stream", calls[0]);
        Assert.EndsWith(" /agent/tasks/t1:subscribe", calls[1], StringComparison.Ordinal);
        Assert.Equal("GET /agent/tasks/t1", calls[2]);
    }
}
