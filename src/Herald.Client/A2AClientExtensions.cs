using Herald.Protocol;

namespace Herald.Client;

/// <summary>Shorthands for common calls.</summary>
public static class A2AClientExtensions
{
    /// <summary>SendMessage with a message (and default configuration).</summary>
    public static Task<SendMessageResponse> SendMessageAsync(this IA2AClient client, Message message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.SendMessageAsync(new SendMessageRequest { Message = message }, cancellationToken);
    }

    /// <summary>SendStreamingMessage with a message.</summary>
    public static IAsyncEnumerable<StreamResponse> SendStreamingMessageAsync(this IA2AClient client, Message message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.SendStreamingMessageAsync(new SendMessageRequest { Message = message }, cancellationToken);
    }

    /// <summary>GetTask by id.</summary>
    public static Task<AgentTask> GetTaskAsync(this IA2AClient client, string taskId, int? historyLength = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.GetTaskAsync(new GetTaskRequest { Id = taskId, HistoryLength = historyLength }, cancellationToken);
    }

    /// <summary>CancelTask by id.</summary>
    public static Task<AgentTask> CancelTaskAsync(this IA2AClient client, string taskId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.CancelTaskAsync(new CancelTaskRequest { Id = taskId }, cancellationToken);
    }

    /// <summary>SubscribeToTask by id, optionally after an event id.</summary>
    public static IAsyncEnumerable<StreamResponse> SubscribeToTaskAsync(this IA2AClient client, string taskId, long? afterEventId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.SubscribeToTaskAsync(new SubscribeToTaskRequest { Id = taskId }, afterEventId, cancellationToken);
    }
}
