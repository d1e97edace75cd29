using System.Text.Json;
using Herald.Protocol;

namespace Herald.AspNetCore.JsonRpc;

/// <summary>Writes JSON-RPC error objects with <c>google.rpc</c> detail entries in <c>data</c>.</summary>
internal static class JsonRpcErrorWriter
{
    public const string Domain = "a2a-protocol.org";

    /// <summary>Messages are for people: keep quotes and non-ASCII readable instead of \u-escaped.</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes <c>{"code":..,"message":..,"data":[ErrorInfo, BadRequest?]}</c>.</summary>
    public static void WriteError(Utf8JsonWriter writer, A2AException error)
    {
        writer.WriteStartObject();
        writer.WriteNumber("code", error.Code);
        writer.WriteString("message", error.Message);
        writer.WriteStartArray("data");

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
        writer.WriteEndObject();
    }
}
