using System.CommandLine;
using Herald.Cli.Output;
using Herald.Protocol;

namespace Herald.Cli.Commands;

/// <summary><c>herald cancel URL TASK</c>: cancels a task (CancelTask).</summary>
internal static class CancelCommand
{
    public static Command Create()
    {
        var taskId = new Argument<string>("TASK") { Description = "The task id." };
        var command = new Command("cancel", "Cancel a task; prints it in its new state.") { taskId };
        var options = new ClientOptions(command, streaming: false);
        options.SetAction(command, async (parseResult, run, client, cancellationToken) =>
        {
            var task = await client.CancelTaskAsync(new CancelTaskRequest { Id = parseResult.GetValue(taskId) }, cancellationToken).ConfigureAwait(false);
            if (run.Settings.Json)
            {
                await run.Output.WriteLineAsync(JsonLines.Value(task, A2AJsonContext.Default.AgentTask)).ConfigureAwait(false);
            }
            else
            {
                await run.Output.WriteLineAsync($"task {task.Id} {Display.State(task.Status.State)}").ConfigureAwait(false);
            }

            await run.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }
}
