using Herald.Protocol;
using Herald.Server.Agents;

namespace Herald.Cli.Agents;

/// <summary>Answers every message with its own text, as a direct message: no task is created.</summary>
internal sealed class EchoAgent : IAgent
{
    public static AgentCard Card { get; } = new()
    {
        Name = "Herald echo agent",
        Description = "A demo agent served by `herald serve --agent echo`: it answers every message with the same text.",
        Skills =
        [
            new AgentSkill
            {
                Id = "echo",
                Name = "Echo",
                Description = "Replies with the text it receives, as a direct message (no task).",
                Tags = ["demo", "echo"],
                Examples = ["hello"],
            },
        ],
    };

    public Task ExecuteAsync(AgentContext context, CancellationToken cancellationToken) =>
        context.ReplyAsync(context.UserText, cancellationToken).AsTask();
}
