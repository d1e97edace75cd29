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

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<A2AGrpcService> context)
    {
        context.AddUnaryMethod(A2AMethods.SendMessage, [], (s, r, c) => s.SendMessageAsync(r, c));
        context.AddServerStreamingMethod(SendStreamingMessage, [], (s, r, w, c) => s.SendStreamingMessageAsync(r, w, c));
        context.AddUnaryMethod(A2AMethods.GetTask, [], (s, r, c) => s.GetTaskAsync(r, c));
        context.AddUnaryMethod(A2AMethods.ListTasks, [], (s, r, c) => s.ListTasksAsync(r, c));
        context.AddUnaryMethod(A2AMethods.CancelTask, [], (s, r, c) => s.CancelTaskAsync(r, c));
        context.AddServerStreamingMethod(SubscribeToTask, [], (s, r, w, c) => s.SubscribeToTaskAsync(r, w, c));
        context.AddUnaryMethod(A2AMethods.CreateTaskPushNotificationConfig, [], (s, _, c) => s.PushNotConfiguredAsync<P.TaskPushNotificationConfig>(c));
        context.AddUnaryMethod(A2AMethods.GetTaskPushNotificationConfig, [], (s, _, c) => s.PushNotConfiguredAsync<P.TaskPushNotificationConfig>(c));
        context.AddUnaryMethod(A2AMethods.ListTaskPushNotificationConfigs, [], (s, _, c) => s.PushNotConfiguredAsync<P.ListTaskPushNotificationConfigsResponse>(c));
        context.AddUnaryMethod(A2AMethods.GetExtendedAgentCard, [], (s, r, c) => s.GetExtendedAgentCardAsync(r, c));
        context.AddUnaryMethod(A2AMethods.DeleteTaskPushNotificationConfig, [], (s, _, c) => s.PushNotConfiguredAsync<Google.Protobuf.WellKnownTypes.Empty>(c));
    }
}
