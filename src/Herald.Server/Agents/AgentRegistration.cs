namespace Herald.Server.Agents;

/// <summary>Creates the agent for one execution, from that execution's service scope.</summary>
internal delegate IAgent AgentFactory(IServiceProvider services);

/// <summary>The registered agent: how to create it and how it answers.</summary>
internal sealed record AgentRegistration(AgentFactory Factory, AgentResponseMode Mode);
