using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Herald.Protocol.V03;

/// <summary>
/// Reads a v0.3 union by its <c>kind</c> (found anywhere in the object; guessed from the members present
/// when a peer leaves it out) and writes each type through its own generated metadata, which writes <c>kind</c>.
/// </summary>
internal abstract class V03KindConverter<TBase> : JsonConverter<TBase>
    where TBase : class
{
    protected V03KindConverter()
    {
    }

    /// <summary>The concrete type for a kind, or null when unknown.</summary>
    protected abstract Type? TypeOf(string kind);

    /// <summary>The kind of an object without <c>kind</c>, guessed from its member names; null when it cannot be told.</summary>
    protected abstract string? Guess(IReadOnlySet<string> members);

    public override TBase? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"A {typeof(TBase).Name} must be a JSON object.");
        }

        var kind = FindKind(reader, out var members) ?? Guess(members)
            ?? throw new JsonException($"The {typeof(TBase).Name} has no \"kind\".");
        var type = TypeOf(kind) ?? throw new JsonException($"Unknown {typeof(TBase).Name} kind \"{kind}\".");
        return (TBase?)JsonSerializer.Deserialize(ref reader, options.GetTypeInfo(type));
    }

    public override void Write(Utf8JsonWriter writer, TBase value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        JsonSerializer.Serialize(writer, value, options.GetTypeInfo(value.GetType()));
    }

    /// <summary>Scans a copy of the reader (the caller's position is kept) for the object's own <c>kind</c>.</summary>
    private static string? FindKind(Utf8JsonReader reader, out IReadOnlySet<string> members)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        members = names;
        var depth = reader.CurrentDepth;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth)
            {
                return null;
            }

            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                continue;
            }

            var isKind = reader.ValueTextEquals("kind"u8);
            names.Add(reader.GetString()!);
            reader.Read();
            if (isKind && reader.TokenType == JsonTokenType.String)
            {
                return reader.GetString();
            }

            reader.Skip();
        }

        return null;
    }
}

/// <summary>Reads and writes <see cref="V03Part"/> by <c>kind</c>.</summary>
internal sealed class V03PartConverter : V03KindConverter<V03Part>
{
    protected override Type? TypeOf(string kind) => kind switch
    {
        V03Kinds.Text => typeof(V03TextPart),
        V03Kinds.File => typeof(V03FilePart),
        V03Kinds.Data => typeof(V03DataPart),
        _ => null,
    };

    protected override string? Guess(IReadOnlySet<string> members) =>
        members.Contains("text") ? V03Kinds.Text
        : members.Contains("file") ? V03Kinds.File
        : members.Contains("data") ? V03Kinds.Data
        : null;
}

/// <summary>Reads and writes <see cref="V03Result"/> by <c>kind</c>.</summary>
internal sealed class V03ResultConverter : V03KindConverter<V03Result>
{
    protected override Type? TypeOf(string kind) => kind switch
    {
        V03Kinds.Task => typeof(V03Task),
        V03Kinds.Message => typeof(V03Message),
        V03Kinds.StatusUpdate => typeof(V03TaskStatusUpdateEvent),
        V03Kinds.ArtifactUpdate => typeof(V03TaskArtifactUpdateEvent),
        _ => null,
    };

    protected override string? Guess(IReadOnlySet<string> members) =>
        members.Contains("artifact") ? V03Kinds.ArtifactUpdate
        : members.Contains("status") && members.Contains("taskId") ? V03Kinds.StatusUpdate
        : members.Contains("status") ? V03Kinds.Task
        : members.Contains("messageId") ? V03Kinds.Message
        : null;
}
