using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Herald.Protocol;

namespace Herald.AspNetCore.JsonRpc;

/// <summary>
/// Reads a method's params into the typed request. Members the model marks <c>required</c> are not
/// enforced here: a missing one is left null and the engine's validation names it ("message.messageId
/// is required"), so no error text has to be taken apart to find the field.
/// </summary>
internal static class ParamsReader
{
    private static readonly JsonSerializerOptions Lenient = new(A2AJsonContext.Default.Options)
    {
        TypeInfoResolver = A2AJsonContext.Default.WithAddedModifier(static info =>
        {
            foreach (var property in info.Properties)
            {
                property.IsRequired = false;
            }
        }),
    };

    public static JsonTypeInfo<T> TypeInfo<T>() => (JsonTypeInfo<T>)Lenient.GetTypeInfo(typeof(T));

    public static T Read<T>(JsonElement? parameters)
        where T : new()
    {
        if (parameters is not { } element)
        {
            return new T();
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            throw A2AException.InvalidParams("params", "params must be an object.");
        }

        try
        {
            return element.Deserialize(TypeInfo<T>()) ?? new T();
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
