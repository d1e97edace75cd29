using System.Text.Json;
using Herald.Protocol;

namespace Herald.AspNetCore.Http;

/// <summary>
/// Writes an A2A error's detail objects (spec 3.3.2), the same for every binding: a <c>google.rpc.ErrorInfo</c>
/// with the A2A reason and domain (and the error's metadata), then a <c>google.rpc.BadRequest</c> naming the
/// field when the error is about one. JSON-RPC puts the array in <c>error.data</c>, REST in <c>error.details</c>.
/// </summary>
internal static class ErrorDetailsWriter
{
    public const string Domain = "a2a-protocol.org";

    /// <summary>Messages are for people: keep quotes and non-ASCII readable instead of \u-escaped.</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes the property <paramref name="name"/> with the detail array as its value.</summary>
    public static void WriteDetails(Utf8JsonWriter writer, string name, A2AException error)
    {
        writer.WriteStartArray(name);

        writer.WriteStartObject();
        writer.WriteString("@type", "type.googleapis.com/google.rpc.ErrorInfo");
        writer.WriteString("reason", A2AErrorCodes.Reason(error.Code));
        writer.WriteString("domain", Domain);
        if (error.Details is { Count: > 0 } details)
        {
            writer.WriteStartObject("metadata");
            foreach (var (key, value) in details)
            {
                writer.WriteString(key, value);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();

        if (error.Field is { } field)
        {
            writer.WriteStartObject();
            writer.WriteString("@type", "type.googleapis.com/google.rpc.BadRequest");
            writer.WriteStartArray("fieldViolations");
            writer.WriteStartObject();
            writer.WriteString("field", field);
            writer.WriteString("description", error.Message);
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }
}
