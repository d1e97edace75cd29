namespace Herald.Client;

/// <summary>The transport fields of a v0.3 agent card (<c>url</c>, <c>preferredTransport</c>, ...), read next to the v1.0 model.</summary>
internal sealed record V03CardFields
{
    public string? Url { get; init; }

    public string? PreferredTransport { get; init; }

    public IReadOnlyList<V03AgentInterface>? AdditionalInterfaces { get; init; }

    public string? ProtocolVersion { get; init; }
}
