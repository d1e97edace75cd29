using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Herald.AspNetCore.Http;
using Herald.Protocol;
using Herald.Server.Hosting;
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

    /// <summary>
    /// A result shared with concurrent requests for the same answer (<see cref="SharedResults"/>): this response's
    /// envelope around bytes that every member of the group writes from the same array.
    /// </summary>
    /// <exception cref="HttpRefusalException">503 busy: no build turn or no room in the budget within the wait.</exception>
    public static async Task WriteSharedResultAsync(HttpContext context, byte[] idJson, SharedAnswerKey key, Func<CancellationToken, ValueTask<SharedBody>> encode, CancellationToken cancellationToken)
    {
        using var answer = await SharedResults.GetAsync(context, key, encode, cancellationToken).ConfigureAwait(false);
        if (answer.Status == SharedAnswerStatus.Busy)
        {
            throw ResponseLimit.Busy();
        }

        var prefix = new byte[ResultPrefix.Length + idJson.Length + ResultName.Length];
        ResultPrefix.CopyTo(prefix);
        idJson.CopyTo(prefix.AsSpan(ResultPrefix.Length));
        ResultName.CopyTo(prefix.AsSpan(ResultPrefix.Length + idJson.Length));
        var size = prefix.Length + answer.Size + ResultSuffix.Length;
        var limit = ResponseLimit.Of(context);
        if (answer.Status == SharedAnswerStatus.TooLarge || size > limit)
        {
            await WriteErrorAsync(context, idJson, ResponseLimit.TooLarge(context, size, limit)).ConfigureAwait(false);
            return;
        }

        await ResponseBodyWriter.SendAsync(context, StatusCodes.Status200OK, "application/json", prefix, answer.Body, ResultSuffix).ConfigureAwait(false);
    }

    private static ReadOnlySpan<byte> ResultPrefix => "{\"jsonrpc\":\"2.0\",\"id\":"u8;

    private static ReadOnlySpan<byte> ResultName => ",\"result\":"u8;

    private static readonly byte[] ResultSuffix = "}"u8.ToArray();

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
