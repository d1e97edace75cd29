using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;
using Herald.Grpc.Conversion;
using Herald.Grpc.Methods;
using Herald.Grpc.Service;
using Herald.Protocol;
using P = Lf.A2a.V1;

namespace Herald.Grpc.Tests.Infrastructure;

/// <summary>
/// The A2AService called with the generated messages, as any gRPC client would: metadata chosen by the
/// test (by default <c>a2a-version: 1.0</c>), statuses and trailers as they arrive.
/// </summary>
internal sealed class RawA2AClient(CallInvoker invoker)
{
    public RawA2AClient(global::Grpc.Net.Client.GrpcChannel channel)
        : this(channel.CreateCallInvoker())
    {
    }

    public static Metadata V1 => new() { { "a2a-version", "1.0" } };

    /// <summary>a2a-version 1.0 and the resumable-streams extension activated.</summary>
    public static Metadata WithIds => new() { { "a2a-version", "1.0" }, { GrpcEventIds.ExtensionsKey, HeraldExtensionUris.ResumableStreams } };

    public Task<P.SendMessageResponse> SendMessageAsync(P.SendMessageRequest request, Metadata? headers = null) =>
        UnaryAsync("SendMessage", request, P.SendMessageResponse.Parser, headers);

    public Task<P.Task> GetTaskAsync(string id, int? historyLength = null, Metadata? headers = null)
    {
        var request = new P.GetTaskRequest { Id = id };
        if (historyLength is { } n)
        {
            request.HistoryLength = n;
        }

        return UnaryAsync("GetTask", request, P.Task.Parser, headers);
    }

    public Task<P.ListTasksResponse> ListTasksAsync(P.ListTasksRequest request, Metadata? headers = null) =>
        UnaryAsync("ListTasks", request, P.ListTasksResponse.Parser, headers);

    public Task<P.Task> CancelTaskAsync(string id, Metadata? headers = null) =>
        UnaryAsync("CancelTask", new P.CancelTaskRequest { Id = id }, P.Task.Parser, headers);

    public Task<P.AgentCard> GetExtendedAgentCardAsync(Metadata? headers = null) =>
        UnaryAsync("GetExtendedAgentCard", new P.GetExtendedAgentCardRequest(), P.AgentCard.Parser, headers);

    public Task<TResponse> UnaryAsync<TRequest, TResponse>(string method, TRequest request, MessageParser<TResponse> parser, Metadata? headers = null)
        where TRequest : class, IMessage<TRequest>, IBufferMessage, new()
        where TResponse : class, IMessage<TResponse>, IBufferMessage
    {
        var definition = new Method<TRequest, TResponse>(MethodType.Unary, A2AMethods.ServiceName, method,
            A2AMethods.MarshallerFor(new MessageParser<TRequest>(() => new TRequest())),
            A2AMethods.MarshallerFor(parser));
        return invoker.AsyncUnaryCall(definition, null, new CallOptions(headers ?? V1, DateTime.UtcNow + Bounded.Timeout), request).ResponseAsync;
    }

    public RawStream SendStreamingMessage(P.SendMessageRequest request, Metadata? headers = null) =>
        Stream("SendStreamingMessage", request, headers);

    public RawStream SubscribeToTask(string id, string? lastEventId = null, Metadata? headers = null)
    {
        headers ??= WithIds;
        if (lastEventId is not null)
        {
            headers.Add(GrpcEventIds.LastEventIdKey, lastEventId);
        }

        return Stream("SubscribeToTask", new P.SubscribeToTaskRequest { Id = id }, headers);
    }

    private RawStream Stream<TRequest>(string method, TRequest request, Metadata? headers)
        where TRequest : class, IMessage<TRequest>, IBufferMessage, new()
    {
        var definition = new Method<TRequest, P.StreamResponse>(MethodType.ServerStreaming, A2AMethods.ServiceName, method,
            A2AMethods.MarshallerFor(new MessageParser<TRequest>(() => new TRequest())),
            A2AMethods.MarshallerFor(P.StreamResponse.Parser));
        var cts = Bounded.Token();
        return new RawStream(invoker.AsyncServerStreamingCall(definition, null, new CallOptions(headers ?? WithIds, cancellationToken: cts.Token), request), cts);
    }

    /// <summary>A message with one user text part.</summary>
    public static P.SendMessageRequest Text(string text = "hello", string? taskId = null, bool returnImmediately = false)
    {
        var request = new P.SendMessageRequest
        {
            Message = new P.Message { MessageId = Guid.NewGuid().ToString("N"), Role = P.Role.User, TaskId = taskId ?? "", Parts = { new P.Part { Text = text } } },
        };
        if (returnImmediately)
        {
            request.Configuration = new P.SendMessageConfiguration { ReturnImmediately = true };
        }

        return request;
    }

    /// <summary>Asserts an A2A error status: the gRPC code and the ErrorInfo (domain a2a-protocol.org) with <paramref name="reason"/>; returns the details.</summary>
    public static async Task<(RpcException Error, ErrorInfo Info, BadRequest? BadRequest)> AssertErrorAsync(Func<Task> call, StatusCode code, string reason)
    {
        var error = await Assert.ThrowsAsync<RpcException>(call).Within();
        Assert.True(code == error.StatusCode, $"Expected {code}, got {error.Status}");
        Assert.False(string.IsNullOrWhiteSpace(error.Status.Detail));
        Assert.DoesNotContain("Exception", error.Status.Detail, StringComparison.Ordinal);
        var status = error.GetRpcStatus();
        Assert.NotNull(status);
        Assert.Equal((int)code, status.Code);
        var info = status.GetDetail<ErrorInfo>();
        Assert.NotNull(info);
        Assert.Equal("a2a-protocol.org", info.Domain);
        Assert.Equal(reason, info.Reason);
        return (error, info, status.GetDetail<BadRequest>());
    }
}

/// <summary>One server-streaming call: items in order with the event id the server put in their metadata.</summary>
internal sealed class RawStream(AsyncServerStreamingCall<P.StreamResponse> call, CancellationTokenSource limit) : IAsyncDisposable
{
    public AsyncServerStreamingCall<P.StreamResponse> Call => call;

    /// <summary>Completes when the response headers arrived (for a refused call, its trailers-only response).</summary>
    public Task<Metadata> HeadersAsync() => call.ResponseHeadersAsync.Within();

    /// <summary>The next item; fails if the stream ends first.</summary>
    public async Task<RawItem> NextAsync()
    {
        Assert.True(await call.ResponseStream.MoveNext(limit.Token).Within(), "The stream ended before the expected item.");
        return RawItem.From(call.ResponseStream.Current);
    }

    public async Task<List<RawItem>> NextAsync(int count)
    {
        var items = new List<RawItem>();
        for (var i = 0; i < count; i++)
        {
            items.Add(await NextAsync());
        }

        return items;
    }

    /// <summary>Every remaining item, until the server ends the call (with status OK).</summary>
    public async Task<List<RawItem>> ReadToEndAsync()
    {
        var items = new List<RawItem>();
        while (await call.ResponseStream.MoveNext(limit.Token).Within())
        {
            items.Add(RawItem.From(call.ResponseStream.Current));
        }

        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        return items;
    }

    public ValueTask DisposeAsync()
    {
        call.Dispose();
        limit.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>One stream item: the message as received, and the event id taken from its metadata (a copy is kept).</summary>
internal sealed record RawItem(P.StreamResponse Message, P.StreamResponse Stripped, string? Id)
{
    public static RawItem From(P.StreamResponse message)
    {
        var stripped = message.Clone();
        var id = GrpcEventIds.Take(stripped);
        return new RawItem(message, stripped, id);
    }

    public long Sequence => long.Parse(Id!, System.Globalization.CultureInfo.InvariantCulture);

    public P.StreamResponse.PayloadOneofCase Kind => Message.PayloadCase;

    public P.TaskState? State => Message.PayloadCase switch
    {
        P.StreamResponse.PayloadOneofCase.StatusUpdate => Message.StatusUpdate.Status.State,
        P.StreamResponse.PayloadOneofCase.Task => Message.Task.Status.State,
        _ => null,
    };

    public string? Text => Message.ArtifactUpdate?.Artifact.Parts.FirstOrDefault()?.Text;
}
