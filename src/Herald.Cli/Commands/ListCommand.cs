using System.CommandLine;
using Herald.Cli.Output;
using Herald.Protocol;

namespace Herald.Cli.Commands;

/// <summary><c>herald list URL [--context ID] [--state S] [--page-size N] [--all]</c>: lists tasks (ListTasks).</summary>
internal static class ListCommand
{
    public static Command Create()
    {
        var context = new Option<string?>("--context") { Description = "Only tasks of this context.", HelpName = "ID" };
        var state = new Option<string?>("--state")
        {
            Description = "Only tasks in this state: submitted, working, completed, failed, canceled, rejected, input-required, auth-required.",
            HelpName = "S",
        };
        state.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } text && Display.ParseState(text) is null)
            {
                result.AddError($"Unknown state '{text}': use submitted, working, completed, failed, canceled, rejected, input-required or auth-required.");
            }
        });
        var pageSize = new Option<int?>("--page-size") { Description = "Tasks per page (the server's default when not given).", HelpName = "N" };
        pageSize.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1)
            {
                result.AddError("--page-size must be 1 or more.");
            }
        });
        var pageToken = new Option<string?>("--page-token") { Description = "Start at this page (the token a previous list printed).", HelpName = "TOKEN" };
        var all = new Option<bool>("--all") { Description = "Follow the pages to the last one." };
        var command = new Command("list", "List tasks, newest first (one page unless --all).")
        {
            context,
            state,
            pageSize,
            pageToken,
            all,
        };
        var options = new ClientOptions(command, streaming: false);
        options.SetAction(command, async (parseResult, run, client, cancellationToken) =>
        {
            var request = new ListTasksRequest
            {
                ContextId = parseResult.GetValue(context),
                Status = parseResult.GetValue(state) is { } s ? Display.ParseState(s) : null,
                PageSize = parseResult.GetValue(pageSize),
                PageToken = parseResult.GetValue(pageToken),
            };

            ListTasksResponse page;
            if (parseResult.GetValue(all))
            {
                var tasks = new List<AgentTask>();
                await foreach (var task in client.ListAllTasksAsync(request, cancellationToken).ConfigureAwait(false))
                {
                    tasks.Add(task);
                }

                page = new ListTasksResponse { Tasks = tasks, NextPageToken = "", PageSize = tasks.Count, TotalSize = tasks.Count };
            }
            else
            {
                page = await client.ListTasksAsync(request, cancellationToken).ConfigureAwait(false);
            }

            if (run.Settings.Json)
            {
                await run.Output.WriteLineAsync(JsonLines.Value(page, A2AJsonContext.Default.ListTasksResponse)).ConfigureAwait(false);
            }
            else
            {
                foreach (var task in page.Tasks)
                {
                    await TaskPrinter.WriteTaskLineAsync(run.Output, task).ConfigureAwait(false);
                }

                var more = string.IsNullOrEmpty(page.NextPageToken) ? "" : $"; more: --page-token {page.NextPageToken}";
                await run.Output.WriteLineAsync($"{page.Tasks.Count} task(s){more}").ConfigureAwait(false);
            }

            await run.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }
}
