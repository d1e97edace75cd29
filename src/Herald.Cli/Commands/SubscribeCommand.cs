using System.CommandLine;
using Herald.Cli.Output;
using Herald.Client;
using Herald.Protocol;

namespace Herald.Cli.Commands;

/// <summary><c>herald subscribe URL TASK [--after SEQ]</c>: watches a task's stream (SubscribeToTask).</summary>
internal static class SubscribeCommand
{
    public static Command Create()
    {
        var taskId = new Argument<string>("TASK") { Description = "The task id." };
        var after = new Option<long?>("--after")
        {
            Description = "Only the events after this event id (sent as Last-Event-ID; the ids are the 'id' of --json lines). " +
                "Without it: the task as it is now, then its updates.",
            HelpName = "SEQ",
        };
        after.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<long?>() < 0)
            {
                result.AddError("--after must be 0 or more.");
            }
        });
        var command = new Command("subscribe", "Watch a task until it ends or waits for input; the exit code tells how it ended (see herald --help).")
        {
            taskId,
            after,
        };
        var options = new ClientOptions(command, streaming: true);
        options.SetAction(command, async (parseResult, run, client, cancellationToken) =>
        {
            var id = parseResult.GetValue(taskId)!;
            run.TaskId = id;
            var afterId = parseResult.GetValue(after);
            run.LastEventId = afterId; // where a resumption hint (or a fallback notice) starts from
            TaskFold fold;
            try
            {
                fold = await StreamView.Create(run).ShowAsync(
                    client.SubscribeToTaskEventsAsync(new SubscribeToTaskRequest { Id = id }, afterId, cancellationToken),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (A2AException ex) when (ex.Code == A2AErrorCodes.UnsupportedOperation && afterId is null)
            {
                // The spec refuses SubscribeToTask once a task has ended: show its final state, as a stream of one snapshot.
                var ended = await client.GetTaskAsync(new GetTaskRequest { Id = id }, cancellationToken).ConfigureAwait(false);
                if (!ended.Status.State.IsTerminal())
                {
                    throw;
                }

                fold = await StreamView.Create(run).ShowAsync(Snapshot(ended), cancellationToken).ConfigureAwait(false);
            }

            if (fold.State is { } state)
            {
                return ExitCodes.ForState(state);
            }

            // Nothing after --after: the task had already ended there. Its state still decides the exit code.
            var task = await client.GetTaskAsync(new GetTaskRequest { Id = id, HistoryLength = 0 }, cancellationToken).ConfigureAwait(false);
            if (!run.Settings.Json)
            {
                await run.Output.WriteLineAsync($"task {task.Id} {Display.State(task.Status.State)} (no events after {parseResult.GetValue(after)})")
                    .ConfigureAwait(false);
                await run.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.ForState(task.Status.State);
        });
        return command;
    }

#pragma warning disable CS1998 // An async iterator of one item.
    private static async IAsyncEnumerable<StreamEvent> Snapshot(AgentTask task)
#pragma warning restore CS1998
    {
        yield return new StreamEvent(new StreamResponse { Task = task }, null);
    }
}
