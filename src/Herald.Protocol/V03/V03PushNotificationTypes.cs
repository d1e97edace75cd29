using System.Text.Json;

namespace Herald.Protocol.V03;

/// <summary>A webhook the server calls with task updates.</summary>
public sealed record V03PushNotificationConfig
{
    public string? Id { get; init; }

    public required string Url { get; init; }

    public string? Token { get; init; }

    public V03PushNotificationAuthenticationInfo? Authentication { get; init; }
}

/// <summary>How the server authenticates to the webhook.</summary>
public sealed record V03PushNotificationAuthenticationInfo
{
    public IReadOnlyList<string> Schemes { get; init => field = value ?? []; } = [];

    public string? Credentials { get; init; }
}

/// <summary>Parameters of <c>tasks/pushNotificationConfig/set</c>, and the result of the push-config methods.</summary>
public sealed record V03TaskPushNotificationConfig
{
    public required string TaskId { get; init; }

    public required V03PushNotificationConfig PushNotificationConfig { get; init; }
}

/// <summary>Parameters of <c>tasks/pushNotificationConfig/get</c>.</summary>
public sealed record V03GetTaskPushNotificationConfigParams
{
    public required string Id { get; init; }

    public string? PushNotificationConfigId { get; init; }

    public Dictionary<string, JsonElement>? Metadata { get; init; }
}

/// <summary>Parameters of <c>tasks/pushNotificationConfig/list</c>.</summary>
public sealed record V03ListTaskPushNotificationConfigParams
{
    public required string Id { get; init; }

    public Dictionary<string, JsonElement>? Metadata { get; init; }
}

/// <summary>Parameters of <c>tasks/pushNotificationConfig/delete</c>.</summary>
public sealed record V03DeleteTaskPushNotificationConfigParams
{
    public required string Id { get; init; }

    public required string PushNotificationConfigId { get; init; }

    public Dictionary<string, JsonElement>? Metadata { get; init; }
}
