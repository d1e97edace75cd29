using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using P = Lf.A2a.V1;

namespace Herald.Grpc.Service;

/// <summary>
/// Binds <c>lf.a2a.v1.A2AService</c> by hand instead of through a generated base class: the streaming
/// methods then write <see cref="EncodedMessage"/>s (bytes shared by every stream) where a generated
/// binding would serialize a <c>StreamResponse</c> per stream. Requests and unary responses use the
/// generated messages' own parsers and writers.
/// </summary>
internal sealed class A2AServiceMethods : IServiceMethodProvider<A2AGrpcService>
{
    public const string ServiceName = "lf.a2a.v1.A2AService";

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<A2AGrpcService> context)
    {
        Unary(context, "SendMessage", P.SendMessageRequest.Parser, P.SendMessageResponse.Parser, (s, r, c) => s.SendMessageAsync(r, c));
        Streaming(context, "SendStreamingMessage", P.SendMessageRequest.Parser, (s, r, w, c) => s.SendStreamingMessageAsync(r, w, c));
        Unary(context, "GetTask", P.GetTaskRequest.Parser, P.Task.Parser, (s, r, c) => s.GetTaskAsync(r, c));
        Unary(context, "ListTasks", P.ListTasksRequest.Parser, P.ListTasksResponse.Parser, (s, r, c) => s.ListTasksAsync(r, c));
        Unary(context, "CancelTask", P.CancelTaskRequest.Parser, P.Task.Parser, (s, r, c) => s.CancelTaskAsync(r, c));
        Streaming(context, "SubscribeToTask", P.SubscribeToTaskRequest.Parser, (s, r, w, c) => s.SubscribeToTaskAsync(r, w, c));
        Unary(context, "CreateTaskPushNotificationConfig", P.TaskPushNotificationConfig.Parser, P.TaskPushNotificationConfig.Parser,
            (s, _, c) => s.PushNotConfiguredAsync<P.TaskPushNotificationConfig>(c));
        Unary(context, "GetTaskPushNotificationConfig", P.GetTaskPushNotificationConfigRequest.Parser, P.TaskPushNotificationConfig.Parser,
            (s, _, c) => s.PushNotConfiguredAsync<P.TaskPushNotificationConfig>(c));
        Unary(context, "ListTaskPushNotificationConfigs", P.ListTaskPushNotificationConfigsRequest.Parser, P.ListTaskPushNotificationConfigsResponse.Parser,
            (s, _, c) => s.PushNotConfiguredAsync<P.ListTaskPushNotificationConfigsResponse>(c));
        Unary(context, "GetExtendedAgentCard", P.GetExtendedAgentCardRequest.Parser, P.AgentCard.Parser, (s, r, c) => s.GetExtendedAgentCardAsync(r, c));
        Unary(context, "DeleteTaskPushNotificationConfig", P.DeleteTaskPushNotificationConfigRequest.Parser, Google.Protobuf.WellKnownTypes.Empty.Parser,
            (s, _, c) => s.PushNotConfiguredAsync<Google.Protobuf.WellKnownTypes.Empty>(c));
    }

    /// <summary>A marshaller for a generated message, writing straight into the response buffer.</summary>
    public static Marshaller<T> MarshallerFor<T>(MessageParser<T> parser)
        where T : class, IMessage<T>, IBufferMessage => new(
            static (message, context) =>
            {
                context.SetPayloadLength(message.CalculateSize());
                message.WriteTo(context.GetBufferWriter());
                context.Complete();
            },
            context => parser.ParseFrom(context.PayloadAsReadOnlySequence()));

    private static void Unary<TRequest, TResponse>(
        ServiceMethodProviderContext<A2AGrpcService> context,
        string name,
        MessageParser<TRequest> requestParser,
        MessageParser<TResponse> responseParser,
        UnaryServerMethod<A2AGrpcService, TRequest, TResponse> invoker)
        where TRequest : class, IMessage<TRequest>, IBufferMessage
        where TResponse : class, IMessage<TResponse>, IBufferMessage =>
        context.AddUnaryMethod(
            new Method<TRequest, TResponse>(MethodType.Unary, ServiceName, name, MarshallerFor(requestParser), MarshallerFor(responseParser)),
            [],
            invoker);

    private static void Streaming<TRequest>(
        ServiceMethodProviderContext<A2AGrpcService> context,
        string name,
        MessageParser<TRequest> requestParser,
        ServerStreamingServerMethod<A2AGrpcService, TRequest, EncodedMessage> invoker)
        where TRequest : class, IMessage<TRequest>, IBufferMessage =>
        context.AddServerStreamingMethod(
            new Method<TRequest, EncodedMessage>(MethodType.ServerStreaming, ServiceName, name, MarshallerFor(requestParser), EncodedMessage.Marshaller),
            [],
            invoker);
}
