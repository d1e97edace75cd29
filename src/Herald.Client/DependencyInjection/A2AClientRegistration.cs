namespace Herald.Client;

/// <summary>Where a named client points; kept out of <see cref="A2AClientOptions"/>, which also serves non-DI use.</summary>
internal sealed class A2AClientRegistration
{
    public Uri? AgentUrl { get; set; }
}
