using System.Text.Json;

namespace Herald.AspNetCore.JsonRpc;

/// <summary>
/// A JSON-RPC request whose envelope passed validation. <see cref="IdJson"/> is the id exactly as the
/// client wrote it (raw JSON, length-capped), so answers echo it byte for byte without re-encoding, and
/// nothing of the request body needs to be kept once <see cref="Params"/> has been read.
/// </summary>
internal sealed class JsonRpcRequest(byte[] idJson, string method, JsonElement? parameters)
{
    public byte[] IdJson { get; } = idJson;

    public string Method { get; } = method;

    /// <summary>The params value (not null); valid only while the request document is alive.</summary>
    public JsonElement? Params { get; } = parameters;
}
