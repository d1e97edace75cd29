using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Protocol;

/// <summary>The lifecycle state of a task (proto <c>TaskState</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TaskState>))]
public enum TaskState
{
    [JsonStringEnumMemberName("TASK_STATE_UNSPECIFIED")] Unspecified = 0,
    [JsonStringEnumMemberName("TASK_STATE_SUBMITTED")] Submitted = 1,
    [JsonStringEnumMemberName("TASK_STATE_WORKING")] Working = 2,
    [JsonStringEnumMemberName("TASK_STATE_COMPLETED")] Completed = 3,
    [JsonStringEnumMemberName("TASK_STATE_FAILED")] Failed = 4,
    [JsonStringEnumMemberName("TASK_STATE_CANCELED")] Canceled = 5,
    [JsonStringEnumMemberName("TASK_STATE_INPUT_REQUIRED")] InputRequired = 6,
    [JsonStringEnumMemberName("TASK_STATE_REJECTED")] Rejected = 7,
    [JsonStringEnumMemberName("TASK_STATE_AUTH_REQUIRED")] AuthRequired = 8,
}

/// <summary>Classification helpers for <see cref="TaskState"/>.</summary>
public static class TaskStateExtensions
{
    /// <summary>Completed, failed, canceled or rejected: the task accepts no further messages.</summary>
    public static bool IsTerminal(this TaskState state) =>
        state is TaskState.Completed or TaskState.Failed or TaskState.Canceled or TaskState.Rejected;

    /// <summary>Input-required or auth-required: the task waits for the client.</summary>
    public static bool IsInterrupted(this TaskState state) =>
        state is TaskState.InputRequired or TaskState.AuthRequired;

    /// <summary>Terminal or interrupted: a stream that delivers this state ends.</summary>
    public static bool EndsStream(this TaskState state) => state.IsTerminal() || state.IsInterrupted();

    /// <summary>The ProtoJSON name, e.g. <c>TASK_STATE_WORKING</c>.</summary>
    public static string ToWireName(this TaskState state) => state switch
    {
        TaskState.Submitted => "TASK_STATE_SUBMITTED",
        TaskState.Working => "TASK_STATE_WORKING",
        TaskState.Completed => "TASK_STATE_COMPLETED",
        TaskState.Failed => "TASK_STATE_FAILED",
        TaskState.Canceled => "TASK_STATE_CANCELED",
        TaskState.InputRequired => "TASK_STATE_INPUT_REQUIRED",
        TaskState.Rejected => "TASK_STATE_REJECTED",
        TaskState.AuthRequired => "TASK_STATE_AUTH_REQUIRED",
        _ => "TASK_STATE_UNSPECIFIED",
    };
}
