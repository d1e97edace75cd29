using Herald.Server.Storage;

namespace Herald.Server;

/// <summary>What a caller asks to do with a task (see <see cref="ITaskAccessPolicy"/>).</summary>
public enum TaskAccess
{
    /// <summary>GetTask.</summary>
    Read = 0,

    /// <summary>A follow-up message (SendMessage naming the task).</summary>
    Continue = 1,

    /// <summary>CancelTask.</summary>
    Cancel = 2,

    /// <summary>SubscribeToTask, with or without <c>Last-Event-ID</c>.</summary>
    Subscribe = 3,

    /// <summary>The task's push-notification configurations.</summary>
    PushConfig = 4,
}

/// <summary>
/// A host's rule for callers other than a task's owner (admins, shared tasks). Without one, only the owner (the same principal
/// in the same tenant) and <see cref="Caller.System"/> reach a task; everyone else is answered as if it did not exist. The
/// policy is asked only about tasks of other owners, and only after the request's tenant agreed with the caller's. ListTasks
/// always lists the caller's own tasks.
/// </summary>
public interface ITaskAccessPolicy
{
    /// <summary>True when <paramref name="caller"/> may do <paramref name="access"/> to a task owned by <paramref name="owner"/>.</summary>
    bool IsAllowed(Caller caller, TaskOwner owner, TaskAccess access);
}
