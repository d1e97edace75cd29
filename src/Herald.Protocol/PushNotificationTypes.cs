using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Protocol;

/// <summary>A webhook configuration for a task (proto <c>TaskPushNotificationConfig</c>).</summary>
public sealed record TaskPushNotificationConfig
{
    public string? Tenant { get; init; }

    public string? Id { get; init; }

    public string? TaskId { get; init; }

    public string? Url { get; init; }

    public string? Token { get; init; }

    public AuthenticationInfo? Authentication { get; init; }
}

/// <summary>Credentials the server presents to a webhook.</summary>
public sealed record AuthenticationInfo
{
    public required string Scheme { get; init; }

    public string? Credentials { get; init; }
}

/// <summary>Parameters of GetTaskPushNotificationConfig and DeleteTaskPushNotificationConfig.</summary>
public sealed record TaskPushNotificationConfigRequest
{
    public string? Tenant { get; init; }

    public string? TaskId { get; init; }

    public string? Id { get; init; }
}

/// <summary>Parameters of ListTaskPushNotificationConfigs.</summary>
public sealed record ListTaskPushNotificationConfigsRequest
{
    public string? Tenant { get; init; }

    public string? TaskId { get; init; }

    public int? PageSize { get; init; }

    public string? PageToken { get; init; }
}

/// <summary>Result of ListTaskPushNotificationConfigs.</summary>
public sealed record ListTaskPushNotificationConfigsResponse
{
    public required IReadOnlyList<TaskPushNotificationConfig> Configs { get; init; }

    public string NextPageToken { get; init => field = value ?? ""; } = "";
}
