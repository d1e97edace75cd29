using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Herald.Protocol;

namespace Herald.Storage.Postgres;

/// <summary>How values are kept in columns: v1.0 ProtoJSON bytes for model objects, Unix milliseconds for instants.</summary>
internal static class PostgresCodec
{
    /// <summary>"Now" in SQL: the test clock's instant when one is passed, else the database's clock (every replica shares it).</summary>
    public static string Now(int parameter) => $"COALESCE(${parameter}::bigint, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)";

    public static byte[] Encode<T>(T value, JsonTypeInfo<T> typeInfo) => JsonSerializer.SerializeToUtf8Bytes(value, typeInfo);

    public static T Decode<T>(byte[] bytes, JsonTypeInfo<T> typeInfo) =>
        JsonSerializer.Deserialize(bytes, typeInfo) ?? throw new InvalidDataException($"A stored {typeof(T).Name} is empty.");

    public static long ToMs(DateTimeOffset instant) => instant.ToUnixTimeMilliseconds();

    public static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    /// <summary>An artifact without its parts: the row in <c>artifacts</c>; the parts are rows of their own.</summary>
    public static byte[] EncodeHeader(Artifact artifact) => Encode(artifact with { Parts = [] }, A2AJsonContext.Default.Artifact);

    /// <summary>Parts as a JSON array: one <c>artifact_segments</c> row.</summary>
    public static byte[] EncodeParts(List<Part> parts)
    {
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

    /// <summary>Adds the parts of one <c>artifact_segments</c> row to <paramref name="into"/>.</summary>
    public static void DecodeParts(byte[] json, List<Part> into)
    {
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
