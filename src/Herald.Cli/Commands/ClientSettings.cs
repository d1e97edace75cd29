using Herald.Client;

namespace Herald.Cli.Commands;

/// <summary>What every client verb was told: where the agent is and how to talk to it.</summary>
/// <param name="AgentUrl">The agent's base URL (its card is at <c>.well-known/agent-card.json</c> under it).</param>
/// <param name="Headers">Headers added to every request (<c>-H "Name: value"</c>), e.g. authorization.</param>
/// <param name="ProtocolVersion">The pinned A2A version, or null for the agent's preferred interface that herald speaks.</param>
/// <param name="Binding">The pinned binding as typed (<c>jsonrpc</c>, <c>rest</c>, <c>grpc</c>), or null for the card's order.</param>
/// <param name="Json">One JSON line per event or result instead of text for people.</param>
/// <param name="Verbose">Stack traces with errors.</param>
/// <param name="AutoResume">Reconnect a dropped stream (on unless <c>--no-resume</c>).</param>
internal sealed record ClientSettings(
    Uri AgentUrl,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    string? ProtocolVersion,
    string? Binding,
    bool Json,
    bool Verbose,
    bool AutoResume)
{
    /// <summary>How to check the card's signatures (<c>herald card --verify</c>); null does not check them.</summary>
    public CardSignatureVerification? CardVerification { get; init; }
}
