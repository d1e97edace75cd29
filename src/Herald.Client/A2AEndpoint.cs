using Herald.Protocol;

namespace Herald.Client;

/// <summary>What a client talks to: the interface chosen from the agent card, and the card itself.</summary>
/// <param name="Interface">The chosen interface (absolute URL, binding, protocol version).</param>
/// <param name="Card">The public agent card, or null when the client was created from an interface directly.</param>
public sealed record A2AEndpoint(AgentInterface Interface, AgentCard? Card)
{
    /// <summary>The protocol version in use, <c>Major.Minor</c> (e.g. <c>1.0</c>).</summary>
    public string ProtocolVersion => ProtocolVersions.Normalize(Interface.ProtocolVersion);
}
