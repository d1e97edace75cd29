using Herald.Client.Bindings;
using Microsoft.Extensions.Logging;

namespace Herald.Client;

/// <summary>Settings of an <see cref="IA2AClient"/>. Do not change them after the client was created.</summary>
public sealed class A2AClientOptions
{
    /// <summary>1 MiB.</summary>
    private const int MiB = 1024 * 1024;

    /// <summary>
    /// The A2A protocol version to use (<c>1.0</c>, <c>0.3</c>). Null takes the first interface of the agent
    /// card (the agent's preference) that this client implements. When set and the card does not offer it
    /// over a binding this client implements, the client throws <see cref="A2AVersionNotSupportedException"/>
    /// instead of falling back (spec 3.6.3).
    /// </summary>
    public string? ProtocolVersion { get; set; }

    /// <summary>
    /// The protocol binding to use: <c>JSONRPC</c>, <c>HTTP+JSON</c> (also written <c>rest</c>) or <c>GRPC</c>. Null
    /// takes the first interface of the agent card that this client implements, in the card's order (the agent's
    /// preference). When set, only interfaces of that binding qualify: a card that does not offer it (or only in a
    /// version this client does not speak) fails with <see cref="A2AVersionNotSupportedException"/>, never a fallback.
    /// </summary>
    public string? ProtocolBinding { get; set; }

    /// <summary>
    /// Reconnect a stream that drops before the task reached a terminal or interrupted state, with
    /// SubscribeToTask and <c>Last-Event-ID</c>, so the caller sees every event once and in order. On by default.
    /// </summary>
    public bool AutoResume { get; set; } = true;

    /// <summary>Reconnection attempts in a row without receiving an event before the stream fails.</summary>
    public int MaxResumeAttempts { get; set; } = 5;

    /// <summary>Base reconnection delay when the server sent no <c>retry:</c>; doubled per failed attempt.</summary>
    public TimeSpan ResumeDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Upper bound of the reconnection delay before jitter.</summary>
    public TimeSpan MaxResumeDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Largest accepted SSE event (all its lines, in bytes); larger ones fail the stream. The default accepts
    /// anything a Herald server sends with its default limits (a 16 MiB snapshot plus framing).
    /// </summary>
    public int MaxEventSize { get; set; } = 17 * MiB;

    /// <summary>
    /// Largest accepted JSON response body of a non-streaming call, in bytes. The default accepts anything a Herald
    /// server sends with its default limits (16 MiB).
    /// </summary>
    public long MaxResponseSize { get; set; } = 17 * MiB;

    /// <summary>
    /// Check the agent card's signatures (spec 8.4) when the card is fetched: null (the default) does not look at them.
    /// A card that fails is refused with <see cref="A2ACardSignatureException"/>; the signature that verified is
    /// <see cref="A2AEndpoint.CardSignature"/>.
    /// </summary>
    public CardSignatureVerification? CardSignatureVerification { get; set; }

    /// <summary>Extension URIs sent in the <c>A2A-Extensions</c> header of every request.</summary>
    public IList<string> Extensions { get; } = [];

    /// <summary>
    /// Bindings implemented outside Herald.Client, next to its own: e.g. gRPC, added by <c>AddGrpcBinding()</c> of
    /// Herald.Client.Grpc. Their interfaces qualify in the card's order like any other.
    /// </summary>
    public IList<A2ABindingFactory> Bindings { get; } = [];

    /// <summary>Clock for reconnection delays; tests replace it.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Called when a dropped stream has been reconnected, before its first event is delivered.</summary>
    public Action<ResumeInfo>? OnResumed { get; set; }

    /// <summary>
    /// Supplies the bearer token of every A2A request (calls and stream opens, resumptions included; not the public
    /// agent card): sent as <c>Authorization: Bearer</c> unless it returns null or empty. When the server answers 401
    /// (gRPC: UNAUTHENTICATED), it is asked again with <see cref="AccessTokenRequest.Refresh"/> set and the request is
    /// retried once. Called per request: cache tokens in the provider.
    /// </summary>
    public Func<AccessTokenRequest, CancellationToken, ValueTask<string?>>? AccessTokenProvider { get; set; }

    /// <summary>Optional logger for reconnections.</summary>
    public ILogger? Logger { get; set; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(MaxResumeAttempts);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxEventSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxResponseSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(ResumeDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxResumeDelay, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
