using System.Text.Json.Serialization;

namespace Herald.Client;

/// <summary>Source-generated reading of the client's own (non-wire-model) types.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip)]
[JsonSerializable(typeof(V03CardFields))]
[JsonSerializable(typeof(EmptyParams))]
[JsonSerializable(typeof(RestErrorEnvelope))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;

/// <summary><c>{}</c>: the params of a method that takes none (JSON-RPC servers differ on a missing <c>params</c>).</summary>
internal sealed record EmptyParams
{
    public static readonly EmptyParams Instance = new();
}
