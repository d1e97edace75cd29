namespace Herald.Server.Storage;

/// <summary>What an entry of a task's log records.</summary>
public enum TaskEventKind
{
    /// <summary>The task came into existence; the first event of every log.</summary>
    Created = 0,

    /// <summary>A message was added to the task's history (a client's follow-up turn).</summary>
    Message = 1,

    /// <summary>The task's status changed.</summary>
    Status = 2,

    /// <summary>An artifact was added, replaced, or extended with a chunk.</summary>
    Artifact = 3,
}
