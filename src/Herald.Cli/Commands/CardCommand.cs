using System.CommandLine;
using Herald.Cli.Output;
using Herald.Protocol;

namespace Herald.Cli.Commands;

/// <summary>
/// <c>herald card URL</c>: prints the agent card and the interface the client would use. A card with the
/// v0.3 fields (top-level <c>url</c>, <c>preferredTransport</c>, ...) is shown in both generations.
/// </summary>
internal static class CardCommand
{
    public static Command Create()
    {
        var command = new Command("card", "Print the agent's card (URL/.well-known/agent-card.json) and the interface herald would use.");
        var options = new ClientOptions(command, streaming: false);
        options.SetAction(command, async (parseResult, run, client, cancellationToken) =>
        {
            var endpoint = await client.GetEndpointAsync(cancellationToken).ConfigureAwait(false);
            if (run.Settings.Json)
            {
                var line = endpoint.Card is { } card
                    ? JsonLines.Card(card, endpoint.V03Card)
                    : JsonLines.Value(new AgentCard { Name = "", Description = "", SupportedInterfaces = [endpoint.Interface] }, A2AJsonContext.Default.AgentCard);
                await run.Output.WriteLineAsync(line).ConfigureAwait(false);
                await run.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await TaskPrinter.WriteCardAsync(run.Output, endpoint).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
