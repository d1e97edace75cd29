using System.Globalization;
using Herald.Protocol;
using Herald.Server.Agents;

namespace Herald.Client.Tests.Infrastructure;

/// <summary>
/// An agent driven by its message text, a list of commands run in order:
/// <c>reply</c> (direct message), <c>work</c> (working status), <c>chunks:N</c> (N chunks of artifact
/// "out"), <c>batches:B:M:KEY</c> (B batches of M chunks, waiting for gate KEY-b after batch b),
/// <c>wait:KEY</c> (until gate KEY opens), <c>big:N</c> (one chunk of N characters), <c>input</c> (input-required), <c>fail</c>.
/// Without a terminal command the task completes when the agent returns.
/// </summary>
internal sealed class TestAgent : IAgent
{
    public async Task ExecuteAsync(AgentContext context, CancellationToken cancellationToken)
    {
        var chunk = 0;
        foreach (var command in context.UserText.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = command.Split(':');
            switch (parts[0])
            {
                case "reply":
                    await context.ReplyAsync("pong", cancellationToken);
                    return;
                case "work":
                    await context.StartWorkAsync("working", cancellationToken);
                    break;
                case "chunks":
                    var count = int.Parse(parts[1], CultureInfo.InvariantCulture);
                    for (var i = 0; i < count; i++)
                    {
                        await context.AppendTextAsync("out", $"c{chunk++} ", lastChunk: i == count - 1, name: "output", cancellationToken: cancellationToken);
                    }

                    break;
                case "batches":
                    var batches = int.Parse(parts[1], CultureInfo.InvariantCulture);
                    var size = int.Parse(parts[2], CultureInfo.InvariantCulture);
                    for (var b = 0; b < batches; b++)
                    {
                        for (var i = 0; i < size; i++)
                        {
                            await context.AppendTextAsync("out", $"c{chunk++} ", cancellationToken: cancellationToken);
                        }

                        await Gates.WaitAsync($"{parts[3]}-{b}", cancellationToken);
                    }

                    break;
                case "big":
                    // One chunk of N characters: near the server's per-event limit.
                    await context.AppendTextAsync("big", new string('b', int.Parse(parts[1], CultureInfo.InvariantCulture)), cancellationToken: cancellationToken);
                    break;
                case "wait":
                    await context.EnsureTaskAsync(cancellationToken);
                    await Gates.WaitAsync(parts[1], cancellationToken);
                    break;
                case "input":
                    await context.RequireInputAsync("more, please", cancellationToken);
                    return;
                case "fail":
                    await context.FailAsync("boom", cancellationToken);
                    return;
                default:
                    break;
            }
        }

        await context.CompleteAsync("done", cancellationToken);
    }
}
