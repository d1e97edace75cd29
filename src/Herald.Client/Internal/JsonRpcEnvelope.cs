using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Herald.Protocol;

namespace Herald.Client;

/// <summary>
/// Reads a JSON-RPC 2.0 response straight from its bytes: checks the envelope and the id, turns an
/// <c>error</c> into an exception, and deserializes <c>result</c> from its slice without an
/// intermediate document.
/// </summary>
internal static class JsonRpcEnvelope
{
    public static T ReadResult<T>(ReadOnlySpan<byte> json, long expectedId, JsonTypeInfo<T> typeInfo, bool inStream)
    {
        var result = GetResult(json, expectedId, inStream);
        T? value;
        try
        {
            value = JsonSerializer.Deserialize(result, typeInfo);
        }
        catch (JsonException ex)
        {
            throw new A2AInvalidResponseException($"The result is not a valid {Describe(typeInfo)}: {ex.Message}", ex);
        }

        return value ?? throw new A2AInvalidResponseException($"The result is null; expected a {Describe(typeInfo)}.");
    }

    /// <summary>The bytes of <c>result</c>; throws the server's error, or <see cref="A2AInvalidResponseException"/>.</summary>
    public static ReadOnlySpan<byte> GetResult(ReadOnlySpan<byte> json, long expectedId, bool inStream)
    {
        var versionOk = false;
        var idState = IdState.Missing;
        var resultStart = -1;
        var resultEnd = -1;
        JsonRpcError? error = null;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 1100 }); // as deep as A2AJsonContext reads
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new A2AInvalidResponseException("The response is not a JSON-RPC response object.");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("jsonrpc"u8))
                {
                    reader.Read();
                    versionOk = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("2.0"u8);
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    idState = reader.TokenType switch
                    {
                        JsonTokenType.Null => IdState.Null,
                        JsonTokenType.Number when reader.TryGetInt64(out var n) && n == expectedId => IdState.Matches,
                        JsonTokenType.String when reader.GetString() == expectedId.ToString(CultureInfo.InvariantCulture) => IdState.Matches,
                        _ => IdState.Different,
                    };
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("result"u8))
                {
                    reader.Read();
                    resultStart = (int)reader.TokenStartIndex;
                    reader.Skip();
                    resultEnd = (int)reader.BytesConsumed;
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    error = reader.TokenType == JsonTokenType.Null ? null : JsonSerializer.Deserialize(ref reader, A2AJsonContext.Default.JsonRpcError);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                throw new A2AInvalidResponseException("The response is not a single JSON-RPC response object.");
            }
        }
        catch (JsonException ex)
        {
            throw new A2AInvalidResponseException($"The response is not valid JSON: {ex.Message}", ex);
        }

        if (!versionOk)
        {
            throw new A2AInvalidResponseException("The response is not JSON-RPC 2.0 (\"jsonrpc\": \"2.0\" is missing).");
        }

        if (error is not null)
        {
            // Servers answer parse errors with id null; any other id must be ours.
            if (idState == IdState.Different)
            {
                throw new A2AInvalidResponseException($"The error response's id does not match the request id {expectedId}: {error.Message}");
            }

            throw ToException(error, inStream);
        }

        if (resultStart < 0)
        {
            throw new A2AInvalidResponseException("The JSON-RPC response has neither result nor error.");
        }

        if (idState != IdState.Matches)
        {
            throw new A2AInvalidResponseException($"The response id does not match the request id {expectedId}.");
        }

        return json[resultStart..resultEnd];
    }

    /// <summary>The server's error as an exception, with the field and metadata from its detail objects.</summary>
    public static A2AException ToException(JsonRpcError error, bool inStream)
    {
        string? field = null;
        Dictionary<string, string>? details = null;
        if (error.Data is { ValueKind: JsonValueKind.Array } data)
        {
            foreach (var item in data.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                if (field is null && item.TryGetProperty("fieldViolations"u8, out var violations) && violations.ValueKind == JsonValueKind.Array)
                {
                    foreach (var violation in violations.EnumerateArray())
                    {
                        if (violation.ValueKind == JsonValueKind.Object && violation.TryGetProperty("field"u8, out var f) && f.ValueKind == JsonValueKind.String)
                        {
                            field = f.GetString();
                            break;
                        }
                    }
                }

                if (item.TryGetProperty("metadata"u8, out var metadata) && metadata.ValueKind == JsonValueKind.Object)
                {
                    foreach (var property in metadata.EnumerateObject())
                    {
                        if (property.Value.ValueKind == JsonValueKind.String)
                        {
                            details ??= new Dictionary<string, string>(StringComparer.Ordinal);
                            details[property.Name] = property.Value.GetString()!;
                        }
                    }
                }
            }
        }

        return inStream
            ? new A2AStreamErrorException(error.Code, error.Message, field) { ErrorData = error.Data, Details = details }
            : new A2AException(error.Code, error.Message, field) { ErrorData = error.Data, Details = details };
    }

    /// <summary>Tries to read a JSON-RPC error from a body that is not the expected answer (HTTP error, JSON instead of a stream).</summary>
    public static A2AException? TryReadError(ReadOnlySpan<byte> json, bool inStream)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        return null;
                    }

                    var error = JsonSerializer.Deserialize(ref reader, A2AJsonContext.Default.JsonRpcError);
                    return error is null ? null : ToException(error, inStream);
                }

                reader.Read();
                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    private static string Describe(JsonTypeInfo typeInfo) => typeInfo.Type.Name;

    private enum IdState
    {
        Missing,
        Null,
        Matches,
        Different,
    }
}
