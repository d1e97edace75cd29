using Google.Protobuf;
using Grpc.Core;
using P = Lf.A2a.V1;

namespace Herald.Grpc.Methods;

/// <summary>
/// The methods of <c>lf.a2a.v1.A2AService</c> (names, request and response messages, marshallers), one table
/// for both sides: the server binds them (Herald.Grpc's <c>A2AServiceMethods</c>) and the client calls them
/// (Herald.Client.Grpc's <c>GrpcA2ABinding</c>). A stub generated from <c>a2a.proto</c> in either assembly
/// would carry a second copy of the messages; this table uses the generated messages' own parsers instead.
/// The streaming methods take their response marshaller, as the server writes pre-encoded bytes while the
/// client reads <see cref="P.StreamResponse"/>s.
/// </summary>
internal static class A2AMethods
{
    public const string ServiceName = "lf.a2a.v1.A2AService";

    public static readonly Method<P.SendMessageRequest, P.SendMessageResponse> SendMessage =
        Unary("SendMessage", P.SendMessageRequest.Parser, P.SendMessageResponse.Parser);

    public static readonly Method<P.GetTaskRequest, P.Task> GetTask =
        Unary("GetTask", P.GetTaskRequest.Parser, P.Task.Parser);

    public static readonly Method<P.ListTasksRequest, P.ListTasksResponse> ListTasks =
        Unary("ListTasks", P.ListTasksRequest.Parser, P.ListTasksResponse.Parser);

    public static readonly Method<P.CancelTaskRequest, P.Task> CancelTask =
        Unary("CancelTask", P.CancelTaskRequest.Parser, P.Task.Parser);

    public static readonly Method<P.TaskPushNotificationConfig, P.TaskPushNotificationConfig> CreateTaskPushNotificationConfig =
        Unary("CreateTaskPushNotificationConfig", P.TaskPushNotificationConfig.Parser, P.TaskPushNotificationConfig.Parser);

    public static readonly Method<P.GetTaskPushNotificationConfigRequest, P.TaskPushNotificationConfig> GetTaskPushNotificationConfig =
        Unary("GetTaskPushNotificationConfig", P.GetTaskPushNotificationConfigRequest.Parser, P.TaskPushNotificationConfig.Parser);

    public static readonly Method<P.ListTaskPushNotificationConfigsRequest, P.ListTaskPushNotificationConfigsResponse> ListTaskPushNotificationConfigs =
        Unary("ListTaskPushNotificationConfigs", P.ListTaskPushNotificationConfigsRequest.Parser, P.ListTaskPushNotificationConfigsResponse.Parser);

    public static readonly Method<P.GetExtendedAgentCardRequest, P.AgentCard> GetExtendedAgentCard =
        Unary("GetExtendedAgentCard", P.GetExtendedAgentCardRequest.Parser, P.AgentCard.Parser);

    public static readonly Method<P.DeleteTaskPushNotificationConfigRequest, Google.Protobuf.WellKnownTypes.Empty> DeleteTaskPushNotificationConfig =
        Unary("DeleteTaskPushNotificationConfig", P.DeleteTaskPushNotificationConfigRequest.Parser, Google.Protobuf.WellKnownTypes.Empty.Parser);

    /// <summary>Reads and writes <see cref="P.StreamResponse"/> stream items (the client's side of the streams).</summary>
    public static readonly Marshaller<P.StreamResponse> StreamResponseMarshaller = MarshallerFor(P.StreamResponse.Parser);

    /// <summary><c>SendStreamingMessage</c>, with the stream items written and read by <paramref name="responseMarshaller"/>.</summary>
    public static Method<P.SendMessageRequest, TResponse> SendStreamingMessage<TResponse>(Marshaller<TResponse> responseMarshaller) =>
        new(MethodType.ServerStreaming, ServiceName, "SendStreamingMessage", SendMessage.RequestMarshaller, responseMarshaller);

    /// <summary><c>SubscribeToTask</c>, with the stream items written and read by <paramref name="responseMarshaller"/>.</summary>
    public static Method<P.SubscribeToTaskRequest, TResponse> SubscribeToTask<TResponse>(Marshaller<TResponse> responseMarshaller) =>
        new(MethodType.ServerStreaming, ServiceName, "SubscribeToTask", MarshallerFor(P.SubscribeToTaskRequest.Parser), responseMarshaller);

    /// <summary>A marshaller for a generated message, writing straight into the call's buffer.</summary>
    public static Marshaller<T> MarshallerFor<T>(MessageParser<T> parser)
        where T : class, IMessage<T>, IBufferMessage => new(
            static (message, context) =>
            {
                context.SetPayloadLength(message.CalculateSize());
                message.WriteTo(context.GetBufferWriter());
                context.Complete();
            },
            context => parser.ParseFrom(context.PayloadAsReadOnlySequence()));

    private static Method<TRequest, TResponse> Unary<TRequest, TResponse>(string name, MessageParser<TRequest> requestParser, MessageParser<TResponse> responseParser)
        where TRequest : class, IMessage<TRequest>, IBufferMessage
        where TResponse : class, IMessage<TResponse>, IBufferMessage =>
        new(MethodType.Unary, ServiceName, name, MarshallerFor(requestParser), MarshallerFor(responseParser));
}
