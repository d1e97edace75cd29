using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client;
using Herald.Grpc.Conversion;
using Herald.Grpc.Methods;
using Herald.Grpc.Service;
using Herald.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using P = Lf.A2a.V1;

namespace Herald.Grpc.Tests.EndToEnd;

/// <summary>
/// The test server as <c>herald serve</c> lays it out for gRPC: its HTTP/1.1 address first (card, JSON-RPC), then an
/// HTTP/2-only one for <c>lf.a2a.v1.A2AService</c>.
/// </summary>
public sealed class GrpcWireBinding : WireBinding
{
    public static readonly GrpcWireBinding Instance = new();

    public override string Name => "gRPC";

    public override void ConfigureBuilder(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // Endpoints configured in code replace UseUrls: the HTTP/1.1 one is listed again, first.
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2);
        });
        new Services(builder.Services).AddGrpc(); // the test server has called AddHerald already
    }

    public override void Map(WebApplication app, string pattern)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHerald(pattern);
        app.MapHeraldGrpc();
    }

    public override A2AWire Connect(HeraldTestServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        var addresses = server.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
        var grpc = addresses.Select(a => new Uri(a)).Single(a => a.Port != server.BaseAddress.Port);
        return new GrpcWire(grpc, "1.0");
    }

    private sealed class Services(IServiceCollection services) : Herald.Server.Hosting.IHeraldBuilder
    {
        IServiceCollection Herald.Server.Hosting.IHeraldBuilder.Services => services;
    }
}

/// <summary>
/// The gRPC binding (spec 10) as the suites drive it: requests from ProtoJSON into the generated messages
/// (Google.Protobuf's <c>JsonParser</c>), results back into ProtoJSON (<c>JsonFormatter</c>, which writes the names
/// and enum names the other bindings write). Every error is checked as gRPC: the status code of the spec's table
/// (5.4) for its <c>ErrorInfo</c> reason, domain <c>a2a-protocol.org</c>. Streams activate the resumable-streams
/// extension, so every item's id is read from its metadata (and taken out of the item, as Herald's client does).
/// </summary>
public sealed class GrpcWire : A2AWire, IDisposable
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default);
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default);

    private readonly Uri _address;
    private readonly GrpcChannel _channel;
    private readonly CallInvoker _invoker;

    public GrpcWire(Uri address, string? version)
    {
        _address = address;
        Version = version;
        _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
            MaxReceiveMessageSize = null,
        });
        _invoker = _channel.CreateCallInvoker();
    }

    public override string Binding => "GRPC";

    public override A2AWire WithVersion(string? version) => new GrpcWire(_address, version);

    public override async Task<JsonElement> SendMessageAsync(JsonObject request) =>
        Json(await UnaryAsync("SendMessage", Parse<P.SendMessageRequest>(request), P.SendMessageResponse.Parser));

    public override Task<WireStream> SendStreamingMessageAsync(JsonObject request) =>
        StreamAsync("SendStreamingMessage", Parse<P.SendMessageRequest>(request), null, read: true);

    public override async Task<JsonElement> GetTaskAsync(string id, int? historyLength = null, long? currentGeneration = null)
    {
        var request = new P.GetTaskRequest { Id = id };
        if (historyLength is { } n)
        {
            request.HistoryLength = n;
        }

        if (currentGeneration is { } g)
        {
            request.CurrentGeneration = g;
        }

        return Json(await UnaryAsync("GetTask", request, P.Task.Parser));
    }

    public override async Task<JsonElement> ListTasksAsync(JsonObject? request = null)
    {
        var response = await UnaryAsync("ListTasks", Parse<P.ListTasksRequest>(request ?? new JsonObject()), P.ListTasksResponse.Parser);

        // Proto3 writes no default values; the specification requires these members of the response (and Herald's
        // JSON has them): restore them so the suites read one shape.
        var json = JsonNode.Parse(Formatter.Format(response))!.AsObject();
        json["tasks"] ??= new JsonArray();
        json["nextPageToken"] ??= "";
        json["pageSize"] ??= 0;
        json["totalSize"] ??= 0;
        using var document = JsonDocument.Parse(json.ToJsonString());
        return document.RootElement.Clone();
    }

    public override async Task<JsonElement> CancelTaskAsync(string id) =>
        Json(await UnaryAsync("CancelTask", new P.CancelTaskRequest { Id = id }, P.Task.Parser));

    public override Task<WireStream> SubscribeToTaskAsync(string id, string? lastEventId = null, bool read = true) =>
        StreamAsync("SubscribeToTask", new P.SubscribeToTaskRequest { Id = id }, lastEventId, read);

    public override async Task<JsonElement> GetExtendedAgentCardAsync() =>
        Json(await UnaryAsync("GetExtendedAgentCard", new P.GetExtendedAgentCardRequest(), P.AgentCard.Parser));

    public override async Task<JsonElement> PushConfigAsync(PushConfigOperation operation, string taskId) => operation switch
    {
        PushConfigOperation.Create => Json(await UnaryAsync("CreateTaskPushNotificationConfig",
            new P.TaskPushNotificationConfig { TaskId = taskId, Url = "https://example.com/hook" }, P.TaskPushNotificationConfig.Parser)),
        PushConfigOperation.Get => Json(await UnaryAsync("GetTaskPushNotificationConfig",
            new P.GetTaskPushNotificationConfigRequest { TaskId = taskId, Id = "c" }, P.TaskPushNotificationConfig.Parser)),
        PushConfigOperation.List => Json(await UnaryAsync("ListTaskPushNotificationConfigs",
            new P.ListTaskPushNotificationConfigsRequest { TaskId = taskId }, P.ListTaskPushNotificationConfigsResponse.Parser)),
        _ => Json(await UnaryAsync("DeleteTaskPushNotificationConfig",
            new P.DeleteTaskPushNotificationConfigRequest { TaskId = taskId, Id = "c" }, Google.Protobuf.WellKnownTypes.Empty.Parser)),
    };

    public void Dispose() => _channel.Dispose();

    /// <summary>A message as ProtoJSON text, the way <see cref="WireEvent.Data"/> and results carry it.</summary>
    public static string Text(IMessage message) => Formatter.Format(message);

    private static T Parse<T>(JsonObject request)
        where T : IMessage<T>, new() => Parser.Parse<T>(request.ToJsonString());

    private static JsonElement Json(IMessage message)
    {
        using var document = JsonDocument.Parse(Formatter.Format(message));
        return document.RootElement.Clone();
    }

    private Metadata Headers(string? lastEventId, bool stream)
    {
        var headers = new Metadata();
        if (Version is not null)
        {
            headers.Add("a2a-version", Version);
        }

        if (stream)
        {
            headers.Add(GrpcEventIds.ExtensionsKey, HeraldExtensionUris.ResumableStreams);
        }

        if (lastEventId is not null)
        {
            headers.Add(GrpcEventIds.LastEventIdKey, lastEventId);
        }

        return headers;
    }

    private async Task<TResponse> UnaryAsync<TRequest, TResponse>(string method, TRequest request, MessageParser<TResponse> parser)
        where TRequest : class, IMessage<TRequest>, IBufferMessage, new()
        where TResponse : class, IMessage<TResponse>, IBufferMessage
    {
        var definition = new Method<TRequest, TResponse>(MethodType.Unary, A2AMethods.ServiceName, method,
            A2AMethods.MarshallerFor(new MessageParser<TRequest>(() => new TRequest())), A2AMethods.MarshallerFor(parser));
        try
        {
            return await _invoker.AsyncUnaryCall(definition, null, new CallOptions(Headers(null, stream: false), DateTime.UtcNow + Bounded.Timeout), request).ResponseAsync.Within();
        }
        catch (RpcException ex)
        {
            throw new WireException(ToWireError(ex));
        }
    }

    private async Task<WireStream> StreamAsync<TRequest>(string method, TRequest request, string? lastEventId, bool read)
        where TRequest : class, IMessage<TRequest>, IBufferMessage, new()
    {
        var definition = new Method<TRequest, P.StreamResponse>(MethodType.ServerStreaming, A2AMethods.ServiceName, method,
            A2AMethods.MarshallerFor(new MessageParser<TRequest>(() => new TRequest())), A2AMethods.MarshallerFor(P.StreamResponse.Parser));
        var call = _invoker.AsyncServerStreamingCall(definition, null, new CallOptions(Headers(lastEventId, stream: true)), request);
        var stream = new GrpcWireStream(call);

        // Open once the response headers are in, as the HTTP bindings are. A refused call is a trailers-only response:
        // its headers are its trailers, with Herald's error details; its status shows once it is read: thrown here, as
        // the HTTP bindings throw the error they get instead of a stream.
        var headers = await call.ResponseHeadersAsync.Within();
        if (headers.Any(h => h.Key == "grpc-status-details-bin"))
        {
            stream.StartReading();
            await stream.FirstAsync();
        }
        else if (read)
        {
            stream.StartReading();
        }

        return stream;
    }

    /// <summary>The status as an A2A error, after checking it is the spec's gRPC status for the ErrorInfo reason (5.4).</summary>
    internal static WireError ToWireError(RpcException exception)
    {
        var status = exception.GetRpcStatus();
        Assert.True(status is not null, $"gRPC {exception.StatusCode} without google.rpc.Status details: {exception.Status.Detail}");
        var info = status.GetDetail<ErrorInfo>();
        Assert.True(info is not null, $"gRPC {exception.StatusCode} without an ErrorInfo: {status}");
        Assert.Equal("a2a-protocol.org", info.Domain);
        var code = CodeFor(info.Reason);
        Assert.True(GrpcErrors.StatusFor(code) == exception.StatusCode, $"{info.Reason} must be {GrpcErrors.StatusFor(code)}, not {exception.StatusCode}");
        var field = status.GetDetail<BadRequest>()?.FieldViolations.FirstOrDefault()?.Field;
        return new WireError(code, info.Reason, exception.Status.Detail, field, new Dictionary<string, string>(info.Metadata), status.ToString());
    }

    private static int CodeFor(string reason) =>
        new[]
        {
            A2AErrorCodes.ParseError, A2AErrorCodes.InvalidRequest, A2AErrorCodes.MethodNotFound, A2AErrorCodes.InvalidParams,
            A2AErrorCodes.TaskNotFound, A2AErrorCodes.TaskNotCancelable, A2AErrorCodes.PushNotificationNotSupported,
            A2AErrorCodes.UnsupportedOperation, A2AErrorCodes.ContentTypeNotSupported, A2AErrorCodes.InvalidAgentResponse,
            A2AErrorCodes.ExtendedAgentCardNotConfigured, A2AErrorCodes.ExtensionSupportRequired, A2AErrorCodes.VersionNotSupported,
            A2AErrorCodes.TaskGenerationMismatch,
        }.FirstOrDefault(c => A2AErrorCodes.Reason(c) == reason, A2AErrorCodes.InternalError);
}

/// <summary>One server-streaming call read in the background into a queue of items; the status that ends it, if not OK, as an error item.</summary>
internal sealed class GrpcWireStream(AsyncServerStreamingCall<P.StreamResponse> call) : WireStream
{
    private readonly Channel<WireEvent> _items = Channel.CreateUnbounded<WireEvent>();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private WireEvent? _first;
    private int _started;

    public override Task Ended => _ended.Task;

    public override void StartReading()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _ = ReadAsync();
        }
    }

    /// <summary>Waits for the first item and keeps it for <see cref="NextAsync"/>; a refusal before it throws <see cref="WireException"/>.</summary>
    public async Task FirstAsync()
    {
        if (!await _items.Reader.WaitToReadAsync().AsTask().Within())
        {
            return; // ended without items
        }

        _items.Reader.TryRead(out var first);
        if (first!.Error is { } error && first.Response is null)
        {
            throw new WireException(error);
        }

        _first = first;
    }

    public override async Task<WireEvent> NextAsync()
    {
        if (Interlocked.Exchange(ref _first, null) is { } first)
        {
            return first;
        }

        Assert.True(await _items.Reader.WaitToReadAsync().AsTask().Within(), "The stream ended before the expected item.");
        _items.Reader.TryRead(out var item);
        return item!;
    }

    public override async Task<List<WireEvent>> ReadToEndAsync(TimeSpan? timeout = null)
    {
        var list = new List<WireEvent>();
        if (Interlocked.Exchange(ref _first, null) is { } first)
        {
            list.Add(first);
        }

        using var limit = new CancellationTokenSource(timeout ?? Bounded.Timeout);
        try
        {
            await foreach (var item in _items.Reader.ReadAllAsync(limit.Token))
            {
                list.Add(item);
            }
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested)
        {
            Assert.Fail($"The stream did not end within {(timeout ?? Bounded.Timeout).TotalSeconds} s; it had {list.Count} item(s).");
        }

        return list;
    }

    public override ValueTask DisposeAsync()
    {
        _stop.Cancel();
        call.Dispose();
        _stop.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task ReadAsync()
    {
        try
        {
            while (await call.ResponseStream.MoveNext(_stop.Token))
            {
                var message = call.ResponseStream.Current;
                var id = GrpcEventIds.Take(message);
                var text = GrpcWire.Text(message);
                using var document = JsonDocument.Parse(text);
                _items.Writer.TryWrite(new WireEvent(id, text, document.RootElement.Clone(), null));
            }
        }
        catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled || !_stop.IsCancellationRequested)
        {
            if (ex.GetRpcStatus() is not null)
            {
                var error = GrpcWire.ToWireError(ex);
                _items.Writer.TryWrite(new WireEvent(null, error.Raw, null, error));
            }
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException or ObjectDisposedException)
        {
            // Disposed by the test.
        }
        finally
        {
            _items.Writer.TryComplete();
            _ended.TrySetResult();
        }
    }
}
