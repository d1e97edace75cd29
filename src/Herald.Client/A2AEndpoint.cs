using Herald.Protocol;
using Herald.Protocol.V03;

namespace Herald.Client;

/// <summary>What a client talks to: the interface chosen from the agent card, and the card itself.</summary>
/// <param name="Interface">The chosen interface (absolute URL, binding, protocol version).</param>
/// <param name="Card">The public agent card, or null when the client was created from an interface directly.</param>
public sealed record A2AEndpoint(AgentInterface Interface, AgentCard? Card)
{
    /// <summary>The protocol version in use, <c>Major.Minor</c> (e.g. <c>1.0</c>).</summary>
    public string ProtocolVersion => ProtocolVersions.Normalize(Interface.ProtocolVersion);

    /// <summary>
    /// The card as a v0.3 card (top-level <c>url</c>, <c>preferredTransport</c>, <c>additionalInterfaces</c>,
    /// <c>protocolVersion</c>) when the agent published those fields; null for a v1.0-only card.
    /// </summary>
    public V03AgentCard? V03Card { get; init; }

    /// <summary>
    /// The card signature that verified, when <see cref="A2AClientOptions.CardSignatureVerification"/> is set and the card
    /// is signed; null otherwise.
    /// </summary>
    public VerifiedCardSignature? CardSignature { get; init; }
}
