using System.Buffers;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;

namespace Herald.Grpc.Conversion;

/// <summary>
/// <c>google.protobuf.Struct</c> / <c>Value</c> (metadata maps, data parts) to and from the JSON values of
/// Herald's model, written and read directly (no ProtoJSON text in between). Numbers are doubles in a
/// <c>Value</c>, as ProtoJSON has them; non-finite doubles, which JSON cannot hold, become the strings
/// ProtoJSON uses for them.
/// </summary>
internal static class ProtoJson
{
    /// <summary>Struct nesting costs two protobuf levels per JSON level, so protobuf's limit (100) is reached first; this only guards the reader.</summary>
    private static readonly JsonDocumentOptions ReadOptions = new() { MaxDepth = 1100 }; // as deep as A2AJsonContext allows

    public static Dictionary<string, JsonElement>? ToDictionary(Struct? value)
    {
        if (value is null)
        {
            return null;
        }

        using var document = Parse(writer => WriteStruct(writer, value));
        var result = new Dictionary<string, JsonElement>(value.Fields.Count, StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            result[property.Name] = property.Value.Clone();
        }

        return result;
    }

    public static JsonElement ToElement(Value value)
    {
        using var document = Parse(writer => WriteValue(writer, value));
        return document.RootElement.Clone();
    }

    public static Struct? ToStruct(IReadOnlyDictionary<string, JsonElement>? values)
    {
        if (values is null)
        {
            return null;
        }

        var result = new Struct();
        foreach (var (key, element) in values)
        {
            result.Fields[key] = ToValue(element);
        }

        return result;
    }

    public static Value ToValue(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => Value.ForStruct(ObjectToStruct(element)),
        JsonValueKind.Array => Value.ForList([.. element.EnumerateArray().Select(ToValue)]),
        JsonValueKind.String => Value.ForString(element.GetString()!),
        JsonValueKind.Number => Value.ForNumber(element.GetDouble()),
        JsonValueKind.True => Value.ForBool(true),
        JsonValueKind.False => Value.ForBool(false),
        _ => Value.ForNull(),
    };

    private static Struct ObjectToStruct(JsonElement element)
    {
        var result = new Struct();
        foreach (var property in element.EnumerateObject())
        {
            result.Fields[property.Name] = ToValue(property.Value);
        }

        return result;
    }

    private static JsonDocument Parse(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        return JsonDocument.Parse(buffer.WrittenMemory, ReadOptions);
    }

    private static void WriteStruct(Utf8JsonWriter writer, Struct value)
    {
        writer.WriteStartObject();
        foreach (var (key, field) in value.Fields)
        {
            writer.WritePropertyName(key);
            WriteValue(writer, field);
        }

        writer.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter writer, Value? value)
    {
        switch (value?.KindCase ?? Value.KindOneofCase.None)
        {
            case Value.KindOneofCase.StructValue:
                WriteStruct(writer, value!.StructValue);
                break;
            case Value.KindOneofCase.ListValue:
                writer.WriteStartArray();
                foreach (var item in value!.ListValue.Values)
                {
                    WriteValue(writer, item);
                }

                writer.WriteEndArray();
                break;
            case Value.KindOneofCase.StringValue:
                writer.WriteStringValue(value!.StringValue);
                break;
            case Value.KindOneofCase.NumberValue:
                var number = value!.NumberValue;
                if (double.IsFinite(number))
                {
                    writer.WriteNumberValue(number);
                }
                else
                {
                    writer.WriteStringValue(double.IsNaN(number) ? "NaN" : number > 0 ? "Infinity" : "-Infinity");
                }

                break;
            case Value.KindOneofCase.BoolValue:
                writer.WriteBooleanValue(value!.BoolValue);
                break;
            default:
                // NullValue, and a Value with no kind set (which ProtoJSON also cannot write): JSON null.
                writer.WriteNullValue();
                break;
        }
    }
}
