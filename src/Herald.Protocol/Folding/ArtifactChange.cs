namespace Herald.Protocol.Folding;

/// <summary>What one event does to a task's artifacts (see <see cref="TaskDelta"/>).</summary>
public enum ArtifactChange
{
    /// <summary>The artifacts are untouched.</summary>
    None = 0,

    /// <summary>A new artifact goes at the end of the list, with the delta's header and parts.</summary>
    Add = 1,

    /// <summary>The artifact with the delta's id, in its place, becomes the delta's header and parts: its old parts are dropped.</summary>
    Replace = 2,

    /// <summary>
    /// The artifact with the delta's id keeps its parts and gets the delta's parts after them; when
    /// <see cref="TaskDelta.ChangesArtifactHeader"/>, its header becomes <see cref="TaskDelta.ArtifactHeader"/> of the old one.
    /// </summary>
    Extend = 3,
}
