using System.CommandLine;
using Herald.Cli.Output;
using Herald.Client;
using Herald.Protocol;

namespace Herald.Cli.Commands;

/// <summary>
/// <c>herald get URL TASK [--history N] [--wait [--after GENERATION]]</c>: prints a task (GetTask); with <c>--wait</c>, once it
/// has changed (A2A 1.1 long-poll on its generation).
/// </summary>
internal static class GetCommand
{
    public static Command Create()
    {
        var taskId = new Argument<string>("TASK") { Description = "The task id." };
        var history = new Option<int?>("--history") { Description = "At most this many of the latest history messages (0: none).", HelpName = "N" };
        history.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() < 0)
            {
                result.AddError("--history must be 0 or more.");
            }
        });
        var wait = new Option<bool>("--wait")
        {
            Description = "Print the task once it has changed: the agent's next status or artifact update, or its end (A2A 1.1 long-poll; the agent must offer generations).",
        };
        var after = new Option<long?>("--after")
        {
            Description = "With --wait: wait until the task's generation is past this one (default: its generation now).",
            HelpName = "GENERATION",
        };
        after.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<long?>() < 0)
            {
                result.AddError("--after must be 0 or more.");
            }
        });
        var command = new Command("get", "Print a task: state, status message, artifacts and history; with --wait, once it changes.")
        {
            taskId,
            history,
            wait,
            after,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(after) is not null && !result.GetValue(wait))
            {
                result.AddError("--after needs --wait.");
            }
        });
        var options = new ClientOptions(command, streaming: false);
        options.SetAction(command, async (parseResult, run, client, cancellationToken) =>
        {
            var request = new GetTaskRequest { Id = parseResult.GetValue(taskId), HistoryLength = parseResult.GetValue(history) };
            var task = parseResult.GetValue(wait)
                ? await WaitForChangeAsync(client, request, parseResult.GetValue(after), run, cancellationToken).ConfigureAwait(false)
                : await client.GetTaskAsync(request, cancellationToken).ConfigureAwait(false);
            if (task is null)
            {
                return ExitCodes.UnsupportedVersion;
            }

            if (run.Settings.Json)
            {
                await run.Output.WriteLineAsync(JsonLines.Value(task, A2AJsonContext.Default.AgentTask)).ConfigureAwait(false);
                await run.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await TaskPrinter.WriteTaskAsync(run.Output, task).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// Long-polls until the task's generation passes <paramref name="after"/> (or the task's generation now) or the task has
    /// ended; asks again each time the server's long-poll times out. Null when the agent offers no generations (said on stderr).
    /// </summary>
    private static async Task<AgentTask?> WaitForChangeAsync(IA2AClient client, GetTaskRequest request, long? after, ClientRun run, CancellationToken cancellationToken)
    {
        var current = after;
        if (current is null)
        {
            var now = await client.GetTaskAsync(request, cancellationToken).ConfigureAwait(false);
            if (now.Generation is not { } generation)
            {
                return await NoGenerationsAsync(run).ConfigureAwait(false);
            }

            if (now.Status.State.IsTerminal())
            {
                return now; // it will not change again
            }

            current = generation;
        }

        while (true)
        {
            var task = await client.GetTaskAsync(request with { CurrentGeneration = current }, cancellationToken).ConfigureAwait(false);
            if (task.Generation is not { } generation)
            {
                return await NoGenerationsAsync(run).ConfigureAwait(false);
            }

            if (generation > current || task.Status.State.IsTerminal())
            {
                return task;
            }
        }
    }

    private static async Task<AgentTask?> NoGenerationsAsync(ClientRun run)
    {
        await run.Error.WriteLineAsync("herald get: --wait needs A2A 1.1 generations, which this agent does not offer (its tasks carry no generation).").ConfigureAwait(false);
        return null;
    }
}
