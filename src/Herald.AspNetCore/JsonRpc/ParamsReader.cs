using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Herald.Protocol;

namespace Herald.AspNetCore.JsonRpc;

/// <summary>
/// Reads a method's params into the typed request of its dialect. Members the model marks <c>required</c>
/// are not enforced here: a missing one is left null and the engine's (or the dialect's) validation names it
/// ("message.messageId is required"), so no error text has to be taken apart to find the field.
/// </summary>
internal static class ParamsReader
{
    /// <summary>The v1.0 model (<see cref="A2AJsonContext"/>), lenient about required members.</summary>
    public static readonly JsonSerializerOptions V1 = Lenient(A2AJsonContext.Default);

    public static JsonTypeInfo<T> TypeInfo<T>() => TypeInfo<T>(V1);

    public static JsonTypeInfo<T> TypeInfo<T>(JsonSerializerOptions options) => (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));

    /// <summary>Options reading <paramref name="context"/>'s types with every member optional.</summary>
    public static JsonSerializerOptions Lenient(JsonSerializerContext context) => new(context.Options)
    {
        TypeInfoResolver = ((IJsonTypeInfoResolver)context).WithAddedModifier(static info =>
        {
            foreach (var property in info.Properties)
            {
                property.IsRequired = false;
            }
        }),
    };

    /// <summary>
    /// The v1.0 params as <typeparamref name="T"/> (a new one when the request has none). ProtoJSON: each member is
    /// read under its JSON name or its proto name (<see cref="ProtoJsonNames"/>).
    /// </summary>
    public static T Read<T>(JsonElement? parameters)
        where T : class, new()
    {
        if (parameters is { ValueKind: JsonValueKind.Object } element && ProtoJsonNames.HasProtoNames(element, TypeInfo<T>(V1)))
        {
            var buffer = new ArrayBufferWriter<byte>();
            // The request's depth was checked when it was read; the rewrite copies it as it is.
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
            {
                ProtoJsonNames.Rewrite(writer, element, TypeInfo<T>(V1));
            }

            using var renamed = JsonDocument.Parse(buffer.WrittenMemory, new JsonDocumentOptions { MaxDepth = int.MaxValue });
            return Read<T>(renamed.RootElement, V1) ?? new T();
        }

        return Read<T>(parameters, V1) ?? new T();
    }

    /// <summary>The params as <typeparamref name="T"/>, or null when the request has none.</summary>
    /// <exception cref="A2AException">params is not an object, or a member has a value of the wrong shape (-32602, naming it).</exception>
    public static T? Read<T>(JsonElement? parameters, JsonSerializerOptions options)
        where T : class
    {
        if (parameters is not { } element)
        {
            return null;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            throw A2AException.InvalidParams("params", "params must be an object.");
        }

        try
        {
            return element.Deserialize(TypeInfo<T>(options));
        }
        catch (JsonException ex)
        {
            // Field names are relative to params ("message.parts[0]"), as the engine's own checks name them.
            var path = ex.Path switch
            {
                null or "$" => "params",
                var p when p.StartsWith("$.", StringComparison.Ordinal) => p[2..],
                var p => p[1..],
            };
            throw A2AException.InvalidParams(path, $"{path} has an invalid value.");
        }
    }
}
