namespace Herald.Client;

/// <summary>What <see cref="A2AClientOptions.AccessTokenProvider"/> is asked for: a token for one request.</summary>
public sealed record AccessTokenRequest
{
    /// <summary>The request the token is for (the agent's endpoint, or a path under it).</summary>
    public required Uri RequestUri { get; init; }

    /// <summary>
    /// True when the server refused the previous token (HTTP 401, gRPC UNAUTHENTICATED): return a fresh one, not a cached
    /// one. The request is retried once with it.
    /// </summary>
    public bool Refresh { get; init; }
}
