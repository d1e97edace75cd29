using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Protocol;

/// <summary>Self-describing manifest of an agent (proto <c>AgentCard</c>).</summary>
public sealed record AgentCard
{
    public required string Name { get; init; }

    public required string Description { get; init; }

    public IReadOnlyList<AgentInterface> SupportedInterfaces { get; init => field = value ?? []; } = [];

    public AgentProvider? Provider { get; init; }

    public string Version { get; init => field = value ?? "1.0.0"; } = "1.0.0";

    public string? DocumentationUrl { get; init; }

    public AgentCapabilities Capabilities { get; init => field = value ?? new(); } = new();

    public Dictionary<string, SecurityScheme>? SecuritySchemes { get; init; }

    public IReadOnlyList<SecurityRequirement>? SecurityRequirements { get; init; }

    public IReadOnlyList<string> DefaultInputModes { get; init => field = value ?? ["text/plain"]; } = ["text/plain"];

    public IReadOnlyList<string> DefaultOutputModes { get; init => field = value ?? ["text/plain"]; } = ["text/plain"];

    public IReadOnlyList<AgentSkill> Skills { get; init => field = value ?? []; } = [];

    public IReadOnlyList<AgentCardSignature>? Signatures { get; init; }

    public string? IconUrl { get; init; }
}

/// <summary>One endpoint of an agent: URL, binding and protocol version.</summary>
public sealed record AgentInterface
{
    public required string Url { get; init; }

    /// <summary><c>JSONRPC</c>, <c>GRPC</c>, <c>HTTP+JSON</c> or a custom binding URI.</summary>
    public required string ProtocolBinding { get; init; }

    public string? Tenant { get; init; }

    public required string ProtocolVersion { get; init; }
}

/// <summary>The organisation behind an agent.</summary>
public sealed record AgentProvider
{
    public required string Url { get; init; }

    public required string Organization { get; init; }
}

/// <summary>Optional features an agent supports.</summary>
public sealed record AgentCapabilities
{
    public bool? Streaming { get; init; }

    public bool? PushNotifications { get; init; }

    public IReadOnlyList<AgentExtension>? Extensions { get; init; }

    public bool? ExtendedAgentCard { get; init; }
}

/// <summary>A protocol extension the agent supports.</summary>
public sealed record AgentExtension
{
    public string? Uri { get; init; }

    public string? Description { get; init; }

    public bool? Required { get; init; }

    public Dictionary<string, JsonElement>? Params { get; init; }
}

/// <summary>A capability the agent offers.</summary>
public sealed record AgentSkill
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public required string Description { get; init; }

    public IReadOnlyList<string> Tags { get; init => field = value ?? []; } = [];

    public IReadOnlyList<string>? Examples { get; init; }

    public IReadOnlyList<string>? InputModes { get; init; }

    public IReadOnlyList<string>? OutputModes { get; init; }

    public IReadOnlyList<SecurityRequirement>? SecurityRequirements { get; init; }
}

/// <summary>A JWS signature over the card.</summary>
public sealed record AgentCardSignature
{
    public required string Protected { get; init; }

    public required string Signature { get; init; }

    public Dictionary<string, JsonElement>? Header { get; init; }
}
