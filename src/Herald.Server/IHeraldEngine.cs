using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Server;

/// <summary>
/// The engine as protocol bindings see it: the A2A operations in terms of the v1.0 model, whatever the
/// wire (JSON-RPC, HTTP+JSON, gRPC; any protocol version). Bindings translate requests into these calls,
/// and results, streams and <see cref="A2AException"/> codes back onto their wire; they never reach the
/// store. Resolve it from DI after <c>services.AddHerald()</c>.
/// </summary>
/// <remarks>
/// Every call names its <see cref="Caller"/> (bindings resolve it from the request's user with <see cref="ICallerResolver"/>).
/// A task belongs to the caller that created it and to the tenant of that request; a task of another owner is answered
/// exactly like one that does not exist (-32001), unless an <see cref="ITaskAccessPolicy"/> allows it. A request whose
/// <c>tenant</c> differs from the tenant the host assigned to its caller is refused (<see cref="A2AErrorCodes.PermissionDenied"/>).
/// </remarks>
public interface IHeraldEngine
{
    /// <summary>True when an agent is registered to handle messages.</summary>
    bool HasAgent { get; }

    /// <summary>
    /// SendMessage: a direct reply, or the task: by default once it reached a terminal or interrupted
    /// state, at once when the request's configuration says <c>returnImmediately</c>.
    /// </summary>
    /// <exception cref="A2AException">Invalid params (-32602), unknown task (-32001), a task that accepts no messages (-32004).</exception>
    ValueTask<SendResult> SendMessageAsync(Caller caller, SendMessageRequest request, CancellationToken cancellationToken = default);

    /// <summary>SendStreamingMessage: a stream that starts with the task as accepted (or holds only a direct reply).</summary>
    ValueTask<TaskStream> SendStreamingMessageAsync(Caller caller, SendMessageRequest request, CancellationToken cancellationToken = default);

    /// <summary>SendMessage with <paramref name="options"/> (see <see cref="SendOptions"/>).</summary>
    /// <exception cref="A2AException">As <see cref="SendMessageAsync(Caller, SendMessageRequest, CancellationToken)"/>; with a client-chosen task id also an invalid id (-32602) or a task that exists and does not wait for input.</exception>
    ValueTask<SendResult> SendMessageAsync(Caller caller, SendMessageRequest request, SendOptions options, CancellationToken cancellationToken = default);

    /// <summary>SendStreamingMessage with <paramref name="options"/> (see <see cref="SendOptions"/>).</summary>
    ValueTask<TaskStream> SendStreamingMessageAsync(Caller caller, SendMessageRequest request, SendOptions options, CancellationToken cancellationToken = default);

    /// <summary>GetTask.</summary>
    ValueTask<AgentTask> GetTaskAsync(Caller caller, GetTaskRequest request, CancellationToken cancellationToken = default);

    /// <summary>ListTasks: one page of the caller's own tasks (in the request's tenant); the total counts only those.</summary>
    ValueTask<ListTasksResponse> ListTasksAsync(Caller caller, ListTasksRequest request, CancellationToken cancellationToken = default);

    /// <summary>CancelTask: the task in its canceled state. The agent running it, in any process, is stopped.</summary>
    ValueTask<AgentTask> CancelTaskAsync(Caller caller, CancelTaskRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// CreateTaskPushNotificationConfig (also v0.3 <c>tasks/pushNotificationConfig/set</c>): keeps the webhook with the task, under
    /// the config's id (a new one when it has none; the same id replaces the webhook settings); it is sent every status and
    /// artifact event appended from now on.
    /// </summary>
    /// <exception cref="A2AException">Push notifications off (-32003), unknown task (-32001), an invalid or refused webhook (-32602).</exception>
    ValueTask<TaskPushNotificationConfig> CreateTaskPushNotificationConfigAsync(Caller caller, TaskPushNotificationConfig config, CancellationToken cancellationToken = default);

    /// <summary>GetTaskPushNotificationConfig.</summary>
    ValueTask<TaskPushNotificationConfig> GetTaskPushNotificationConfigAsync(Caller caller, TaskPushNotificationConfigRequest request, CancellationToken cancellationToken = default);

    /// <summary>ListTaskPushNotificationConfigs: every config of the task, in one page.</summary>
    ValueTask<ListTaskPushNotificationConfigsResponse> ListTaskPushNotificationConfigsAsync(Caller caller, ListTaskPushNotificationConfigsRequest request, CancellationToken cancellationToken = default);

    /// <summary>DeleteTaskPushNotificationConfig.</summary>
    ValueTask DeleteTaskPushNotificationConfigAsync(Caller caller, TaskPushNotificationConfigRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// SubscribeToTask. Without <paramref name="lastEventId"/>: a stream that starts with the task snapshot
    /// (refused with -32004 for a terminal task). With it: the events after that sequence, then the live
    /// tail, also for a task that has finished since (the resumable-streams extension).
    /// </summary>
    ValueTask<TaskStream> SubscribeToTaskAsync(Caller caller, SubscribeToTaskRequest request, long? lastEventId = null, CancellationToken cancellationToken = default);
}

/// <summary>The answer to a sent message: a direct reply from the agent, or the task.</summary>
/// <param name="Reply">The agent's direct reply (no task was created).</param>
/// <param name="Task">The task and the log position it reflects.</param>
public sealed record SendResult(Message? Reply, TaskSnapshot? Task);
