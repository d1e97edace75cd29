using Herald.Protocol;

namespace Herald.Client.Bindings;

/// <summary>
/// Makes a binding implemented outside Herald.Client available to clients: add it to
/// <see cref="A2AClientOptions.Bindings"/> (Herald.Client.Grpc's <c>options.AddGrpcBinding()</c> does), and
/// interfaces of its binding qualify when the client chooses one from the agent card.
/// </summary>
public abstract class A2ABindingFactory
{
    /// <summary>The binding name as agent cards write it (e.g. <c>GRPC</c>); compared ignoring case.</summary>
    public abstract string ProtocolBinding { get; }

    /// <summary>Whether the binding speaks <paramref name="protocolVersion"/> (<c>Major.Minor</c>, e.g. <c>1.0</c>).</summary>
    public virtual bool SupportsVersion(string protocolVersion) => protocolVersion == "1.0";

    /// <summary>The binding for <paramref name="agentInterface"/>, over the client's <paramref name="httpClient"/> (its handlers and default headers apply).</summary>
    public abstract A2ABinding Create(HttpClient httpClient, AgentInterface agentInterface, A2AClientOptions options);
}
