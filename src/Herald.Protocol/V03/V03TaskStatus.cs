namespace Herald.Protocol.V03;

/// <summary>A v0.3 <c>TaskStatus</c>.</summary>
public sealed record V03TaskStatus
{
    public V03TaskState State { get; init; }

    public V03Message? Message { get; init; }

    /// <summary>
    /// ISO 8601, kept as the text received: v0.3 peers write it in several forms (with or without a zone,
    /// microseconds), and a relay must not rewrite it. <see cref="V03Mapping"/> parses it.
    /// </summary>
    public string? Timestamp { get; init; }
}
