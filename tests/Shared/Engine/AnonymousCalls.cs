using Herald.Protocol;
using Herald.Server;
using Herald.Server.Storage;

namespace Herald;

/// <summary>
/// Engine calls as tests made them before callers existed: <see cref="IHeraldEngine"/> as <see cref="Caller.Anonymous"/> (what
/// every request of an open server is), <see cref="IHeraldTasks"/> as <see cref="Caller.System"/> (trusted in-process code,
/// whose new tasks belong to the anonymous owner). Tests about callers pass theirs explicitly.
/// </summary>
internal static class AnonymousCalls
{
    public static ValueTask<SendResult> SendMessageAsync(this IHeraldEngine engine, SendMessageRequest request, CancellationToken cancellationToken = default) =>
        engine.SendMessageAsync(Caller.Anonymous, request, cancellationToken);

    public static ValueTask<SendResult> SendMessageAsync(this IHeraldEngine engine, SendMessageRequest request, SendOptions options, CancellationToken cancellationToken = default) =>
        engine.SendMessageAsync(Caller.Anonymous, request, options, cancellationToken);

    public static ValueTask<TaskStream> SendStreamingMessageAsync(this IHeraldEngine engine, SendMessageRequest request, CancellationToken cancellationToken = default) =>
        engine.SendStreamingMessageAsync(Caller.Anonymous, request, cancellationToken);

    public static ValueTask<TaskStream> SendStreamingMessageAsync(this IHeraldEngine engine, SendMessageRequest request, SendOptions options, CancellationToken cancellationToken = default) =>
        engine.SendStreamingMessageAsync(Caller.Anonymous, request, options, cancellationToken);

    public static ValueTask<AgentTask> GetTaskAsync(this IHeraldEngine engine, GetTaskRequest request, CancellationToken cancellationToken = default) =>
        engine.GetTaskAsync(Caller.Anonymous, request, cancellationToken);

    public static ValueTask<ListTasksResponse> ListTasksAsync(this IHeraldEngine engine, ListTasksRequest request, CancellationToken cancellationToken = default) =>
        engine.ListTasksAsync(Caller.Anonymous, request, cancellationToken);

    public static ValueTask<AgentTask> CancelTaskAsync(this IHeraldEngine engine, CancelTaskRequest request, CancellationToken cancellationToken = default) =>
        engine.CancelTaskAsync(Caller.Anonymous, request, cancellationToken);

    public static ValueTask<TaskStream> SubscribeToTaskAsync(this IHeraldEngine engine, SubscribeToTaskRequest request, long? lastEventId = null, CancellationToken cancellationToken = default) =>
        engine.SubscribeToTaskAsync(Caller.Anonymous, request, lastEventId, cancellationToken);

    public static ValueTask<AgentTask?> GetTaskAsync(this IHeraldTasks tasks, string taskId, int? historyLength = null, CancellationToken cancellationToken = default) =>
        tasks.GetTaskAsync(Caller.System, taskId, historyLength, cancellationToken);

    public static ValueTask<AgentTask> CreateTaskAsync(this IHeraldTasks tasks, string? contextId = null, Message? message = null, CancellationToken cancellationToken = default) =>
        tasks.CreateTaskAsync(Caller.System, contextId, message, cancellationToken);

    public static ValueTask<TaskEvent> UpdateStatusAsync(this IHeraldTasks tasks, string taskId, TaskState state, Message? message = null, CancellationToken cancellationToken = default) =>
        tasks.UpdateStatusAsync(Caller.System, taskId, state, message, cancellationToken);

    public static ValueTask<TaskEvent> AddArtifactAsync(this IHeraldTasks tasks, string taskId, Artifact artifact, bool append = false, bool lastChunk = false, CancellationToken cancellationToken = default) =>
        tasks.AddArtifactAsync(Caller.System, taskId, artifact, append, lastChunk, cancellationToken);

    public static IAsyncEnumerable<TaskEvent> SubscribeAsync(this IHeraldTasks tasks, string taskId, long afterSequence = 0, bool stopAtInterrupt = true, CancellationToken cancellationToken = default) =>
        tasks.SubscribeAsync(Caller.System, taskId, afterSequence, stopAtInterrupt, cancellationToken);
}
