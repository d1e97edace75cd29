using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Herald.AspNetCore.Rest;

/// <summary>
/// The HTTP+JSON routes (spec 11.3, and the proto's <c>google.api.http</c> annotations), each also under a
/// <c>/{tenant}</c> prefix. They sit in MapHerald's group next to the JSON-RPC endpoint, so <c>MapHerald("/a2a")</c>
/// serves <c>POST /a2a/message:send</c>.
/// </summary>
internal static class RestRoutes
{
    public static void Map(IEndpointRouteBuilder group, RestOperations rest)
    {
        foreach (var prefix in (string[])["", "/{tenant}"])
        {
            var tenant = prefix.Length > 0 ? " (tenant)" : "";
            group.MapPost(prefix + "/message:send", rest.SendMessageAsync).WithDisplayName("A2A REST SendMessage" + tenant);
            group.MapPost(prefix + "/message:stream", rest.SendStreamingMessageAsync).WithDisplayName("A2A REST SendStreamingMessage" + tenant);
            group.MapGet(prefix + "/tasks/{id}", rest.GetTaskAsync).WithDisplayName("A2A REST GetTask" + tenant);
            group.MapGet(prefix + "/tasks", rest.ListTasksAsync).WithDisplayName("A2A REST ListTasks" + tenant);
            group.MapPost(prefix + "/tasks/{id}:cancel", rest.CancelTaskAsync).WithDisplayName("A2A REST CancelTask" + tenant);
            group.MapMethods(prefix + "/tasks/{id}:subscribe", [HttpMethods.Post, HttpMethods.Get], rest.SubscribeToTaskAsync)
                .WithDisplayName("A2A REST SubscribeToTask" + tenant);
            group.MapMethods(prefix + "/tasks/{id}/pushNotificationConfigs", [HttpMethods.Post, HttpMethods.Get], rest.PushNotificationConfigAsync)
                .WithDisplayName("A2A REST push notification configs" + tenant);
            group.MapMethods(prefix + "/tasks/{id}/pushNotificationConfigs/{configId}", [HttpMethods.Get, HttpMethods.Delete], rest.PushNotificationConfigAsync)
                .WithDisplayName("A2A REST push notification config" + tenant);
            group.MapGet(prefix + "/extendedAgentCard", rest.GetExtendedAgentCardAsync).WithDisplayName("A2A REST GetExtendedAgentCard" + tenant);
        }
    }
}
