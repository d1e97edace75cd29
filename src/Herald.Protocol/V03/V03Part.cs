using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Protocol.V03;

/// <summary>
/// One piece of v0.3 content: a <see cref="V03TextPart"/>, <see cref="V03FilePart"/> or
/// <see cref="V03DataPart"/>, told apart by <c>kind</c>.
/// </summary>
[JsonConverter(typeof(V03PartConverter))]
public abstract record V03Part
{
    private protected V03Part()
    {
    }

    /// <summary><c>text</c>, <c>file</c> or <c>data</c>.</summary>
    public abstract string Kind { get; }

    public Dictionary<string, JsonElement>? Metadata { get; init; }
}

/// <summary><c>{"kind": "text", "text": ...}</c>.</summary>
public sealed record V03TextPart : V03Part
{
    public override string Kind => V03Kinds.Text;

    public required string Text { get; init; }
}

/// <summary><c>{"kind": "file", "file": {"bytes" | "uri", "mimeType", "name"}}</c>.</summary>
public sealed record V03FilePart : V03Part
{
    public override string Kind => V03Kinds.File;

    public required V03FileContent File { get; init; }
}

/// <summary><c>{"kind": "data", "data": {...}}</c>; v0.3 data is always a JSON object.</summary>
public sealed record V03DataPart : V03Part
{
    public override string Kind => V03Kinds.Data;

    public required JsonElement Data { get; init; }
}

/// <summary>The schema's <c>FileWithBytes</c> or <c>FileWithUri</c>: exactly one of <see cref="Bytes"/> and <see cref="Uri"/> is set.</summary>
public sealed record V03FileContent
{
    /// <summary>Base64 content, kept as received (<see cref="V03Mapping"/> decodes it).</summary>
    public string? Bytes { get; init; }

    public string? Uri { get; init; }

    public string? MimeType { get; init; }

    public string? Name { get; init; }
}
