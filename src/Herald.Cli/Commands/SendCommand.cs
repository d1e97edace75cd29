using System.CommandLine;
using Herald.Cli.Output;
using Herald.Client;
using Herald.Protocol;

namespace Herald.Cli.Commands;

/// <summary><c>herald send URL TEXT [--stream] [--task ID] [--context ID]</c>: sends a user message.</summary>
internal static class SendCommand
{
    public static Command Create()
    {
        var text = new Argument<string>("TEXT") { Description = "The message text (sent as a user message with a new message id)." };
        var stream = new Option<bool>("--stream")
        {
            Description = "Stream the task's progress (SendStreamingMessage): a live view in a terminal, progressive lines otherwise, " +
                "one JSON line per event with --json. Without it, waits for the task to end and prints the result.",
        };
        var task = new Option<string?>("--task") { Description = "Continue this task (e.g. one that waits for input).", HelpName = "ID" };
        var context = new Option<string?>("--context") { Description = "Send within this context (conversation).", HelpName = "ID" };
        var command = new Command("send", "Send a message to an agent; the exit code tells how the task ended (see herald --help).")
        {
            text,
            stream,
            task,
            context,
        };
        var options = new ClientOptions(command, streaming: true);
        options.SetAction(command, async (parseResult, run, client, cancellationToken) =>
        {
            var message = Message.UserText(parseResult.GetValue(text)!) with
            {
                TaskId = parseResult.GetValue(task),
                ContextId = parseResult.GetValue(context),
            };
            run.TaskId = message.TaskId;
            var request = new SendMessageRequest { Message = message };
            if (parseResult.GetValue(stream))
            {
                var fold = await StreamView.Create(run)
                    .ShowAsync(client.SendStreamingMessageEventsAsync(request, cancellationToken), cancellationToken).ConfigureAwait(false);
                return ExitCodes.ForState(fold.State);
            }

            var response = await client.SendMessageAsync(request, cancellationToken).ConfigureAwait(false);
            if (run.Settings.Json)
            {
                await run.Output.WriteLineAsync(JsonLines.Value(response, A2AJsonContext.Default.SendMessageResponse)).ConfigureAwait(false);
                await run.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            else if (response.Task is { } result)
            {
                await TaskPrinter.WriteTaskAsync(run.Output, result).ConfigureAwait(false);
            }
            else if (response.Message is { } reply)
            {
                await TaskPrinter.WriteMessageAsync(run.Output, reply).ConfigureAwait(false);
            }

            return ExitCodes.ForState(response.Task?.Status.State);
        });
        return command;
    }
}
