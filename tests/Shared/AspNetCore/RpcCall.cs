using System.Text.Json;

namespace Herald.Testing;

/// <summary>One JSON-RPC request as the fake server saw it.</summary>
public sealed record RpcCall(string Method, JsonElement Id, JsonElement Params, IReadOnlyDictionary<string, string> Headers, int Index)
{
    /// <summary>The request id as JSON text, to echo it unchanged.</summary>
    public string IdJson => Id.GetRawText();

    public string? LastEventId => Headers.TryGetValue("Last-Event-ID", out var value) ? value : null;
}
