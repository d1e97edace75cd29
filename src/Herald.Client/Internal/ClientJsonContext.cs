using System.Text.Json.Serialization;

namespace Herald.Client;

/// <summary>Source-generated reading of the client's own (non-wire-model) types.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip)]
[JsonSerializable(typeof(V03CardFields))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;
