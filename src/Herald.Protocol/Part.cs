using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Protocol;

/// <summary>
/// One piece of content: exactly one of <see cref="Text"/>, <see cref="Raw"/>, <see cref="Url"/> or
/// <see cref="Data"/> is set (proto oneof <c>content</c>).
/// </summary>
public sealed record Part
{
    public string? Text { get; init; }

    /// <summary>Inline bytes; base64 on the wire.</summary>
    public byte[]? Raw { get; init; }

    public string? Url { get; init; }

    /// <summary>Any JSON value (proto <c>google.protobuf.Value</c>).</summary>
    public JsonElement? Data { get; init; }

    public Dictionary<string, JsonElement>? Metadata { get; init; }

    public string? Filename { get; init; }

    public string? MediaType { get; init; }

    /// <summary>A text part.</summary>
    public static Part FromText(string text) => new() { Text = text };

    /// <summary>A structured data part.</summary>
    public static Part FromData(JsonElement data) => new() { Data = data };

    /// <summary>How many of the content fields are set; a valid part has exactly one.</summary>
    [JsonIgnore]
    public int ContentCount =>
        (Text is null ? 0 : 1) + (Raw is null ? 0 : 1) + (Url is null ? 0 : 1) + (Data is null ? 0 : 1);
}
