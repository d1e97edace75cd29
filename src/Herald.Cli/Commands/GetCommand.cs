using System.CommandLine;
using Herald.Cli.Output;
using Herald.Protocol;

namespace Herald.Cli.Commands;

/// <summary><c>herald get URL TASK [--history N]</c>: prints a task (GetTask).</summary>
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
        var command = new Command("get", "Print a task: state, status message, artifacts and history.")
        {
            taskId,
            history,
        };
        var options = new ClientOptions(command, streaming: false);
        options.SetAction(command, async (parseResult, run, client, cancellationToken) =>
        {
            var request = new GetTaskRequest { Id = parseResult.GetValue(taskId), HistoryLength = parseResult.GetValue(history) };
            var task = await client.GetTaskAsync(request, cancellationToken).ConfigureAwait(false);
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
}
