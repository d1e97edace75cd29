using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Herald.Protocol;

namespace Herald.Storage.Sqlite;

/// <summary>How values are kept in columns: v1.0 ProtoJSON bytes for model objects, Unix milliseconds for instants.</summary>
internal static class SqliteCodec
{
    public static byte[] Encode<T>(T value, JsonTypeInfo<T> typeInfo) => JsonSerializer.SerializeToUtf8Bytes(value, typeInfo);

    public static T Decode<T>(byte[] bytes, JsonTypeInfo<T> typeInfo) =>
        JsonSerializer.Deserialize(bytes, typeInfo) ?? throw new InvalidDataException($"A stored {typeof(T).Name} is empty.");

    public static long ToMs(DateTimeOffset instant) => instant.ToUnixTimeMilliseconds();

    public static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    /// <summary>An artifact without its parts: the row in <c>artifacts</c>; the parts are rows of their own.</summary>
    public static byte[] EncodeHeader(Artifact artifact) => Encode(artifact with { Parts = [] }, A2AJsonContext.Default.Artifact);
}
