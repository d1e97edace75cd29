using Herald.Protocol;
using Herald.Server.Push;
using Herald.Server.Storage;

namespace Herald.Server.Engine;

/// <summary>
/// The push-notification configuration operations (Create, Get, List, Delete, and a config sent inline with a message): each
/// checked (the task's owner only, as every task operation; a well-formed webhook that the URL guard admits) and kept with
/// the task in the store, where delivery finds it. Answered with -32003 unless <see cref="HeraldOptions.PushNotifications"/>.
/// </summary>
internal sealed class PushConfigOperations(TaskEngine engine, TaskStore store, HeraldOptions options, IWebhookUrlValidator? urls)
{
    /// <summary>The longest webhook URL accepted.</summary>
    public const int MaxUrlLength = 2048;

    /// <summary>The longest notification token, authentication scheme and credentials accepted (they travel in HTTP headers).</summary>
    public const int MaxTokenLength = 1024, MaxSchemeLength = 64, MaxCredentialsLength = 4096;

    public async ValueTask<TaskPushNotificationConfig> CreateAsync(Caller caller, TaskPushNotificationConfig config, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        var taskId = Begin(config.TaskId);

        // Whose the task is, first: a caller who may not manage it learns nothing, not even how its webhook would be judged.
        await RequireTaskAsync(caller, config.Tenant, taskId, cancellationToken).ConfigureAwait(false);
        var valid = await ValidateAsync(config, "", cancellationToken).ConfigureAwait(false);
        await RequireRoomAsync(taskId, valid, cancellationToken).ConfigureAwait(false);
        var stored = valid with { TaskId = taskId, Tenant = null };
        await store.SavePushConfigAsync(taskId, stored, null, cancellationToken).ConfigureAwait(false);
        return stored;
    }

    public async ValueTask<TaskPushNotificationConfig> GetAsync(Caller caller, TaskPushNotificationConfigRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var taskId = Begin(request.TaskId);
        var configId = RequestValidator.RequireId(request.Id, "id");
        await RequireTaskAsync(caller, request.Tenant, taskId, cancellationToken).ConfigureAwait(false);
        return await store.GetPushConfigAsync(taskId, configId, cancellationToken).ConfigureAwait(false) ?? throw ConfigNotFound(taskId, configId);
    }

    public async ValueTask<ListTaskPushNotificationConfigsResponse> ListAsync(Caller caller, ListTaskPushNotificationConfigsRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var taskId = Begin(request.TaskId);
        await RequireTaskAsync(caller, request.Tenant, taskId, cancellationToken).ConfigureAwait(false);

        // A task has at most MaxPushConfigsPerTask of them: one page holds them all.
        return new ListTaskPushNotificationConfigsResponse { Configs = await store.ListPushConfigsAsync(taskId, cancellationToken).ConfigureAwait(false) };
    }

    public async ValueTask DeleteAsync(Caller caller, TaskPushNotificationConfigRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var taskId = Begin(request.TaskId);
        var configId = RequestValidator.RequireId(request.Id, "id");
        await RequireTaskAsync(caller, request.Tenant, taskId, cancellationToken).ConfigureAwait(false);
        if (!await store.DeletePushConfigAsync(taskId, configId, cancellationToken).ConfigureAwait(false))
        {
            throw ConfigNotFound(taskId, configId);
        }
    }

    /// <summary>
    /// A config sent inline with a message (<c>configuration.taskPushNotificationConfig</c>), checked before the message is
    /// accepted: null when there is none. Refused (-32003) when push notifications are off.
    /// </summary>
    public async ValueTask<TaskPushNotificationConfig?> ValidateInlineAsync(SendMessageRequest request, CancellationToken cancellationToken)
    {
        if (request.Configuration?.TaskPushNotificationConfig is not { } config)
        {
            return null;
        }

        RequireEnabled();
        return await ValidateAsync(config, "configuration.taskPushNotificationConfig.", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Refuses (-32602) a new config for a task that has <see cref="HeraldOptions.MaxPushConfigsPerTask"/> already (replacing one is fine).</summary>
    public async ValueTask RequireRoomAsync(string taskId, TaskPushNotificationConfig config, CancellationToken cancellationToken)
    {
        var kept = await store.ListPushConfigsAsync(taskId, cancellationToken).ConfigureAwait(false);
        if (kept.Count >= options.MaxPushConfigsPerTask && !kept.Any(c => c.Id == config.Id))
        {
            throw A2AException.InvalidParams("id", $"Task '{taskId}' has {kept.Count} push notification configurations, the most it may have; delete one first.");
        }
    }

    /// <summary>Keeps an inline config with the task its message created or continued: delivered the events after <paramref name="afterSequence"/>.</summary>
    public ValueTask SaveInlineAsync(string taskId, TaskPushNotificationConfig config, long afterSequence, CancellationToken cancellationToken) =>
        store.SavePushConfigAsync(taskId, config with { TaskId = taskId, Tenant = null }, afterSequence, cancellationToken);

    private void RequireEnabled()
    {
        if (!options.PushNotifications)
        {
            throw new A2AException(A2AErrorCodes.PushNotificationNotSupported, "Push notifications are not supported by this agent (capabilities.pushNotifications is false).");
        }
    }

    /// <summary>The start of every operation: push notifications on, and the task id it names.</summary>
    private string Begin(string? taskId)
    {
        RequireEnabled();
        var id = RequestValidator.RequireId(taskId, "taskId");
        A2AOperation.TagTask(id);
        return id;
    }

    /// <summary>The task exists and the caller may manage its configs (its owner, or a policy says so); not found otherwise.</summary>
    private async ValueTask RequireTaskAsync(Caller caller, string? tenant, string taskId, CancellationToken cancellationToken)
    {
        var requester = TaskEngine.OwnerFor(caller, tenant);
        _ = engine.Accessible(await store.GetAsync(taskId, 0, false, cancellationToken).ConfigureAwait(false), caller, requester, TaskAccess.PushConfig)
            ?? throw A2AException.TaskNotFound(taskId);
    }

    /// <summary>The config with an id (a new one when it has none), once every field is well-formed and the URL guard admits its webhook.</summary>
    private async ValueTask<TaskPushNotificationConfig> ValidateAsync(TaskPushNotificationConfig config, string prefix, CancellationToken cancellationToken)
    {
        var id = string.IsNullOrEmpty(config.Id) ? Guid.NewGuid().ToString("N") : config.Id;
        if (id.Length > SendOptions.MaxClientTaskIdLength || id.Any(char.IsControl))
        {
            throw A2AException.InvalidParams(prefix + "id", $"A push notification config id is 1 to {SendOptions.MaxClientTaskIdLength} characters without control characters.");
        }

        if (string.IsNullOrEmpty(config.Url))
        {
            throw A2AException.InvalidParams(prefix + "url", "A push notification config needs the webhook's url.");
        }

        if (config.Url.Length > MaxUrlLength
            || !Uri.TryCreate(config.Url, UriKind.Absolute, out var url)
            || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp)
            || string.IsNullOrEmpty(url.Host)
            || !string.IsNullOrEmpty(url.UserInfo))
        {
            throw A2AException.InvalidParams(prefix + "url", $"The webhook url must be an absolute http or https URL of at most {MaxUrlLength} characters, without user information.");
        }

        if (config.Token is { } token && (token.Length > MaxTokenLength || !IsHeaderText(token, allowSpace: false)))
        {
            throw A2AException.InvalidParams(prefix + "token", $"The token is at most {MaxTokenLength} visible ASCII characters (it is sent in an HTTP header).");
        }

        if (config.Authentication is { } auth)
        {
            if (string.IsNullOrEmpty(auth.Scheme) || auth.Scheme.Length > MaxSchemeLength || !IsHeaderText(auth.Scheme, allowSpace: false))
            {
                throw A2AException.InvalidParams(prefix + "authentication.scheme", $"The authentication scheme is 1 to {MaxSchemeLength} visible ASCII characters, such as Bearer.");
            }

            if (auth.Credentials is { } credentials && (credentials.Length > MaxCredentialsLength || !IsHeaderText(credentials, allowSpace: true)))
            {
                throw A2AException.InvalidParams(prefix + "authentication.credentials", $"The credentials are at most {MaxCredentialsLength} printable ASCII characters (they are sent in an HTTP header).");
            }
        }

        if (urls is not null)
        {
            await urls.ValidateAsync(config.Url, cancellationToken).ConfigureAwait(false);
        }

        return config with { Id = id };
    }

    private static bool IsHeaderText(string value, bool allowSpace)
    {
        foreach (var c in value)
        {
            if (c > '~' || c < (allowSpace ? ' ' : '!'))
            {
                return false;
            }
        }

        return true;
    }

    private static A2AException ConfigNotFound(string taskId, string configId)
    {
        var shown = configId.Length <= 128 ? configId : configId[..128] + "...";
        return new A2AException(A2AErrorCodes.TaskNotFound, $"Task '{(taskId.Length <= 128 ? taskId : taskId[..128] + "...")}' has no push notification config '{shown}'.")
        {
            Details = new Dictionary<string, string> { ["taskId"] = taskId.Length <= 128 ? taskId : taskId[..128] + "...", ["configId"] = shown },
        };
    }
}
