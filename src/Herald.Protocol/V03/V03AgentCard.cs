using System.Text.Json;

namespace Herald.Protocol.V03;

/// <summary>
/// A v0.3 agent card: one main <see cref="Url"/> with its <see cref="PreferredTransport"/>, more
/// endpoints in <see cref="AdditionalInterfaces"/>, one <see cref="ProtocolVersion"/> for all of them.
/// </summary>
/// <remarks>Members the schema requires are not <c>required</c> here: a client reads what cards in use actually carry.</remarks>
public sealed record V03AgentCard
{
    public required string Name { get; init; }

    public required string Description { get; init; }

    /// <summary>The main endpoint, speaking <see cref="PreferredTransport"/>.</summary>
    public string Url { get; init => field = value ?? ""; } = "";

    /// <summary><c>JSONRPC</c>, <c>GRPC</c> or <c>HTTP+JSON</c>; JSON-RPC when a card leaves it out.</summary>
    public string? PreferredTransport { get; init; }

    public IReadOnlyList<V03AgentInterface>? AdditionalInterfaces { get; init; }

    /// <summary>E.g. <c>0.3.0</c>.</summary>
    public string ProtocolVersion { get; init => field = value ?? ""; } = "";

    public string Version { get; init => field = value ?? ""; } = "";

    public string? IconUrl { get; init; }

    public string? DocumentationUrl { get; init; }

    public AgentProvider? Provider { get; init; }

    public V03AgentCapabilities Capabilities { get; init => field = value ?? new(); } = new();

    public Dictionary<string, V03SecurityScheme>? SecuritySchemes { get; init; }

    /// <summary>Alternatives, each a map from scheme name to the scopes it needs.</summary>
    public IReadOnlyList<Dictionary<string, IReadOnlyList<string>>>? Security { get; init; }

    public IReadOnlyList<string> DefaultInputModes { get; init => field = value ?? []; } = [];

    public IReadOnlyList<string> DefaultOutputModes { get; init => field = value ?? []; } = [];

    public IReadOnlyList<V03AgentSkill> Skills { get; init => field = value ?? []; } = [];

    public bool? SupportsAuthenticatedExtendedCard { get; init; }

    public IReadOnlyList<AgentCardSignature>? Signatures { get; init; }
}

/// <summary>An endpoint of a v0.3 card: <c>{"url", "transport"}</c>.</summary>
public sealed record V03AgentInterface
{
    public required string Url { get; init; }

    public required string Transport { get; init; }
}

/// <summary>Optional features of a v0.3 agent.</summary>
public sealed record V03AgentCapabilities
{
    public bool? Streaming { get; init; }

    public bool? PushNotifications { get; init; }

    public bool? StateTransitionHistory { get; init; }

    public IReadOnlyList<AgentExtension>? Extensions { get; init; }
}

/// <summary>A capability of a v0.3 agent.</summary>
public sealed record V03AgentSkill
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public string Description { get; init => field = value ?? ""; } = "";

    public IReadOnlyList<string> Tags { get; init => field = value ?? []; } = [];

    public IReadOnlyList<string>? Examples { get; init; }

    public IReadOnlyList<string>? InputModes { get; init; }

    public IReadOnlyList<string>? OutputModes { get; init; }

    public IReadOnlyList<Dictionary<string, IReadOnlyList<string>>>? Security { get; init; }
}

/// <summary>
/// A v0.3 security scheme (OpenAPI style): <see cref="Type"/> is <c>apiKey</c>, <c>http</c>,
/// <c>oauth2</c>, <c>openIdConnect</c> or <c>mutualTLS</c>, and only that type's members are set.
/// </summary>
public sealed record V03SecurityScheme
{
    /// <summary>Empty when a card carries a scheme in another shape (e.g. a v1.0 scheme in a card with both generations' fields).</summary>
    public string Type { get; init => field = value ?? ""; } = "";

    public string? Description { get; init; }

    /// <summary>apiKey: <c>header</c>, <c>query</c> or <c>cookie</c>.</summary>
    [System.Text.Json.Serialization.JsonPropertyName("in")]
    public string? In { get; init; }

    /// <summary>apiKey: the header, query parameter or cookie name.</summary>
    public string? Name { get; init; }

    /// <summary>http: e.g. <c>bearer</c>.</summary>
    public string? Scheme { get; init; }

    public string? BearerFormat { get; init; }

    public V03OAuthFlows? Flows { get; init; }

    public string? Oauth2MetadataUrl { get; init; }

    public string? OpenIdConnectUrl { get; init; }
}

/// <summary>The OAuth 2.0 flows of a v0.3 <c>oauth2</c> scheme.</summary>
public sealed record V03OAuthFlows
{
    public V03OAuthFlow? AuthorizationCode { get; init; }

    public V03OAuthFlow? ClientCredentials { get; init; }

    public V03OAuthFlow? Implicit { get; init; }

    public V03OAuthFlow? Password { get; init; }
}

/// <summary>One OAuth 2.0 flow (the members a flow does not use stay unset).</summary>
public sealed record V03OAuthFlow
{
    public string? AuthorizationUrl { get; init; }

    public string? TokenUrl { get; init; }

    public string? RefreshUrl { get; init; }

    public Dictionary<string, string> Scopes { get; init => field = value ?? []; } = [];
}
