using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Herald.Protocol;

namespace Herald.Server.Storage;

/// <summary>
/// How durable stores keep values in columns, shared so that every store writes the same forms: v1.0 ProtoJSON bytes for
/// model objects, Unix milliseconds for instants, and a relational fold's artifact rows (the header without parts, and
/// each write's parts as one JSON array).
/// </summary>
public static class StoredForms
{
    public static byte[] Encode<T>(T value, JsonTypeInfo<T> typeInfo) => JsonSerializer.SerializeToUtf8Bytes(value, typeInfo);

    /// <exception cref="InvalidDataException">The bytes hold JSON null.</exception>
    public static T Decode<T>(byte[] bytes, JsonTypeInfo<T> typeInfo) =>
        JsonSerializer.Deserialize(bytes, typeInfo) ?? throw new InvalidDataException($"A stored {typeof(T).Name} is empty.");

    public static long ToMs(DateTimeOffset instant) => instant.ToUnixTimeMilliseconds();

    public static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    /// <summary>An artifact without its parts: an artifact row; the parts are rows of their own.</summary>
    public static byte[] EncodeHeader(Artifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        return Encode(artifact with { Parts = [] }, A2AJsonContext.Default.Artifact);
    }

    /// <summary>Parts as a JSON array: one artifact segment row.</summary>
    public static byte[] EncodeParts(IReadOnlyList<Part> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64 * parts.Count + 2);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var part in parts)
            {
                JsonSerializer.Serialize(writer, part, A2AJsonContext.Default.Part);
            }

            writer.WriteEndArray();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Adds the parts of one artifact segment row to <paramref name="into"/>.</summary>
    /// <exception cref="InvalidDataException">The row is not a JSON array of parts.</exception>
    public static void DecodeParts(byte[] json, List<Part> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            throw new InvalidDataException("A stored artifact segment is not a JSON array.");
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            into.Add(JsonSerializer.Deserialize(ref reader, A2AJsonContext.Default.Part) ?? throw new InvalidDataException("A stored part is empty."));
        }
    }
}
