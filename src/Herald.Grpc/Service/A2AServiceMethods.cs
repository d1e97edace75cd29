using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Herald.Grpc.Methods;
using P = Lf.A2a.V1;

namespace Herald.Grpc.Service;

/// <summary>
/// Binds <c>lf.a2a.v1.A2AService</c> by hand, from the method table shared with the client
/// (<see cref="A2AMethods"/>), instead of through a generated base class: the streaming methods then write
/// <see cref="EncodedMessage"/>s (bytes shared by every stream) where a generated binding would serialize a
/// <c>StreamResponse</c> per stream. Requests and unary responses use the generated messages' own parsers and writers.
/// </summary>
internal sealed class A2AServiceMethods : IServiceMethodProvider<A2AGrpcService>
{
    private static readonly Method<P.SendMessageRequest, EncodedMessage> SendStreamingMessage = A2AMethods.SendStreamingMessage(EncodedMessage.Marshaller);
    private static readonly Method<P.SubscribeToTaskRequest, EncodedMessage> SubscribeToTask = A2AMethods.SubscribeToTask(EncodedMessage.Marshaller);

    // Unary on the wire, written by the service as the one message of a server stream (see A2AGrpcService).
    private static readonly Method<P.SendMessageRequest, EncodedMessage> SendMessage = WrittenByHand(A2AMethods.SendMessage);
    private static readonly Method<P.GetTaskRequest, EncodedMessage> GetTask = WrittenByHand(A2AMethods.GetTask);
    private static readonly Method<P.ListTasksRequest, EncodedMessage> ListTasks = WrittenByHand(A2AMethods.ListTasks);
    private static readonly Method<P.CancelTaskRequest, EncodedMessage> CancelTask = WrittenByHand(A2AMethods.CancelTask);

    private static Method<TRequest, EncodedMessage> WrittenByHand<TRequest, TResponse>(Method<TRequest, TResponse> unary)
        where TRequest : class
        where TResponse : class =>
        new(MethodType.ServerStreaming, unary.ServiceName, unary.Name, unary.RequestMarshaller, EncodedMessage.Marshaller);

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<A2AGrpcService> context)
    {
        context.AddServerStreamingMethod(SendMessage, [], (s, r, w, c) => s.SendMessageAsync(r, w, c));
        context.AddServerStreamingMethod(SendStreamingMessage, [], (s, r, w, c) => s.SendStreamingMessageAsync(r, w, c));
        context.AddServerStreamingMethod(GetTask, [], (s, r, w, c) => s.GetTaskAsync(r, w, c));
        context.AddServerStreamingMethod(ListTasks, [], (s, r, w, c) => s.ListTasksAsync(r, w, c));
        context.AddServerStreamingMethod(CancelTask, [], (s, r, w, c) => s.CancelTaskAsync(r, w, c));
        context.AddServerStreamingMethod(SubscribeToTask, [], (s, r, w, c) => s.SubscribeToTaskAsync(r, w, c));
        context.AddUnaryMethod(A2AMethods.CreateTaskPushNotificationConfig, [], (s, r, c) => s.CreateTaskPushNotificationConfigAsync(r, c));
        context.AddUnaryMethod(A2AMethods.GetTaskPushNotificationConfig, [], (s, r, c) => s.GetTaskPushNotificationConfigAsync(r, c));
        context.AddUnaryMethod(A2AMethods.ListTaskPushNotificationConfigs, [], (s, r, c) => s.ListTaskPushNotificationConfigsAsync(r, c));
        context.AddUnaryMethod(A2AMethods.GetExtendedAgentCard, [], (s, r, c) => s.GetExtendedAgentCardAsync(r, c));
        context.AddUnaryMethod(A2AMethods.DeleteTaskPushNotificationConfig, [], (s, r, c) => s.DeleteTaskPushNotificationConfigAsync(r, c));
    }
}
