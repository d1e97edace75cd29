namespace Herald.Client;

/// <summary>A v0.3 <c>AgentInterface</c>: <c>{"url", "transport"}</c>.</summary>
internal sealed record V03AgentInterface
{
    public string? Url { get; init; }

    public string? Transport { get; init; }
}
