using System.Globalization;
using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using P = Lf.A2a.V1;

namespace Herald.LoadGen;

/// <summary>
/// The gRPC binding (<c>--binding grpc</c>): <c>lf.a2a.v1.A2AService</c> called with the generated messages on
/// one channel that opens more HTTP/2 connections as streams need them (a server allows 100 streams per
/// connection by default). Stream messages keep their received bytes, for the fingerprint of each sequence.
/// </summary>
internal sealed class GrpcWire : IDisposable
{
    private const string Service = "lf.a2a.v1.A2AService";

    private static readonly Marshaller<P.SendMessageRequest> SendRequest = Marshallers.Create(m => m.ToByteArray(), P.SendMessageRequest.Parser.ParseFrom);
    private static readonly Marshaller<P.SubscribeToTaskRequest> SubscribeRequest = Marshallers.Create(m => m.ToByteArray(), P.SubscribeToTaskRequest.Parser.ParseFrom);
    private static readonly Marshaller<RawMessage> Item = Marshallers.Create(
        _ => throw new NotSupportedException(),
        bytes => new RawMessage(bytes, P.StreamResponse.Parser.ParseFrom(bytes)));

    private static readonly Method<P.SendMessageRequest, RawMessage> StreamMethod =
        new(MethodType.ServerStreaming, Service, "SendStreamingMessage", SendRequest, Item);

    private static readonly Method<P.SubscribeToTaskRequest, RawMessage> SubscribeMethod =
        new(MethodType.ServerStreaming, Service, "SubscribeToTask", SubscribeRequest, Item);

    private static readonly Method<P.SendMessageRequest, P.SendMessageResponse> SendMethod =
        new(MethodType.Unary, Service, "SendMessage", SendRequest, Marshallers.Create(m => m.ToByteArray(), P.SendMessageResponse.Parser.ParseFrom));

    private readonly GrpcChannel _channel;
    private readonly CallInvoker _invoker;

    public GrpcWire(Uri url)
    {
        _channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                UseProxy = false,
                AutomaticDecompression = DecompressionMethods.None,
                EnableMultipleHttp2Connections = true,
                ConnectTimeout = TimeSpan.FromSeconds(10),
            },
            MaxReceiveMessageSize = null,
        });
        _invoker = _channel.CreateCallInvoker();
    }

    public AsyncServerStreamingCall<RawMessage> StreamMessage(string text, CancellationToken cancellationToken) =>
        _invoker.AsyncServerStreamingCall(StreamMethod, null, Options(cancellationToken), Message(text));

    public AsyncServerStreamingCall<RawMessage> Subscribe(string taskId, CancellationToken cancellationToken) =>
        _invoker.AsyncServerStreamingCall(SubscribeMethod, null, Options(cancellationToken), new P.SubscribeToTaskRequest { Id = taskId });

    /// <summary>SendMessage with returnImmediately: the task's id as soon as it exists.</summary>
    public async Task<string> StartTaskAsync(string text, CancellationToken cancellationToken)
    {
        var request = Message(text);
        request.Configuration = new P.SendMessageConfiguration { ReturnImmediately = true };
        var response = await _invoker.AsyncUnaryCall(SendMethod, null, Options(cancellationToken), request).ResponseAsync.ConfigureAwait(false);
        return response.PayloadCase == P.SendMessageResponse.PayloadOneofCase.Task
            ? response.Task.Id
            : throw new InvalidOperationException("SendMessage did not return a task: " + response);
    }

    /// <summary>What the recorder needs from one stream message, as <see cref="EventParser"/> reads it from an SSE event.</summary>
    public static EventInfo Info(P.StreamResponse message)
    {
        var info = default(EventInfo);
        switch (message.PayloadCase)
        {
            case P.StreamResponse.PayloadOneofCase.Task:
                info.Kind = EventKind.Task;
                info.TaskId = message.Task.Id;
                info.State = State(message.Task.Status?.State);
                info.HasArtifacts = message.Task.Artifacts.Count > 0;
                break;
            case P.StreamResponse.PayloadOneofCase.Message:
                info.Kind = EventKind.Message;
                break;
            case P.StreamResponse.PayloadOneofCase.StatusUpdate:
                info.Kind = EventKind.Status;
                info.State = State(message.StatusUpdate.Status?.State);
                break;
            case P.StreamResponse.PayloadOneofCase.ArtifactUpdate:
                info.Kind = EventKind.Artifact;
                if (message.ArtifactUpdate.Artifact is { Parts.Count: > 0 } artifact)
                {
                    info.ChunkNumber = EventParser.ChunkNumberOfText(artifact.Parts[0].Text);
                }

                if (message.ArtifactUpdate.Artifact?.Metadata?.Fields.TryGetValue("benchTsUs", out var ts) == true)
                {
                    info.TimestampUs = ts.KindCase == Google.Protobuf.WellKnownTypes.Value.KindOneofCase.StringValue
                        ? long.Parse(ts.StringValue, CultureInfo.InvariantCulture)
                        : (long)ts.NumberValue;
                }

                break;
        }

        return info;
    }

    public void Dispose() => _channel.Dispose();

    private static CallOptions Options(CancellationToken cancellationToken) =>
        new(new Metadata { { "a2a-version", "1.0" } }, cancellationToken: cancellationToken);

    private static P.SendMessageRequest Message(string text) => new()
    {
        Message = new P.Message { MessageId = Guid.NewGuid().ToString("N"), Role = P.Role.User, Parts = { new P.Part { Text = text } } },
    };

    /// <summary>The v0.3 spelling <see cref="EventInfo"/> uses (<c>completed</c>, <c>input-required</c>).</summary>
    private static string? State(P.TaskState? state) => state switch
    {
        P.TaskState.Submitted => "submitted",
        P.TaskState.Working => "working",
        P.TaskState.Completed => "completed",
        P.TaskState.Failed => "failed",
        P.TaskState.Canceled => "canceled",
        P.TaskState.InputRequired => "input-required",
        P.TaskState.Rejected => "rejected",
        P.TaskState.AuthRequired => "auth-required",
        _ => null,
    };
}

/// <summary>One stream message and the bytes it arrived as.</summary>
internal sealed record RawMessage(byte[] Bytes, P.StreamResponse Message);
