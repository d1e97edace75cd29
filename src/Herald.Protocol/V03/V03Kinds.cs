namespace Herald.Protocol.V03;

/// <summary>The <c>kind</c> discriminators of v0.3 objects.</summary>
public static class V03Kinds
{
    public const string Task = "task";
    public const string Message = "message";
    public const string StatusUpdate = "status-update";
    public const string ArtifactUpdate = "artifact-update";
    public const string Text = "text";
    public const string File = "file";
    public const string Data = "data";
}
