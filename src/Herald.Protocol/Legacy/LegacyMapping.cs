using Herald.Protocol.V03;

namespace Herald.Protocol.Legacy;

/// <summary>
/// Reads the tutorial-era parameters (<c>tasks/send</c>, <c>tasks/sendSubscribe</c>, ...) into the v1.0
/// model, and writes v1.0 tasks and stream items in the shapes those clients read.
/// </summary>
public static class LegacyMapping
{
    /// <summary>
    /// The v1.0 request of a <c>tasks/send</c> / <c>tasks/sendSubscribe</c>: the client's task id is
    /// <c>message.taskId</c> and <c>sessionId</c> the <c>contextId</c>. Unlike v1.0, a task id the server
    /// does not know yet asks for a new task with that id; the server decides this, not the mapping.
    /// A message without <c>messageId</c> gets a new one.
    /// </summary>
    /// <exception cref="A2AException">A part that is not text, file or data, or a file with bad base64 (-32602).</exception>
    public static SendMessageRequest ToV1(LegacyTaskSendParams parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var message = parameters.Message;
        return new SendMessageRequest
        {
            Message = new Message
            {
                MessageId = string.IsNullOrEmpty(message.MessageId) ? Guid.NewGuid().ToString("N") : message.MessageId,
                Role = V03Mapping.ToV1(message.Role),
                Parts = [.. message.Parts.Select(ToV1)],
                TaskId = parameters.Id,
                ContextId = string.IsNullOrEmpty(parameters.SessionId) ? null : parameters.SessionId,
                Metadata = message.Metadata,
            },
            Configuration = new SendMessageConfiguration
            {
                AcceptedOutputModes = parameters.AcceptedOutputModes,
                HistoryLength = parameters.HistoryLength,
                TaskPushNotificationConfig = parameters.PushNotification is { } push ? V03Mapping.ToV1(push, parameters.Id) : null,
            },
            Metadata = parameters.Metadata,
        };
    }

    public static GetTaskRequest ToGetTaskRequest(LegacyTaskQueryParams parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new GetTaskRequest { Id = parameters.Id, HistoryLength = parameters.HistoryLength };
    }

    public static CancelTaskRequest ToCancelTaskRequest(LegacyTaskQueryParams parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new CancelTaskRequest { Id = parameters.Id, Metadata = parameters.Metadata };
    }

    public static SubscribeToTaskRequest ToSubscribeToTaskRequest(LegacyTaskQueryParams parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new SubscribeToTaskRequest { Id = parameters.Id };
    }

    /// <summary>A part by <c>type</c> (or <c>kind</c>, or the member present).</summary>
    /// <exception cref="A2AException">Neither text, file nor data (-32602).</exception>
    public static Part ToV1(LegacyPart part)
    {
        ArgumentNullException.ThrowIfNull(part);
        var type = part.Type ?? part.Kind ?? (part.Text is not null ? "text" : part.File is not null ? "file" : part.Data is not null ? "data" : null);
        V03Part v03 = type switch
        {
            "text" when part.Text is { } text => new V03TextPart { Text = text, Metadata = part.Metadata },
            "file" when part.File is { } file => new V03FilePart { File = file, Metadata = part.Metadata },
            "data" when part.Data is { } data => new V03DataPart { Data = data, Metadata = part.Metadata },
            _ => throw new A2AException(A2AErrorCodes.InvalidParams, $"A part must be {{\"type\": \"text\" | \"file\" | \"data\"}} with that member; got type '{type ?? "none"}'."),
        };
        return V03Mapping.ToV1(v03);
    }

    public static LegacyPart ToLegacy(Part part)
    {
        var v03 = V03Mapping.ToV03(part);
        return v03 switch
        {
            V03TextPart text => new LegacyPart { Type = v03.Kind, Kind = v03.Kind, Text = text.Text, Metadata = v03.Metadata },
            V03FilePart file => new LegacyPart { Type = v03.Kind, Kind = v03.Kind, File = file.File, Metadata = v03.Metadata },
            V03DataPart data => new LegacyPart { Type = v03.Kind, Kind = v03.Kind, Data = data.Data, Metadata = v03.Metadata },
            _ => throw new InvalidOperationException("Unknown part type."),
        };
    }

    public static LegacyMessage ToLegacy(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new LegacyMessage
        {
            Role = V03Mapping.ToV03(message.Role),
            Parts = [.. message.Parts.Select(ToLegacy)],
            MessageId = message.MessageId,
            Kind = V03Kinds.Message,
            TaskId = message.TaskId,
            ContextId = message.ContextId,
            Metadata = message.Metadata,
        };
    }

    /// <summary>Rejected is sent as failed and auth-required as input-required (states that era did not have).</summary>
    public static LegacyTaskState ToLegacy(TaskState state) => state switch
    {
        TaskState.Submitted => LegacyTaskState.Submitted,
        TaskState.Working => LegacyTaskState.Working,
        TaskState.InputRequired or TaskState.AuthRequired => LegacyTaskState.InputRequired,
        TaskState.Completed => LegacyTaskState.Completed,
        TaskState.Canceled => LegacyTaskState.Canceled,
        TaskState.Failed or TaskState.Rejected => LegacyTaskState.Failed,
        _ => LegacyTaskState.Unknown,
    };

    public static LegacyTaskStatus ToLegacy(AgentTaskStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return new LegacyTaskStatus
        {
            State = ToLegacy(status.State),
            Message = status.Message is { } message ? ToLegacy(message) : null,
            Timestamp = V03Mapping.FormatTimestamp(status.Timestamp),
        };
    }

    public static LegacyArtifact ToLegacy(Artifact artifact, int index, bool? append = null, bool? lastChunk = null)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        return new LegacyArtifact
        {
            Name = artifact.Name ?? artifact.ArtifactId,
            Description = artifact.Description,
            Parts = [.. artifact.Parts.Select(ToLegacy)],
            Index = index,
            Append = append,
            LastChunk = lastChunk,
            ArtifactId = artifact.ArtifactId,
            Metadata = artifact.Metadata,
        };
    }

    /// <summary>The task as a <c>tasks/send</c> / <c>tasks/get</c> result; artifacts are numbered in order (and registered in <paramref name="index"/> when given).</summary>
    public static LegacyTask ToLegacy(AgentTask task, LegacyArtifactIndex? index = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        index ??= new LegacyArtifactIndex();
        return new LegacyTask
        {
            Id = task.Id,
            SessionId = task.ContextId,
            ContextId = task.ContextId,
            Kind = V03Kinds.Task,
            Status = ToLegacy(task.Status),
            Artifacts = task.Artifacts is { } artifacts ? [.. artifacts.Select(a => ToLegacy(a, index.IndexOf(a.ArtifactId)))] : null,
            History = task.History is { } history ? [.. history.Select(ToLegacy)] : null,
            Metadata = task.Metadata,
        };
    }

    /// <summary><paramref name="final"/> defaults to whether the state ends a stream.</summary>
    public static LegacyTaskStatusUpdateEvent ToLegacy(TaskStatusUpdateEvent update, bool? final = null)
    {
        ArgumentNullException.ThrowIfNull(update);
        return new LegacyTaskStatusUpdateEvent
        {
            Id = update.TaskId,
            TaskId = update.TaskId,
            ContextId = update.ContextId,
            Status = ToLegacy(update.Status),
            Final = final ?? update.Status.State.EndsStream(),
            Kind = V03Kinds.StatusUpdate,
            Metadata = update.Metadata,
        };
    }

    public static LegacyTaskArtifactUpdateEvent ToLegacy(TaskArtifactUpdateEvent update, LegacyArtifactIndex index)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(index);
        return new LegacyTaskArtifactUpdateEvent
        {
            Id = update.TaskId,
            TaskId = update.TaskId,
            ContextId = update.ContextId,
            Artifact = ToLegacy(update.Artifact, index.IndexOf(update.Artifact.ArtifactId), update.Append, update.LastChunk),
            Kind = V03Kinds.ArtifactUpdate,
            Metadata = update.Metadata,
        };
    }

    /// <summary>
    /// One stream item as a tutorial-era event. Those clients read only status and artifact events, so a
    /// Task snapshot becomes a status event with the task's status (its artifacts are registered in
    /// <paramref name="index"/>), and a direct reply message becomes a final <c>completed</c> status
    /// carrying that message.
    /// </summary>
    public static LegacyEvent ToLegacy(StreamResponse response, LegacyArtifactIndex index, bool? final = null)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(index);
        if (response.StatusUpdate is { } status)
        {
            return ToLegacy(status, final);
        }

        if (response.ArtifactUpdate is { } artifact)
        {
            return ToLegacy(artifact, index);
        }

        if (response.Task is { } task)
        {
            foreach (var a in task.Artifacts ?? [])
            {
                index.IndexOf(a.ArtifactId);
            }

            return new LegacyTaskStatusUpdateEvent
            {
                Id = task.Id,
                TaskId = task.Id,
                ContextId = task.ContextId,
                Status = ToLegacy(task.Status),
                Final = final ?? task.Status.State.IsTerminal(),
                Kind = V03Kinds.StatusUpdate,
                Metadata = task.Metadata,
            };
        }

        if (response.Message is { } message)
        {
            var taskId = message.TaskId ?? "";
            return new LegacyTaskStatusUpdateEvent
            {
                Id = taskId,
                TaskId = taskId,
                ContextId = message.ContextId,
                Status = new LegacyTaskStatus { State = LegacyTaskState.Completed, Message = ToLegacy(message) },
                Final = final ?? true,
                Kind = V03Kinds.StatusUpdate,
            };
        }

        throw new ArgumentException("The stream item holds no task, message, status update or artifact update.", nameof(response));
    }
}
