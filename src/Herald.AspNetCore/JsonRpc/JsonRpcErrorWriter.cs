using System.Text.Json;
using Herald.AspNetCore.Http;
using Herald.Protocol;

namespace Herald.AspNetCore.JsonRpc;

/// <summary>Writes JSON-RPC error objects with <c>google.rpc</c> detail entries in <c>data</c>.</summary>
internal static class JsonRpcErrorWriter
{
    public const string Domain = ErrorDetailsWriter.Domain;

    /// <summary>Messages are for people: keep quotes and non-ASCII readable instead of \u-escaped.</summary>
    public static readonly JsonWriterOptions WriterOptions = ErrorDetailsWriter.WriterOptions;

    /// <summary>Writes <c>{"code":..,"message":..,"data":[ErrorInfo, BadRequest?]}</c>.</summary>
    public static void WriteError(Utf8JsonWriter writer, A2AException error)
    {
        writer.WriteStartObject();
        writer.WriteNumber("code", error.Code);
        writer.WriteString("message", error.Message);
        ErrorDetailsWriter.WriteDetails(writer, "data", error);
        writer.WriteEndObject();
    }
}
