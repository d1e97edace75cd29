using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Herald.AspNetCore.Http;
using Herald.Protocol;
using Microsoft.AspNetCore.Http;

namespace Herald.AspNetCore.JsonRpc;

/// <summary>
/// Writes JSON-RPC responses. A response is serialized whole before its first byte is sent, then leaves
/// through <see cref="ResponseBodyWriter"/> (slices with back-pressure, results within the server's response budget).
/// </summary>
internal static class JsonRpcResponses
{
    public static Task WriteResultAsync<T>(HttpContext context, byte[] idJson, T value, JsonTypeInfo<T> typeInfo) =>
        WriteEnvelopeAsync(context, idJson, json => JsonSerializer.Serialize(json, value, typeInfo));

    /// <summary>A result built as a JSON tree (answers merged from two generations' shapes).</summary>
    public static Task WriteResultAsync(HttpContext context, byte[] idJson, JsonNode value) =>
        WriteEnvelopeAsync(context, idJson, json => value.WriteTo(json));

    private static async Task WriteEnvelopeAsync(HttpContext context, byte[] idJson, Action<Utf8JsonWriter> writeResult)
    {
        // Built in pooled buffers, then copied once into an array of the answer's own size: the bytes the response
        // budget counts are the only copy that outlives this method.
        byte[] answer;
        using (var buffer = new PooledBufferWriter())
        {
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteString("jsonrpc", "2.0");
                json.WritePropertyName("id");
                json.WriteRawValue(idJson, skipInputValidation: true);
                json.WritePropertyName("result");
                writeResult(json);
                json.WriteEndObject();
            }

            var limit = ResponseLimit.Of(context);
            if (buffer.WrittenCount > limit)
            {
                await WriteErrorAsync(context, idJson, ResponseLimit.TooLarge(context, buffer.WrittenCount, limit)).ConfigureAwait(false);
                return;
            }

            answer = buffer.ToArray();
        }

        await ResponseBodyWriter.SendResultAsync(context, StatusCodes.Status200OK, "application/json", answer).ConfigureAwait(false);
    }

    public static async Task WriteErrorAsync(HttpContext context, byte[] idJson, A2AException error, int status = StatusCodes.Status200OK)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        ResponseLimit.SetRetryAfter(context, error);
        await SendAsync(context, status, ErrorBytes(idJson, error)).ConfigureAwait(false);
    }

    /// <summary>A complete error response <c>{"jsonrpc":"2.0","id":..,"error":{..}}</c> as bytes.</summary>
    public static byte[] ErrorBytes(byte[] idJson, A2AException error)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, JsonRpcErrorWriter.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("jsonrpc", "2.0");
            json.WritePropertyName("id");
            json.WriteRawValue(idJson, skipInputValidation: true);
            json.WritePropertyName("error");
            JsonRpcErrorWriter.WriteError(json, error);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static Task SendAsync(HttpContext context, int status, ReadOnlyMemory<byte> body) =>
        ResponseBodyWriter.SendAsync(context, status, "application/json", body);
}
