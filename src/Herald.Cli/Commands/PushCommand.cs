using System.CommandLine;
using Herald.Cli.Output;
using Herald.Protocol;

namespace Herald.Cli.Commands;

/// <summary>
/// <c>herald push create|list|get|delete</c>: a task's push notification configs (webhooks) over the client's
/// push-config operations. Text output never shows the config's token or credentials (only whether they are set);
/// <c>--json</c> prints the configs as the server returned them.
/// </summary>
internal static class PushCommand
{
    public static Command Create()
    {
        var push = new Command("push", "Manage a task's push notification configs (webhooks): create, list, get, delete.");
        push.Subcommands.Add(CreateCommand());
        push.Subcommands.Add(ListCommand());
        push.Subcommands.Add(GetCommand());
        push.Subcommands.Add(DeleteCommand());
        return push;
    }

    private static Command CreateCommand()
    {
        var taskId = new Argument<string>("TASK") { Description = "The task id." };
        var webhook = new Argument<string>("WEBHOOK") { Description = "The webhook URL the server POSTs the task's events to (http or https)." };
        var id = new Option<string?>("--id") { Description = "The config's id [default: the server chooses].", HelpName = "ID" };
        var token = new Option<string?>("--token")
        {
            Description = "A token the server sends with every delivery (X-A2A-Notification-Token), so the webhook can tell its own deliveries.",
            HelpName = "TOKEN",
        };
        var scheme = new Option<string?>("--auth-scheme")
        {
            Description = "The scheme of the Authorization header the server sends the webhook, e.g. Bearer.",
            HelpName = "SCHEME",
        };
        var credentials = new Option<string?>("--auth-credentials")
        {
            Description = "The credentials after the scheme in that Authorization header (needs --auth-scheme).",
            HelpName = "CREDENTIALS",
        };
        var command = new Command("create", "Register a webhook for a task; prints the config the server stored.") { taskId, webhook, id, token, scheme, credentials };
        webhook.Validators.Add(result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                result.AddError($"WEBHOOK '{text}' is not an absolute http or https URL, e.g. http://127.0.0.1:5079/hook.");
            }
        });
        command.Validators.Add(result =>
        {
            if (result.GetResult(credentials) is { Tokens.Count: > 0 } && result.GetResult(scheme) is not { Tokens.Count: > 0 })
            {
                result.AddError("--auth-credentials needs --auth-scheme (e.g. --auth-scheme Bearer).");
            }

            if (result.GetResult(scheme) is { Tokens.Count: > 0 } given && string.IsNullOrWhiteSpace(given.Tokens[^1].Value))
            {
                result.AddError("--auth-scheme is empty.");
            }
        });
        var options = new ClientOptions(command, streaming: false);
        options.SetAction(command, async (parseResult, run, client, cancellationToken) =>
        {
            var config = new TaskPushNotificationConfig
            {
                TaskId = parseResult.GetValue(taskId),
                Id = parseResult.GetValue(id),
                Url = parseResult.GetValue(webhook),
                Token = parseResult.GetValue(token),
                Authentication = parseResult.GetValue(scheme) is { } s
                    ? new AuthenticationInfo { Scheme = s, Credentials = parseResult.GetValue(credentials) }
                    : null,
            };
            var created = await client.CreateTaskPushNotificationConfigAsync(config, cancellationToken).ConfigureAwait(false);
            await WriteAsync(run, created, cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        }, name: "push " + command.Name);
        return command;
    }

    private static Command ListCommand()
    {
        var taskId = new Argument<string>("TASK") { Description = "The task id." };
        var command = new Command("list", "List a task's push notification configs, one line each.") { taskId };
        var options = new ClientOptions(command, streaming: false);
        options.SetAction(command, async (parseResult, run, client, cancellationToken) =>
        {
            string? pageToken = null;
            do
            {
                var page = await client.ListTaskPushNotificationConfigsAsync(
                    new ListTaskPushNotificationConfigsRequest { TaskId = parseResult.GetValue(taskId), PageToken = pageToken }, cancellationToken).ConfigureAwait(false);
                foreach (var config in page.Configs)
                {
                    await WriteAsync(run, config, cancellationToken).ConfigureAwait(false);
                }

                pageToken = string.IsNullOrEmpty(page.NextPageToken) || page.NextPageToken == pageToken ? null : page.NextPageToken;
            }
            while (pageToken is not null);

            return ExitCodes.Success;
        }, name: "push " + command.Name);
        return command;
    }

    private static Command GetCommand()
    {
        var taskId = new Argument<string>("TASK") { Description = "The task id." };
        var configId = new Argument<string>("CONFIG") { Description = "The config's id." };
        var command = new Command("get", "Print one push notification config of a task.") { taskId, configId };
        var options = new ClientOptions(command, streaming: false);
        options.SetAction(command, async (parseResult, run, client, cancellationToken) =>
        {
            var config = await client.GetTaskPushNotificationConfigAsync(
                new TaskPushNotificationConfigRequest { TaskId = parseResult.GetValue(taskId), Id = parseResult.GetValue(configId) }, cancellationToken).ConfigureAwait(false);
            await WriteAsync(run, config, cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        }, name: "push " + command.Name);
        return command;
    }

    private static Command DeleteCommand()
    {
        var taskId = new Argument<string>("TASK") { Description = "The task id." };
        var configId = new Argument<string>("CONFIG") { Description = "The config's id." };
        var command = new Command("delete", "Delete a push notification config of a task: the server stops delivering to it.") { taskId, configId };
        var options = new ClientOptions(command, streaming: false);
        options.SetAction(command, async (parseResult, run, client, cancellationToken) =>
        {
            var request = new TaskPushNotificationConfigRequest { TaskId = parseResult.GetValue(taskId), Id = parseResult.GetValue(configId) };
            await client.DeleteTaskPushNotificationConfigAsync(request, cancellationToken).ConfigureAwait(false);
            await run.Output.WriteLineAsync(run.Settings.Json
                ? $$"""{"deleted":true,"taskId":{{Quote(request.TaskId!)}},"id":{{Quote(request.Id!)}}}"""
                : $"deleted config {request.Id} of task {request.TaskId}").ConfigureAwait(false);
            await run.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        }, name: "push " + command.Name);
        return command;
    }

    private static async Task WriteAsync(ClientRun run, TaskPushNotificationConfig config, CancellationToken cancellationToken)
    {
        await run.Output.WriteLineAsync(run.Settings.Json ? JsonLines.Value(config, A2AJsonContext.Default.TaskPushNotificationConfig) : Text(config)).ConfigureAwait(false);
        await run.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>config ID task T url U token set auth Bearer</c>: secrets are never printed, only whether they are there.</summary>
    internal static string Text(TaskPushNotificationConfig config)
    {
        var auth = config.Authentication is { } a ? $" auth {a.Scheme}{(string.IsNullOrEmpty(a.Credentials) ? "" : " (credentials set)")}" : "";
        var token = string.IsNullOrEmpty(config.Token) ? "" : " token set";
        return $"config {config.Id ?? "?"} task {config.TaskId ?? "?"} url {config.Url}{token}{auth}";
    }

    private static string Quote(string value) => System.Text.Json.JsonSerializer.Serialize(value, A2AJsonContext.Default.String);
}
